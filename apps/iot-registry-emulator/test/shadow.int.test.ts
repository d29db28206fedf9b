import { CreateThingCommand, DeleteThingCommand, IoTClient } from "@aws-sdk/client-iot";
import {
  ConflictException,
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  InvalidRequestException,
  IoTDataPlaneClient,
  ListNamedShadowsForThingCommand,
  RequestEntityTooLargeException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  UpdateThingShadowCommand,
} from "@aws-sdk/client-iot-data-plane";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRegistryServer, MemoryRegistryStore, type RegistryServer } from "../src/index.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const decode = (payload: Uint8Array | undefined) =>
  JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown> & {
    state: Record<string, unknown>;
    metadata: Record<string, unknown>;
    version: number;
  };
const encode = (document: unknown) => new TextEncoder().encode(JSON.stringify(document));
const NOW_S = () => Math.floor(Date.now() / 1000);

describe("Device Shadow REST API driven by @aws-sdk/client-iot-data-plane", () => {
  let server: RegistryServer;
  let url: string;
  let iot: IoTClient;
  let data: IoTDataPlaneClient;

  const update = async (thingName: string, document: unknown, shadowName?: string) =>
    decode(
      (
        await data.send(
          new UpdateThingShadowCommand({
            thingName,
            payload: encode(document),
            ...(shadowName === undefined ? {} : { shadowName }),
          }),
        )
      ).payload,
    );
  const get = async (thingName: string, shadowName?: string) =>
    decode(
      (
        await data.send(
          new GetThingShadowCommand({ thingName, ...(shadowName === undefined ? {} : { shadowName }) }),
        )
      ).payload,
    );

  beforeEach(async () => {
    server = createRegistryServer({ store: new MemoryRegistryStore(), hubDelayMs: 10 });
    ({ url } = await server.listen(0, "127.0.0.1"));
    iot = new IoTClient({ endpoint: url, region: "us-east-1", credentials });
    data = new IoTDataPlaneClient({ endpoint: url, region: "us-east-1", credentials, maxAttempts: 1 });
    await iot.send(new CreateThingCommand({ thingName: "lamp" }));
    // The lamp's simulated hub would answer commands; these tests are about the shadow service alone.
    await server.hubs.setBehaviour("lamp", { mode: "silent" });
  });

  afterEach(async () => {
    iot.destroy();
    data.destroy();
    await server.close();
  });

  it("update creates the classic shadow; get returns state, delta, metadata and version; delete ends it", async () => {
    const before = NOW_S();
    const accepted = await update("lamp", {
      state: { desired: { power: "on", color: { r: 255, g: 0 } }, reported: { power: "off" } },
      clientToken: "tok-1",
    });
    expect(accepted).toEqual({
      state: { desired: { power: "on", color: { r: 255, g: 0 } }, reported: { power: "off" } },
      metadata: {
        desired: {
          power: { timestamp: expect.any(Number) },
          color: { r: { timestamp: expect.any(Number) }, g: { timestamp: expect.any(Number) } },
        },
        reported: { power: { timestamp: expect.any(Number) } },
      },
      version: 1,
      timestamp: expect.any(Number),
      clientToken: "tok-1",
    });
    expect(accepted.timestamp as number).toBeGreaterThanOrEqual(before);

    const shadow = await get("lamp");
    expect(shadow).toEqual({
      state: {
        desired: { power: "on", color: { r: 255, g: 0 } },
        reported: { power: "off" },
        delta: { power: "on", color: { r: 255, g: 0 } },
      },
      metadata: {
        desired: {
          power: { timestamp: expect.any(Number) },
          color: { r: { timestamp: expect.any(Number) }, g: { timestamp: expect.any(Number) } },
        },
        reported: { power: { timestamp: expect.any(Number) } },
      },
      version: 1,
      timestamp: expect.any(Number),
    });

    const deleted = await data.send(new DeleteThingShadowCommand({ thingName: "lamp" }));
    expect(decode(deleted.payload)).toEqual({ version: 1, timestamp: expect.any(Number) });
    await expect(get("lamp")).rejects.toBeInstanceOf(ResourceNotFoundException);
    // The numbering goes on after a delete, as on AWS.
    expect((await update("lamp", { state: { reported: { power: "on" } } })).version).toBe(2);
  });

  it("merges deeply, removes keys set to null (pruning empty objects), and computes the delta", async () => {
    await update("lamp", {
      state: {
        desired: { power: "on", color: { r: 1, g: 2 }, schedule: { on: "07:00" } },
        reported: { power: "on", color: { r: 1, g: 3 } },
      },
    });
    await update("lamp", { state: { desired: { color: { g: 3 }, schedule: { on: null } } } });
    const shadow = await get("lamp");
    expect(shadow.state).toEqual({
      desired: { power: "on", color: { r: 1, g: 3 } },
      reported: { power: "on", color: { r: 1, g: 3 } },
    });
    expect(shadow.metadata).not.toHaveProperty("desired.schedule");
    expect(shadow.version).toBe(2);

    await update("lamp", { state: { desired: { power: "off", color: null } } });
    const after = await get("lamp");
    expect(after.state).toEqual({
      desired: { power: "off" },
      reported: { power: "on", color: { r: 1, g: 3 } },
      delta: { power: "off" },
    });
    // A whole section set to null goes away.
    await update("lamp", { state: { desired: null } });
    expect((await get("lamp")).state).toEqual({ reported: { power: "on", color: { r: 1, g: 3 } } });
  });

  it("a stale version is 409 ConflictException; the current version is accepted", async () => {
    await update("lamp", { state: { reported: { a: 1 } } });
    await update("lamp", { state: { reported: { a: 2 } } });
    const error = await update("lamp", { state: { reported: { a: 3 } }, version: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    expect((await update("lamp", { state: { reported: { a: 3 } }, version: 2 })).version).toBe(3);
  });

  it("a missing Thing and a missing shadow are 404 ResourceNotFoundException", async () => {
    const noThing = await get("ghost").catch((e: unknown) => e);
    expect(noThing).toBeInstanceOf(ResourceNotFoundException);
    expect((noThing as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    await expect(update("ghost", { state: { reported: { a: 1 } } })).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );

    const noShadow = await get("lamp").catch((e: unknown) => e);
    expect(noShadow).toBeInstanceOf(ResourceNotFoundException);
    expect((noShadow as Error).message).toBe("No shadow exists with name: ''");
    const noNamed = await get("lamp", "settings").catch((e: unknown) => e);
    expect((noNamed as Error).message).toBe("No shadow exists with name: 'settings'");
    await expect(data.send(new DeleteThingShadowCommand({ thingName: "lamp" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it("errors have the data plane's wire shape: status, x-amzn-ErrorType and {code, message}", async () => {
    const auth =
      "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/iotdevicegateway/aws4_request, " +
      `SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`;
    const response = await fetch(`${url}/things/lamp/shadow?name=nope`, { headers: { authorization: auth } });
    expect(response.status).toBe(404);
    expect(response.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(await response.json()).toEqual({ code: 404, message: "No shadow exists with name: 'nope'" });
    // The control plane's signing name is not the data plane's.
    const wrongService = await fetch(`${url}/things/lamp/shadow`, {
      headers: { authorization: auth.replace("iotdevicegateway", "iot") },
    });
    expect(wrongService.status).toBe(401);
  });

  it("limits: state over 8 KB is 413, nesting over 6 levels and a 65-byte clientToken are 400, so is bad JSON", async () => {
    const big = await update("lamp", { state: { desired: { blob: "x".repeat(8 * 1024) } } }).catch(
      (e: unknown) => e,
    );
    expect(big).toBeInstanceOf(RequestEntityTooLargeException);
    expect((big as RequestEntityTooLargeException).$metadata.httpStatusCode).toBe(413);

    const sixLevels = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    expect((await update("lamp", { state: { desired: sixLevels } })).version).toBe(1);
    const sevenLevels = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
    await expect(update("lamp", { state: { desired: sevenLevels } })).rejects.toBeInstanceOf(
      InvalidRequestException,
    );

    await expect(
      update("lamp", { state: { reported: { a: 1 } }, clientToken: "t".repeat(65) }),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    expect(
      (await update("lamp", { state: { reported: { a: 1 } }, clientToken: "t".repeat(64) })).version,
    ).toBe(2);

    const malformed = await data
      .send(new UpdateThingShadowCommand({ thingName: "lamp", payload: new TextEncoder().encode("{nope") }))
      .catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(InvalidRequestException);
    await expect(update("lamp", { state: { delta: { a: 1 } } })).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    await expect(update("lamp", { state: { reported: { a: 1 } }, metadata: {} })).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    // None of the refused updates changed the shadow.
    expect((await get("lamp")).version).toBe(2);
  });

  it("named shadows are separate from the classic one and listed by ListNamedShadowsForThing", async () => {
    await update("lamp", { state: { reported: { where: "classic" } } });
    await update("lamp", { state: { reported: { where: "settings" } } }, "settings");
    await update("lamp", { state: { reported: { where: "$firmware" } } }, "$firmware");
    await update("lamp", { state: { reported: { where: "a:b_c-d" } } }, "a:b_c-d");
    expect((await get("lamp")).state).toEqual({ reported: { where: "classic" } });
    expect((await get("lamp", "settings")).state).toEqual({ reported: { where: "settings" } });
    expect((await get("lamp", "settings")).version).toBe(1);

    const all = await data.send(new ListNamedShadowsForThingCommand({ thingName: "lamp" }));
    expect(all.results).toEqual(["$firmware", "a:b_c-d", "settings"]);
    expect(all.nextToken).toBeUndefined();
    const first = await data.send(new ListNamedShadowsForThingCommand({ thingName: "lamp", pageSize: 2 }));
    expect(first.results).toEqual(["$firmware", "a:b_c-d"]);
    const second = await data.send(
      new ListNamedShadowsForThingCommand({ thingName: "lamp", pageSize: 2, nextToken: first.nextToken }),
    );
    expect(second.results).toEqual(["settings"]);
    expect(second.nextToken).toBeUndefined();

    await expect(get("lamp", "bad name")).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(get("lamp", "x".repeat(65))).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(
      data.send(new ListNamedShadowsForThingCommand({ thingName: "ghost" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("deleting the Thing deletes its shadows", async () => {
    await update("lamp", { state: { reported: { a: 1 } } });
    await update("lamp", { state: { reported: { a: 1 } } }, "settings");
    await iot.send(new DeleteThingCommand({ thingName: "lamp" }));
    await iot.send(new CreateThingCommand({ thingName: "lamp" }));
    await expect(get("lamp")).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect((await data.send(new ListNamedShadowsForThingCommand({ thingName: "lamp" }))).results).toEqual([]);
  });

  it("a fault scoped to UpdateThingShadow fails updates only, for `times` of them", async () => {
    await update("lamp", { state: { reported: { a: 1 } } });
    server.faults.setFault({ mode: "unavailable", operations: ["UpdateThingShadow"], times: 1 });
    // Other operations pass untouched and do not use up the fault.
    expect((await get("lamp")).version).toBe(1);
    const error = await update("lamp", { state: { reported: { a: 2 } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(server.faults.current()).toEqual({ mode: "none" });
    expect((await update("lamp", { state: { reported: { a: 2 } } })).version).toBe(2);

    // Set over HTTP, throttling, unscoped to the data plane: the SDK's class, the data plane's 429.
    const response = await fetch(`${url}/__emulator/fault`, {
      method: "POST",
      body: JSON.stringify({ mode: "throttle", operations: ["GetThingShadow"] }),
    });
    expect(response.status).toBe(200);
    const throttled = await get("lamp").catch((e: unknown) => e);
    expect((throttled as Error).name).toBe("ThrottlingException");
    expect((throttled as ThrottledError).$metadata.httpStatusCode).toBe(429);
    expect((await update("lamp", { state: { reported: { a: 3 } } })).version).toBe(3);

    // A misspelt operation is refused rather than silently faulting nothing.
    const misspelt = await fetch(`${url}/__emulator/fault`, {
      method: "POST",
      body: JSON.stringify({ mode: "unavailable", operations: ["UpdateShadow"] }),
    });
    expect(misspelt.status).toBe(400);
  });
});

type ThrottledError = Error & { $metadata: { httpStatusCode?: number } };
