import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  GetThingConnectivityDataCommand,
  InvalidRequestException,
  IoTClient,
  ListThingsCommand,
  type ListThingsCommandInput,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  VersionConflictException,
} from "@aws-sdk/client-iot";
import { waitUntil } from "@hub/test-support/wait";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRegistryServer,
  FileRegistryStore,
  MemoryRegistryStore,
  type RegistryServer,
  type RegistryStore,
} from "../src/index.ts";

const ACCOUNT = "123456789012";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Well-formed but unverified SigV4 header, for raw requests past the auth check. */
const FAKE_AUTH =
  "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/iot/aws4_request, SignedHeaders=host;x-amz-date, " +
  `Signature=${"a".repeat(64)}`;

function makeClient(endpoint: string, maxAttempts?: number): IoTClient {
  return new IoTClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
}

async function start(store: RegistryStore = new MemoryRegistryStore()) {
  const server = createRegistryServer({ store, region: "us-east-1", accountId: ACCOUNT });
  const { url, port } = await server.listen(0, "127.0.0.1");
  return { server, url, port };
}

describe("IoT registry emulator driven by @aws-sdk/client-iot", () => {
  let server: RegistryServer;
  let url: string;
  let iot: IoTClient;
  const extraClients: IoTClient[] = [];

  beforeEach(async () => {
    ({ server, url } = await start());
    iot = makeClient(url);
  });

  afterEach(async () => {
    iot.destroy();
    for (const client of extraClients.splice(0)) client.destroy();
    await server.close();
  });

  it("listens on an ephemeral port", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toBe("http://127.0.0.1:0");
  });

  it("CreateThing then DescribeThing returns every field", async () => {
    const created = await iot.send(
      new CreateThingCommand({
        thingName: "sensor-1",
        thingTypeName: "thermostat",
        billingGroupName: "lab",
        attributePayload: { attributes: { room: "kitchen", floor: "2" } },
      }),
    );
    expect(created.thingName).toBe("sensor-1");
    expect(created.thingId).toMatch(UUID);
    expect(created.thingArn).toBe(`arn:aws:iot:us-east-1:${ACCOUNT}:thing/sensor-1`);

    const thing = await iot.send(new DescribeThingCommand({ thingName: "sensor-1" }));
    expect(thing).toMatchObject({
      thingName: "sensor-1",
      thingId: created.thingId,
      thingArn: created.thingArn,
      thingTypeName: "thermostat",
      billingGroupName: "lab",
      attributes: { room: "kitchen", floor: "2" },
      version: 1,
      defaultClientId: "sensor-1",
    });
    expect(thing.$metadata.httpStatusCode).toBe(200);
    expect(thing.$metadata.requestId).toMatch(UUID);
  });

  it("DescribeThing of a missing thing throws ResourceNotFoundException", async () => {
    const error = await iot.send(new DescribeThingCommand({ thingName: "ghost" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect((error as ResourceNotFoundException).message).toContain("ghost");
  });

  it("CreateThing twice with a different configuration throws ResourceAlreadyExistsException", async () => {
    const first = await iot.send(new CreateThingCommand({ thingName: "dup" }));
    const error = await iot
      .send(new CreateThingCommand({ thingName: "dup", attributePayload: { attributes: { a: "1" } } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceAlreadyExistsException);
    expect(error).toMatchObject({ resourceId: first.thingId, resourceArn: first.thingArn });
    expect((error as ResourceAlreadyExistsException).$metadata.httpStatusCode).toBe(409);
  });

  it("CreateThing twice with the same configuration succeeds and keeps the thing (AWS semantics)", async () => {
    const input = { thingName: "same", attributePayload: { attributes: { a: "1" } } };
    const first = await iot.send(new CreateThingCommand(input));
    const second = await iot.send(new CreateThingCommand(input));
    expect(second.thingId).toBe(first.thingId);
  });

  it("ListThings paginates 7 things with maxResults 3, visiting each exactly once", async () => {
    const names = ["t-a", "t-b", "t-c", "t-d", "t-e", "t-f", "t-g"];
    // Create out of order: pagination must not depend on insertion order.
    for (const name of [...names].reverse()) await iot.send(new CreateThingCommand({ thingName: name }));

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await iot.send(
        new ListThingsCommand({ maxResults: 3, ...(nextToken ? { nextToken } : {}) }),
      );
      pageSizes.push(page.things?.length ?? 0);
      for (const thing of page.things ?? []) seen.push(thing.thingName ?? "");
      nextToken = page.nextToken;
    } while (nextToken !== undefined && pageSizes.length < 10);

    expect(pageSizes).toEqual([3, 3, 1]);
    expect([...seen].sort()).toEqual(names);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("ListThings defaults to 50 per page and rejects maxResults outside 1..250", async () => {
    const page = await iot.send(new ListThingsCommand({}));
    expect(page.things).toEqual([]);
    expect(page.nextToken).toBeUndefined();
    await expect(iot.send(new ListThingsCommand({ maxResults: 251 }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    await expect(iot.send(new ListThingsCommand({ nextToken: "not-a-token" }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
  });

  it("ListThings filters by attribute (exact and prefix) and by thing type", async () => {
    await iot.send(
      new CreateThingCommand({ thingName: "red", attributePayload: { attributes: { color: "red" } } }),
    );
    await iot.send(
      new CreateThingCommand({
        thingName: "reddish",
        thingTypeName: "lamp",
        attributePayload: { attributes: { color: "reddish" } },
      }),
    );
    await iot.send(
      new CreateThingCommand({ thingName: "blue", attributePayload: { attributes: { color: "blue" } } }),
    );
    await iot.send(new CreateThingCommand({ thingName: "plain" }));

    const names = async (input: ListThingsCommandInput) =>
      ((await iot.send(new ListThingsCommand(input))).things ?? []).map((t) => t.thingName);

    expect(await names({ attributeName: "color", attributeValue: "red" })).toEqual(["red"]);
    expect(
      await names({ attributeName: "color", attributeValue: "red", usePrefixAttributeValue: true }),
    ).toEqual(["red", "reddish"]);
    expect(await names({ thingTypeName: "lamp" })).toEqual(["reddish"]);
    const [blue] = (await iot.send(new ListThingsCommand({ attributeName: "color", attributeValue: "blue" })))
      .things ?? [undefined];
    expect(blue).toMatchObject({
      thingName: "blue",
      thingArn: `arn:aws:iot:us-east-1:${ACCOUNT}:thing/blue`,
      attributes: { color: "blue" },
      version: 1,
    });
  });

  it("DeleteThing removes the thing; describe then throws ResourceNotFoundException", async () => {
    await iot.send(new CreateThingCommand({ thingName: "doomed" }));
    await expect(iot.send(new DescribeThingCommand({ thingName: "doomed" }))).resolves.toBeDefined();
    await iot.send(new DeleteThingCommand({ thingName: "doomed" }));
    await expect(iot.send(new DescribeThingCommand({ thingName: "doomed" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it("DeleteThing checks expectedVersion and succeeds for a missing thing (AWS semantics)", async () => {
    await iot.send(new CreateThingCommand({ thingName: "versioned" }));
    await expect(
      iot.send(new DeleteThingCommand({ thingName: "versioned", expectedVersion: 7 })),
    ).rejects.toBeInstanceOf(VersionConflictException);
    await expect(iot.send(new DescribeThingCommand({ thingName: "versioned" }))).resolves.toMatchObject({
      version: 1,
    });
    await iot.send(new DeleteThingCommand({ thingName: "versioned", expectedVersion: 1 }));
    const missing = await iot.send(new DeleteThingCommand({ thingName: "never-existed" }));
    expect(missing.$metadata.httpStatusCode).toBe(200);
  });

  it.each(["has space", "slash/inside", "dot.name", "x".repeat(129)])(
    "rejects the thing name %j with InvalidRequestException",
    async (thingName) => {
      const error = await iot.send(new CreateThingCommand({ thingName })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestException);
      expect((error as InvalidRequestException).$metadata.httpStatusCode).toBe(400);
    },
  );

  it("accepts a 128-character name using every allowed character class", async () => {
    const thingName = `aZ0:_-${"x".repeat(122)}`;
    expect(thingName).toHaveLength(128);
    const created = await iot.send(new CreateThingCommand({ thingName }));
    expect(created.thingName).toBe(thingName);
  });

  it("answers an unsigned request with 401 UnauthorizedException", async () => {
    const response = await fetch(`${url}/things/sensor-1`);
    expect(response.status).toBe(401);
    expect(response.headers.get("x-amzn-errortype")).toBe("UnauthorizedException");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-amzn-requestid")).toMatch(UUID);
    expect(await response.json()).toEqual({ message: expect.any(String) });

    const malformed = await fetch(`${url}/things`, { headers: { authorization: "Bearer abc" } });
    expect(malformed.status).toBe(401);
    expect(malformed.headers.get("x-amzn-errortype")).toBe("UnauthorizedException");
  });

  it("answers an unknown route with 404 and an error type", async () => {
    const response = await fetch(`${url}/thing-groups/g1`, { headers: { authorization: FAKE_AUTH } });
    expect(response.status).toBe(404);
    expect(response.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    expect(await response.json()).toEqual({ message: expect.stringContaining("/thing-groups/g1") });
  });

  it("answers a wrong method, an empty thing name and an unknown control with 404 UnknownOperationException", async () => {
    const cases = [
      ["PUT", "/things/sensor-1", "The IoT registry emulator does not implement PUT /things/sensor-1."],
      ["POST", "/things", "The IoT registry emulator does not implement POST /things."],
      ["GET", "/things/", "The IoT registry emulator does not implement GET /things/."],
      [
        "GET",
        "/things/sensor-1/connectivity-data",
        "The IoT registry emulator does not implement GET /things/sensor-1/connectivity-data.",
      ],
      ["GET", "/__emulator/fault", "No emulator control at GET /__emulator/fault."],
      ["POST", "/__emulator/health", "No emulator control at POST /__emulator/health."],
    ] as const;
    for (const [method, path, message] of cases) {
      const response = await fetch(`${url}${path}`, { method, headers: { authorization: FAKE_AUTH } });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.text()).toBe(JSON.stringify({ message }));
    }
  });

  it("decodes a percent-encoded thing name in the path; a malformed escape is 400 InvalidRequestException", async () => {
    await iot.send(new CreateThingCommand({ thingName: "a:b" }));
    const described = await fetch(`${url}/things/a%3Ab`, { headers: { authorization: FAKE_AUTH } });
    expect(described.status).toBe(200);
    expect(await described.json()).toMatchObject({ thingName: "a:b" });

    const malformed = await fetch(`${url}/things/a%ZZb`, { headers: { authorization: FAKE_AUTH } });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("x-amzn-errortype")).toBe("InvalidRequestException");
    expect(await malformed.text()).toBe(
      JSON.stringify({ message: "The request path is not validly percent-encoded." }),
    );
  });

  it("serves the admin endpoints without SigV4", async () => {
    const health = await fetch(`${url}/__emulator/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    const bad = await fetch(`${url}/__emulator/fault`, { method: "POST", body: '{"mode":"explode"}' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-amzn-errortype")).toBe("InvalidRequestException");
  });

  it("fault 'unavailable' makes the SDK throw ServiceUnavailableException, for `times` requests", async () => {
    const oneShot = makeClient(url, 1);
    extraClients.push(oneShot);
    server.faults.setFault({ mode: "unavailable", times: 1 });
    const error = await oneShot.send(new DescribeThingCommand({ thingName: "any" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect((error as ServiceUnavailableException).$metadata.httpStatusCode).toBe(503);
    expect(server.faults.current()).toEqual({ mode: "none" });
    await expect(oneShot.send(new ListThingsCommand({}))).resolves.toMatchObject({ things: [] });
  });

  it("fault 'throttle' set over HTTP makes the SDK throw ThrottlingException", async () => {
    const oneShot = makeClient(url, 1);
    extraClients.push(oneShot);
    const response = await fetch(`${url}/__emulator/fault`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ mode: "throttle" }),
    });
    expect(response.status).toBe(200);
    expect(server.faults.current()).toEqual({ mode: "throttle" });
    const error = await oneShot.send(new ListThingsCommand({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(400);
  });

  it("GetThingConnectivityData: disconnected until the device connects over the control API, then connected; DescribeThing does not show it", async () => {
    await iot.send(new CreateThingCommand({ thingName: "hub-7" }));
    expect(await iot.send(new GetThingConnectivityDataCommand({ thingName: "hub-7" }))).toMatchObject({
      thingName: "hub-7",
      connected: false,
    });
    const control = (connected: boolean, name = "hub-7") =>
      fetch(`${url}/__emulator/things/${name}/connectivity`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ connected }),
      });
    expect((await control(true)).status).toBe(200);
    const online = await iot.send(new GetThingConnectivityDataCommand({ thingName: "hub-7" }));
    expect(online.connected).toBe(true);
    expect(online.timestamp).toBeInstanceOf(Date);
    expect(await iot.send(new DescribeThingCommand({ thingName: "hub-7" }))).not.toHaveProperty(
      "connectivity",
    );
    expect((await control(false)).status).toBe(200);
    expect(await iot.send(new GetThingConnectivityDataCommand({ thingName: "hub-7" }))).toMatchObject({
      connected: false,
      disconnectReason: "CLIENT_INITIATED_DISCONNECT",
    });
    expect((await control(true, "no-such-thing")).status).toBe(404);
    const missing = await iot
      .send(new GetThingConnectivityDataCommand({ thingName: "no-such-thing" }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it("fault 'slow' holds the answer for delayMs, then answers normally", async () => {
    server.faults.setFault({ mode: "slow", delayMs: 300 });
    let answered = false;
    const call = iot.send(new ListThingsCommand({})).then((output) => {
      answered = true;
      return output;
    });
    // Seen held by the emulator (not inferred from elapsed time), and not answered meanwhile.
    await waitUntil(() => server.requests().inFlight === 1, "the request to be held");
    expect(answered).toBe(false);
    expect((await call).$metadata.httpStatusCode).toBe(200);
    expect(server.requests().inFlight).toBe(0);
  });

  it("fault 'hang' never answers: an aborted SDK call rejects with AbortError while the request is held", async () => {
    server.faults.setFault({ mode: "hang" });
    const controller = new AbortController();
    const call = iot
      .send(new DescribeThingCommand({ thingName: "any" }), { abortSignal: controller.signal })
      .catch((e: unknown) => e);
    await waitUntil(() => server.requests().inFlight === 1, "the request to be held");
    controller.abort();
    expect(await call).toMatchObject({ name: "AbortError" });
    // The abort closed the connection: the emulator no longer holds it.
    await waitUntil(() => server.requests().inFlight === 0, "the held request to be closed");
  });

  it("close() finishes while a request hangs, and the hanging request fails", async () => {
    server.faults.setFault({ mode: "hang" });
    const pending = fetch(`${url}/things`, { headers: { authorization: FAKE_AUTH } }).then(
      () => "answered",
      () => "failed",
    );
    await waitUntil(() => server.requests().inFlight === 1, "the request to be held");
    const started = performance.now();
    await server.close();
    // Not a latency check: without the socket tracking, close() would wait for the hang forever.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await pending).toBe("failed");
  });
});

describe("file store", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "iot-registry-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("persists things across a restart", async () => {
    const first = await start(await FileRegistryStore.open(dir));
    const client1 = makeClient(first.url);
    const created = await client1.send(
      new CreateThingCommand({ thingName: "kept", attributePayload: { attributes: { k: "v" } } }),
    );
    await client1.send(new CreateThingCommand({ thingName: "dropped" }));
    await client1.send(new DeleteThingCommand({ thingName: "dropped" }));
    client1.destroy();
    await first.server.close();

    expect((await readdir(dir)).sort()).toEqual(["things.json"]);
    const onDisk = JSON.parse(await readFile(join(dir, "things.json"), "utf8")) as { things: unknown[] };
    expect(onDisk.things).toHaveLength(1);

    const second = await start(await FileRegistryStore.open(dir));
    const client2 = makeClient(second.url);
    try {
      const thing = await client2.send(new DescribeThingCommand({ thingName: "kept" }));
      expect(thing).toMatchObject({ thingId: created.thingId, attributes: { k: "v" }, version: 1 });
      await expect(client2.send(new DescribeThingCommand({ thingName: "dropped" }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
    } finally {
      client2.destroy();
      await second.server.close();
    }
  });

  it("refuses to open a corrupt file instead of overwriting it", async () => {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "things.json"), "{not json", "utf8");
    await expect(FileRegistryStore.open(dir)).rejects.toThrow(/not valid JSON/);
  });

  it("serialises concurrent writes and keeps the last state", async () => {
    const store = await FileRegistryStore.open(dir);
    const base = { thingId: "id", thingArn: "arn", attributes: {}, version: 1 };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.insert({ ...base, thingName: `n${i}`, defaultClientId: `n${i}` }),
      ),
    );
    await store.delete("n3");
    const reopened = await FileRegistryStore.open(dir);
    expect(reopened.list().map((t) => t.thingName)).toHaveLength(19);
    expect(reopened.get("n3")).toBeUndefined();
    expect(reopened.get("n19")).toMatchObject({ thingName: "n19" });
  });
});
