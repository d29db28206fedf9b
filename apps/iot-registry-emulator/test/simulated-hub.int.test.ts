import { CreateThingCommand, GetThingConnectivityDataCommand, IoTClient } from "@aws-sdk/client-iot";
import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from "@aws-sdk/client-iot-data-plane";
import { waitUntil } from "@hub/test-support/wait";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRegistryServer,
  emulatorControl,
  MemoryRegistryStore,
  type RegistryServer,
} from "../src/index.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const HUB_DELAY_MS = 10;

type Reported = { status: string; result?: Record<string, unknown>; reason?: string };
interface ShadowDocument {
  state: {
    desired?: { commands?: Record<string, unknown> };
    reported?: { commands?: Record<string, Reported>; firmwareVersion?: string; uptimeSeconds?: number };
  };
  version: number;
}

describe("simulated hub behind each Thing (shadow command protocol)", () => {
  let server: RegistryServer;
  let url: string;
  let iot: IoTClient;
  let data: IoTDataPlaneClient;
  let control: ReturnType<typeof emulatorControl>;

  const shadow = async (thingName = "hub-1"): Promise<ShadowDocument> => {
    const { payload } = await data.send(new GetThingShadowCommand({ thingName }));
    return JSON.parse(new TextDecoder().decode(payload)) as ShadowDocument;
  };

  /** Sends a command as the backend does: desired.commands.<id>, with the id as clientToken. */
  const sendCommand = async (commandId: string, command: string, args?: object, thingName = "hub-1") => {
    const document = {
      state: { desired: { commands: { [commandId]: { command, ...(args === undefined ? {} : { args }) } } } },
      clientToken: commandId,
    };
    await data.send(
      new UpdateThingShadowCommand({
        thingName,
        payload: new TextEncoder().encode(JSON.stringify(document)),
      }),
    );
  };

  const clearCommand = async (commandId: string, thingName = "hub-1") => {
    const document = { state: { desired: { commands: { [commandId]: null } } } };
    await data.send(
      new UpdateThingShadowCommand({
        thingName,
        payload: new TextEncoder().encode(JSON.stringify(document)),
      }),
    );
  };

  const answerOf = async (commandId: string, thingName = "hub-1"): Promise<Reported> => {
    let answer: Reported | undefined;
    await waitUntil(async () => {
      answer = (await shadow(thingName)).state.reported?.commands?.[commandId];
      return answer !== undefined;
    }, `the hub's answer to ${commandId}`);
    return answer as Reported;
  };

  /** For checks that nothing happens: many times the hub's delay. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, HUB_DELAY_MS * 20));

  beforeEach(async () => {
    server = createRegistryServer({ store: new MemoryRegistryStore(), hubDelayMs: HUB_DELAY_MS });
    ({ url } = await server.listen(0, "127.0.0.1"));
    iot = new IoTClient({ endpoint: url, region: "us-east-1", credentials });
    data = new IoTDataPlaneClient({ endpoint: url, region: "us-east-1", credentials });
    control = emulatorControl(url);
    await iot.send(new CreateThingCommand({ thingName: "hub-1" }));
  });

  afterEach(async () => {
    iot.destroy();
    data.destroy();
    await server.close();
  });

  it("answers the four commands, numbering commissioned nodes from 1 and never echoing Wi-Fi credentials", async () => {
    await control.setConnected("hub-1", true);
    await sendCommand("c1", "commission_with_code", { code: "MT:Y.K9042C00KA0648G00" });
    expect(await answerOf("c1")).toEqual({ status: "SUCCEEDED", result: { nodeId: 1 } });
    await sendCommand("c2", "commission_with_code", { code: "34970112332" });
    expect(await answerOf("c2")).toEqual({ status: "SUCCEEDED", result: { nodeId: 2 } });

    await sendCommand("c3", "get_nodes");
    const nodes = await answerOf("c3");
    expect(nodes).toEqual({
      status: "SUCCEEDED",
      result: {
        nodes: [
          { nodeId: 1, commissionedAt: expect.any(Number) },
          { nodeId: 2, commissionedAt: expect.any(Number) },
        ],
      },
    });

    await sendCommand("c4", "server_info");
    const info = await answerOf("c4");
    expect(info).toEqual({
      status: "SUCCEEDED",
      result: { firmwareVersion: "1.4.2", uptimeSeconds: expect.any(Number) },
    });
    // Counted from the connect just now, not from some earlier time.
    expect(info.result?.uptimeSeconds).toBeLessThan(5);

    await sendCommand("c5", "set_wifi_credentials", { ssid: "home", credentials: "hunter2-secret" });
    expect(await answerOf("c5")).toEqual({ status: "SUCCEEDED", result: { ssid: "home" } });
    const document = await shadow();
    expect(JSON.stringify(document.state.reported)).not.toContain("hunter2-secret");
    // The hub keeps its firmware version and uptime reported as it answers.
    expect(document.state.reported).toMatchObject({
      firmwareVersion: "1.4.2",
      uptimeSeconds: expect.any(Number),
    });
  });

  it("rejects an unknown command and commands missing their required args", async () => {
    await sendCommand("u1", "reboot");
    expect(await answerOf("u1")).toEqual({ status: "REJECTED", reason: "unsupported command: reboot" });
    await sendCommand("u2", "set_wifi_credentials", { ssid: "home" });
    expect(await answerOf("u2")).toMatchObject({ status: "REJECTED" });
    await sendCommand("u3", "commission_with_code", {});
    expect(await answerOf("u3")).toMatchObject({ status: "REJECTED" });
  });

  it("never executes a command twice, and removes its answer once the backend clears the command", async () => {
    await sendCommand("c1", "commission_with_code", { code: "1234" });
    expect(await answerOf("c1")).toEqual({ status: "SUCCEEDED", result: { nodeId: 1 } });
    // The same id again (a retried send): still answered once, no second node.
    await sendCommand("c1", "commission_with_code", { code: "1234" });
    await settle();
    await sendCommand("c2", "get_nodes");
    expect((await answerOf("c2")).result).toEqual({
      nodes: [{ nodeId: 1, commissionedAt: expect.any(Number) }],
    });

    await clearCommand("c1");
    await waitUntil(
      async () => (await shadow()).state.reported?.commands?.c1 === undefined,
      "the hub to remove its answer to c1",
    );
    expect((await shadow()).state.reported?.commands?.c2).toBeDefined();
    await clearCommand("c2");
    await waitUntil(
      async () => (await shadow()).state.reported?.commands === undefined,
      "the emptied reported.commands to be pruned",
    );
    expect((await shadow()).state.desired).toBeUndefined();
  });

  it("mode fail and reject answer every command with the reason; the behaviour reads back", async () => {
    expect(await control.hubBehaviour("hub-1")).toEqual({
      mode: "answer",
      delayMs: HUB_DELAY_MS,
      firmwareVersion: "1.4.2",
    });
    await control.setHubBehaviour("hub-1", { mode: "fail", reason: "radio jammed" });
    await sendCommand("f1", "server_info");
    expect(await answerOf("f1")).toEqual({ status: "FAILED", reason: "radio jammed" });

    await control.setHubBehaviour("hub-1", { mode: "reject", reason: "busy", delayMs: 0 });
    expect(await control.hubBehaviour("hub-1")).toEqual({
      mode: "reject",
      reason: "busy",
      delayMs: 0,
      firmwareVersion: "1.4.2",
    });
    await sendCommand("r1", "get_nodes");
    expect(await answerOf("r1")).toEqual({ status: "REJECTED", reason: "busy" });

    await control.setHubBehaviour("hub-1", { mode: "answer", firmwareVersion: "2.0.0-rc.1" });
    await sendCommand("s1", "server_info");
    expect((await answerOf("s1")).result).toMatchObject({ firmwareVersion: "2.0.0-rc.1" });
  });

  it("mode silent never answers; answering again picks up the command it ignored", async () => {
    await control.setHubBehaviour("hub-1", { mode: "silent" });
    await sendCommand("q1", "server_info");
    await settle();
    expect((await shadow()).state.reported).toBeUndefined();
    await control.setHubBehaviour("hub-1", { mode: "answer" });
    expect(await answerOf("q1")).toMatchObject({ status: "SUCCEEDED" });
  });

  it("mode offline disconnects the device and never answers; leaving it connects the device again", async () => {
    await control.setConnected("hub-1", true);
    await control.setHubBehaviour("hub-1", { mode: "offline" });
    expect(await iot.send(new GetThingConnectivityDataCommand({ thingName: "hub-1" }))).toMatchObject({
      connected: false,
      disconnectReason: "CONNECTION_LOST",
    });
    await sendCommand("o1", "get_nodes");
    await settle();
    expect((await shadow()).state.reported).toBeUndefined();

    await control.setHubBehaviour("hub-1", { mode: "answer" });
    expect((await iot.send(new GetThingConnectivityDataCommand({ thingName: "hub-1" }))).connected).toBe(
      true,
    );
    // Back online, it catches up with the command sent while it was away, as a reconnecting device does.
    expect(await answerOf("o1")).toMatchObject({ status: "SUCCEEDED" });
  });

  it("the hub control refuses a missing Thing and a bad behaviour", async () => {
    await expect(control.setHubBehaviour("ghost", { mode: "fail" })).rejects.toThrow(/404/);
    await expect(control.hubBehaviour("ghost")).rejects.toThrow(/404/);
    const bad = await fetch(`${url}/__emulator/things/hub-1/hub`, {
      method: "POST",
      body: JSON.stringify({ mode: "asleep" }),
    });
    expect(bad.status).toBe(400);
  });
});
