import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ConfirmTopicRuleDestinationCommand,
  CreateThingCommand,
  InvalidRequestException,
  IoTClient,
} from "@aws-sdk/client-iot";
import { IoTDataPlaneClient, UpdateThingShadowCommand } from "@aws-sdk/client-iot-data-plane";
import { waitUntil } from "@hub/test-support/wait";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRegistryServer,
  type EmulatorLogger,
  emulatorControl,
  loadEnv,
  MemoryRegistryStore,
  type RegistryServer,
} from "../src/index.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const ACCOUNT = "123456789012";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** The backend's ingestion endpoint: records every POST; `status` decides each answer. */
async function startSink() {
  const received: Received[] = [];
  let status: (request: Received, index: number) => number = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = {
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown,
      };
      received.push(request);
      res.writeHead(status(request, received.length - 1)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    answer(next: typeof status) {
      status = next;
    },
    confirmations: () =>
      received.filter((r) => r.headers["x-amz-rules-engine-message-type"] === "DestinationConfirmation"),
    messages: () =>
      received
        .filter((r) => r.headers["x-amz-rules-engine-message-type"] === undefined)
        .map((r) => r.body as Record<string, unknown>),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("topic-rule HTTP action", () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  let server: RegistryServer;
  let url: string;
  let iot: IoTClient;
  let data: IoTDataPlaneClient;
  let control: ReturnType<typeof emulatorControl>;
  const logs: unknown[] = [];
  const logger: EmulatorLogger = {
    debug: (obj, msg) => logs.push([obj, msg]),
    info: (obj, msg) => logs.push([obj, msg]),
    warn: (obj, msg) => logs.push([obj, msg]),
    error: (obj, msg) => logs.push([obj, msg]),
  };

  const update = async (thingName: string, document: unknown, shadowName?: string) => {
    await data.send(
      new UpdateThingShadowCommand({
        thingName,
        payload: new TextEncoder().encode(JSON.stringify(document)),
        ...(shadowName === undefined ? {} : { shadowName }),
      }),
    );
  };

  /** Configures the destination and waits for its confirmation message; returns that message. */
  const configure = async (spec: { batchSize?: number } = {}) => {
    await control.configureRule({ url: `${sink.url}/ingest`, headers: { "x-ingest-key": "k1" }, ...spec });
    await waitUntil(() => sink.confirmations().length > 0, "the confirmation message");
    return sink.confirmations()[0] as Received;
  };

  beforeEach(async () => {
    logs.length = 0;
    sink = await startSink();
    server = createRegistryServer({
      store: new MemoryRegistryStore(),
      accountId: ACCOUNT,
      logger,
      hubDelayMs: 10,
      ruleTiming: { retryBaseMs: 20, retryCapMs: 100, batchWindowMs: 50, reorderWindowMs: 50 },
    });
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
    await sink.close();
  });

  it("confirms first; queues messages until ConfirmTopicRuleDestination, then delivers them with the static headers", async () => {
    const confirmation = await configure();
    const stats = await control.ruleStats();
    expect(stats).toMatchObject({ status: "PENDING", headerNames: ["x-ingest-key"], batchSize: 1 });
    expect(stats.arn).toMatch(new RegExp(`^arn:aws:iot:us-east-1:${ACCOUNT}:ruledestination/http/`));
    const token = stats.confirmationToken;
    expect(confirmation.path).toBe(`/ingest?confirmationToken=${token}`);
    expect(confirmation.headers).toMatchObject({
      "x-amz-rules-engine-message-type": "DestinationConfirmation",
      "x-amz-rules-engine-destination-arn": stats.arn,
      "content-type": "application/json",
    });
    expect(confirmation.body).toEqual({
      arn: stats.arn,
      confirmationToken: token,
      enableUrl: `${url}/confirmdestination/${token}`,
      messageType: "DestinationConfirmation",
    });

    await update("hub-1", { state: { reported: { firmwareVersion: "1.0.0" } }, clientToken: "t1" });
    await control.setConnected("hub-1", true);
    await update("hub-1", { state: { reported: { mode: "eco" } } }, "settings");
    await waitUntil(async () => (await control.ruleStats()).queued === 3, "three messages queued");
    expect(sink.messages()).toEqual([]);

    const wrong = await iot
      .send(new ConfirmTopicRuleDestinationCommand({ confirmationToken: "not-the-token" }))
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(InvalidRequestException);
    const confirmed = await iot.send(new ConfirmTopicRuleDestinationCommand({ confirmationToken: token }));
    expect(confirmed.$metadata.httpStatusCode).toBe(200);

    await waitUntil(() => sink.messages().length === 3, "the queued messages");
    expect(await control.ruleStats()).toMatchObject({
      status: "ENABLED",
      delivered: 3,
      queued: 0,
      failed: 0,
    });
    for (const request of sink.received.slice(1)) {
      expect(request.path).toBe("/ingest");
      expect(request.headers).toMatchObject({ "x-ingest-key": "k1", "content-type": "application/json" });
    }
    const byType = (type: string) => sink.messages().filter((m) => m.messageType === type);
    const documents = byType("shadow-document");
    expect(documents).toContainEqual({
      current: {
        state: { reported: { firmwareVersion: "1.0.0" } },
        metadata: { reported: { firmwareVersion: { timestamp: expect.any(Number) } } },
        version: 1,
      },
      timestamp: expect.any(Number),
      clientToken: "t1",
      thingName: "hub-1",
      messageType: "shadow-document",
    });
    expect(documents).toContainEqual(
      expect.objectContaining({ thingName: "hub-1", shadowName: "settings", messageType: "shadow-document" }),
    );
    expect(byType("presence")).toEqual([
      {
        clientId: "hub-1",
        timestamp: expect.any(Number),
        eventType: "connected",
        sessionIdentifier: expect.stringMatching(/^[0-9a-f-]{36}$/),
        principalIdentifier: expect.any(String),
        versionNumber: 1,
        messageType: "presence",
      },
    ]);

    // Once enabled, messages flow at once; a second update carries `previous`.
    await update("hub-1", { state: { reported: { firmwareVersion: "1.0.1" } } });
    await waitUntil(() => sink.messages().length === 4, "the next document");
    expect(sink.messages()[3]).toMatchObject({
      previous: { state: { reported: { firmwareVersion: "1.0.0" } }, version: 1 },
      current: { state: { reported: { firmwareVersion: "1.0.1" } }, version: 2 },
    });
  });

  it("a GET on the enableUrl confirms too, unsigned", async () => {
    const confirmation = await configure();
    const { enableUrl } = confirmation.body as { enableUrl: string };
    const response = await fetch(enableUrl);
    expect(response.status).toBe(200);
    expect((await control.ruleStats()).status).toBe("ENABLED");
  });

  it("retries the confirmation while the destination fails, and redelivers a message answered 500 twice", async () => {
    sink.answer((_request, index) => (index < 2 ? 503 : 200));
    await control.configureRule({ url: `${sink.url}/ingest` });
    await waitUntil(() => sink.confirmations().length === 3, "the confirmation to be retried");
    await control.confirmRule();

    let failures = 0;
    sink.answer((request) => {
      const body = request.body as { messageType?: string };
      return body.messageType === "shadow-document" && failures++ < 2 ? 500 : 200;
    });
    await update("hub-1", { state: { reported: { a: 1 } } });
    await waitUntil(async () => (await control.ruleStats()).delivered === 1, "the message to be delivered");
    expect(sink.messages()).toHaveLength(3);
    expect(new Set(sink.messages().map((m) => JSON.stringify(m))).size).toBe(1);
    expect(await control.ruleStats()).toMatchObject({ failed: 2, delivered: 1, queued: 0 });
  });

  it("with batchSize 3 delivers arrays of messages", async () => {
    await configure({ batchSize: 3 });
    await control.confirmRule();
    for (const a of [1, 2, 3]) await update("hub-1", { state: { reported: { a } } });
    await waitUntil(() => sink.messages().length === 1, "a batch");
    const batch = sink.messages()[0] as unknown as Record<string, unknown>[];
    expect(Array.isArray(batch)).toBe(true);
    expect(batch.map((m) => (m.current as { version: number }).version).sort()).toEqual([1, 2, 3]);
    // A partial batch goes after a short wait, still as an array.
    await update("hub-1", { state: { reported: { a: 4 } } });
    await waitUntil(() => sink.messages().length === 2, "the partial batch");
    expect(sink.messages()[1]).toEqual([expect.objectContaining({ messageType: "shadow-document" })]);
  });

  it("carries the backend's command, the hub's answer and the hub's presence, and never logs message bodies", async () => {
    await configure();
    await control.confirmRule();
    const command = {
      state: {
        desired: {
          commands: {
            w1: { command: "set_wifi_credentials", args: { ssid: "home", credentials: "hunter2-secret" } },
          },
        },
      },
      clientToken: "w1",
    };
    await update("hub-1", command);
    await waitUntil(() => sink.messages().length === 2, "the command and the hub's answer");
    const answer = sink.messages().find((m) => {
      const reported = (m.current as { state: { reported?: { commands?: Record<string, unknown> } } }).state
        .reported;
      return reported?.commands?.w1 !== undefined;
    });
    expect(answer).toMatchObject({
      current: {
        state: { reported: { commands: { w1: { status: "SUCCEEDED", result: { ssid: "home" } } } } },
      },
    });

    await control.setConnected("hub-1", true);
    await control.setHubBehaviour("hub-1", { mode: "offline" });
    await control.setHubBehaviour("hub-1", { mode: "answer" });
    await control.setConnected("hub-1", false, "SERVER_INITIATED_DISCONNECT");
    await waitUntil(
      () => sink.messages().filter((m) => m.messageType === "presence").length === 4,
      "four presence events",
    );
    const presence = sink.messages().filter((m) => m.messageType === "presence");
    // Delivery is unordered; versionNumber gives the order.
    const [first, down, up, last] = [...presence].sort(
      (a, b) => (a.versionNumber as number) - (b.versionNumber as number),
    );
    expect(first).toMatchObject({ eventType: "connected", versionNumber: 1 });
    expect(first).not.toHaveProperty("disconnectReason");
    expect(down).toMatchObject({
      eventType: "disconnected",
      disconnectReason: "CONNECTION_LOST",
      versionNumber: 2,
    });
    // A disconnect ends the session it belongs to; a connect starts a new one.
    expect(down?.sessionIdentifier).toBe(first?.sessionIdentifier);
    expect(up).toMatchObject({ eventType: "connected", versionNumber: 3 });
    expect(up?.sessionIdentifier).not.toBe(down?.sessionIdentifier);
    expect(last).toMatchObject({
      eventType: "disconnected",
      disconnectReason: "SERVER_INITIATED_DISCONNECT",
      versionNumber: 4,
      sessionIdentifier: up?.sessionIdentifier,
    });

    expect(JSON.stringify(logs)).not.toContain("hunter2-secret");
    expect(JSON.stringify(logs)).toContain("shadow-document");
  });

  it("chaos: duplicate sends every message twice; reorder still delivers every message", async () => {
    await configure();
    await control.confirmRule();
    await control.setRuleChaos({ duplicate: true, reorder: true });
    for (const a of [1, 2, 3, 4]) await update("hub-1", { state: { reported: { a } } });
    await waitUntil(() => sink.messages().length === 8, "every message twice");
    const versions = sink.messages().map((m) => (m.current as { version: number }).version);
    expect(versions.sort()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it("a destination can be removed; without one, messages go nowhere", async () => {
    await configure();
    await control.removeRule();
    await expect(control.ruleStats()).rejects.toThrow(/404/);
    await update("hub-1", { state: { reported: { a: 1 } } });
    await expect(control.confirmRule("anything")).rejects.toThrow(/400/);
  });

  it("is configured from the environment at start", async () => {
    const env = loadEnv({
      IOT_EMULATOR_RULE_URL: `${sink.url}/from-env`,
      IOT_EMULATOR_RULE_HEADERS: JSON.stringify({ "x-ingest-key": "env" }),
      IOT_EMULATOR_RULE_BATCH_SIZE: "2",
    });
    expect(env.ruleDestination).toEqual({
      url: `${sink.url}/from-env`,
      headers: { "x-ingest-key": "env" },
      batchSize: 2,
    });
    const other = createRegistryServer({
      store: new MemoryRegistryStore(),
      ...(env.ruleDestination === undefined ? {} : { ruleDestination: env.ruleDestination }),
    });
    const started = await other.listen(0, "127.0.0.1");
    try {
      await waitUntil(() => sink.confirmations().length === 1, "the confirmation at start");
      expect(sink.confirmations()[0]?.path).toMatch(/^\/from-env\?confirmationToken=/);
      expect(await emulatorControl(started.url).ruleStats()).toMatchObject({
        batchSize: 2,
        status: "PENDING",
      });
    } finally {
      await other.close();
    }
  });
});
