import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BreakerState } from "../src/iot/aws-call.ts";
import {
  createIotDataPlane,
  type DataPlaneOperation,
  type IotDataPlane,
  type IotDataPlaneOptions,
} from "../src/iot/iot-data-plane.ts";
import { createShadowServer } from "./support/shadow-server.ts";

// The Device Shadow port over real HTTP, through the real SDK, against support/shadow-server.ts.

const shadowServer = createShadowServer();
const spans = new InMemorySpanExporter();
let endpoint = "";
const planes: IotDataPlane[] = [];

beforeAll(async () => {
  endpoint = await shadowServer.listen();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
});
afterEach(() => {
  shadowServer.setFault(undefined);
  shadowServer.releaseHanging();
});
afterAll(async () => {
  for (const plane of planes) plane.close();
  trace.disable();
  await shadowServer.close();
});

type Observed = { operation: DataPlaneOperation; outcome: string; seconds: number };

/** A data plane of its own (fresh breakers and limits) with short, test-sized deadlines. */
function dataPlane(overrides: Partial<IotDataPlaneOptions> = {}) {
  const observed: Observed[] = [];
  const transitions: Array<[DataPlaneOperation, BreakerState]> = [];
  const plane = createIotDataPlane({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    deadlineMs: 1500,
    attemptTimeoutMs: 1000,
    maxAttempts: 1,
    breakerThreshold: 3,
    breakerCooldownMs: 400,
    observe: (operation, outcome, seconds) => observed.push({ operation, outcome, seconds }),
    onBreakerState: (operation, state) => transitions.push([operation, state]),
    ...overrides,
  });
  planes.push(plane);
  return { plane, observed, transitions };
}

let things = 0;
const newThing = () => `hub-thing-${process.pid}-${++things}`;
const requestsSince = (before: number) => shadowServer.received.slice(before);

describe("the SDK client", () => {
  it("sends a signed request without the middlewares that do nothing here (user agent, Lambda trace id)", async () => {
    const { plane } = dataPlane({ maxAttempts: 2 });
    const thing = newThing();
    const before = shadowServer.received.length;
    expect(await plane.updateShadow(thing, { state: { desired: { a: 1 } } })).toMatchObject({
      outcome: "accepted",
    });
    expect(requestsSince(before)).toHaveLength(1);
    const headers = shadowServer.receivedHeaders[before];
    expect(headers?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\//);
    expect(headers?.["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    // The SDK's retry middleware still runs (it numbers the attempts).
    expect(headers?.["amz-sdk-request"]).toBe("attempt=1; max=2");
    expect(headers?.["x-amz-user-agent"]).toBeUndefined();
    expect(headers?.["user-agent"]).toBeUndefined();
    const traced = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = "Root=1-00000000-000000000000000000000000";
    process.env.AWS_LAMBDA_FUNCTION_NAME = "not-here";
    try {
      await plane.updateShadow(thing, { state: { desired: { a: 2 } } });
      expect(shadowServer.receivedHeaders.at(-1)?.["x-amzn-trace-id"]).toBeUndefined();
    } finally {
      if (traced === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = traced;
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
  });
});

describe("updateShadow", () => {
  it("accepts an update: the version, the accepted document, the JSON body the server received", async () => {
    const { plane, observed } = dataPlane();
    const thing = newThing();
    const command = {
      state: { desired: { commands: { c1: { command: "server_info" } } } },
      clientToken: "c1",
    };
    const before = shadowServer.received.length;
    const first = await plane.updateShadow(thing, command);
    expect(first).toEqual({
      outcome: "accepted",
      thingName: thing,
      version: 1,
      document: expect.objectContaining({ state: command.state, version: 1, clientToken: "c1" }),
    });
    expect(requestsSince(before)).toEqual([{ method: "POST", thing, body: JSON.stringify(command) }]);
    const second = await plane.updateShadow(thing, { state: { reported: { uptimeSeconds: 5 } } });
    expect(second).toMatchObject({ outcome: "accepted", version: 2 });
    expect(observed.map((o) => [o.operation, o.outcome])).toEqual([
      ["UpdateThingShadow", "accepted"],
      ["UpdateThingShadow", "accepted"],
    ]);
  });

  it("writes a named shadow with ?name=", async () => {
    const { plane } = dataPlane();
    const thing = newThing();
    const before = shadowServer.received.length;
    expect(
      await plane.updateShadow(thing, { state: { desired: { a: 1 } } }, { shadowName: "config" }),
    ).toMatchObject({ outcome: "accepted", version: 1 });
    expect(requestsSince(before)[0]).toMatchObject({ method: "POST", thing, name: "config" });
    expect(await plane.getShadow(thing)).toMatchObject({ outcome: "missing" });
    expect(await plane.getShadow(thing, { shadowName: "config" })).toMatchObject({ outcome: "found" });
  });

  it("answers a version conflict (409) as rejected, and many of them never open the breaker", async () => {
    const { plane, observed } = dataPlane();
    const thing = newThing();
    await plane.updateShadow(thing, { state: { desired: { a: 1 } } });
    for (let i = 0; i < 6; i++) {
      expect(await plane.updateShadow(thing, { state: { desired: { a: 2 } }, version: 99 })).toEqual({
        outcome: "rejected",
        thingName: thing,
        status: 409,
        code: "ConflictException",
        reason: "version conflict",
      });
    }
    expect(plane.breakerState("UpdateThingShadow")).toBe("closed");
    // Labelled "refused" in metrics: "rejected" is the open breaker's label, as for the registry.
    expect(observed.slice(1).every((o) => o.outcome === "refused")).toBe(true);
  });

  it("answers a document too large (413) as rejected", async () => {
    const { plane } = dataPlane();
    shadowServer.setFault({
      status: 413,
      code: "RequestEntityTooLargeException",
      message: "The payload exceeds the maximum size allowed",
    });
    expect(
      await plane.updateShadow(newThing(), { state: { desired: { big: "x".repeat(100) } } }),
    ).toMatchObject({
      outcome: "rejected",
      status: 413,
      code: "RequestEntityTooLargeException",
      reason: "document too large",
    });
    expect(plane.breakerState("UpdateThingShadow")).toBe("closed");
  });
});

describe("getShadow and deleteShadow", () => {
  it("finds a shadow, and answers missing for an unknown Thing; delete gives the last version", async () => {
    const { plane } = dataPlane();
    const thing = newThing();
    expect(await plane.getShadow(thing)).toEqual({ outcome: "missing", thingName: thing });
    await plane.updateShadow(thing, { state: { reported: { firmwareVersion: "1.2.3" } } });
    const found = await plane.getShadow(thing);
    expect(found).toMatchObject({
      outcome: "found",
      thingName: thing,
      document: { state: { reported: { firmwareVersion: "1.2.3" } }, version: 1 },
    });
    expect(await plane.deleteShadow(thing)).toEqual({ outcome: "deleted", thingName: thing, version: 1 });
    expect(await plane.deleteShadow(thing)).toEqual({ outcome: "missing", thingName: thing });
    expect(await plane.getShadow(thing)).toMatchObject({ outcome: "missing" });
  });
});

describe("when the service cannot answer", () => {
  it("503s are unavailable and open the breaker after the threshold; it fails fast with Retry-After, then half-opens and closes on an answer", async () => {
    const { plane, observed, transitions } = dataPlane();
    const thing = newThing();
    shadowServer.setFault({ status: 503, code: "ServiceUnavailableException" });
    for (let i = 0; i < 3; i++) {
      expect(await plane.updateShadow(thing, { state: { desired: { a: i } } })).toEqual({
        outcome: "unavailable",
        thingName: thing,
        // The error's name and code (the SDK copies the body's "code"); never its message.
        reason: "ServiceUnavailableException (ServiceUnavailableException)",
      });
    }
    expect(plane.breakerState("UpdateThingShadow")).toBe("open");
    // Each operation has its own breaker.
    expect(plane.breakerState("GetThingShadow")).toBe("closed");
    const before = shadowServer.received.length;
    const fast = await plane.updateShadow(thing, { state: { desired: { a: 9 } } });
    expect(fast).toMatchObject({ outcome: "unavailable", reason: "circuit open", retryAfterSeconds: 1 });
    expect(requestsSince(before)).toEqual([]);
    expect(observed.at(-1)?.outcome).toBe("rejected");

    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(plane.breakerState("UpdateThingShadow")).toBe("half-open");
    shadowServer.setFault(undefined);
    expect(await plane.updateShadow(thing, { state: { desired: { a: 10 } } })).toMatchObject({
      outcome: "accepted",
    });
    expect(plane.breakerState("UpdateThingShadow")).toBe("closed");
    expect(transitions).toEqual([
      ["UpdateThingShadow", "open"],
      ["UpdateThingShadow", "half-open"],
      ["UpdateThingShadow", "closed"],
    ]);
  });

  it("throttling (429) is unavailable and throttled, after the SDK's retries, and does not count toward the breaker", async () => {
    const { plane, observed } = dataPlane({ maxAttempts: 2 });
    shadowServer.setFault({ status: 429, code: "ThrottlingException", message: "Rate exceeded" });
    const before = shadowServer.received.length;
    // Past the breaker's threshold (3); the SDK backs off ~0.5 s or more before retrying a throttle.
    for (let i = 0; i < 4; i++) {
      expect(await plane.getShadow(newThing())).toMatchObject({
        outcome: "unavailable",
        reason: "throttled by AWS",
        throttled: true,
        retryAfterSeconds: 1,
      });
    }
    expect(requestsSince(before)).toHaveLength(8);
    expect(plane.breakerState("GetThingShadow")).toBe("closed");
    expect(new Set(observed.map((o) => o.outcome))).toEqual(new Set(["throttled"]));
  });

  it("a hanging server is unavailable at the deadline", async () => {
    const { plane, observed } = dataPlane({ deadlineMs: 300, attemptTimeoutMs: 2000 });
    shadowServer.setFault({ hang: true });
    const started = performance.now();
    const result = await plane.updateShadow(newThing(), { state: { desired: { a: 1 } } });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ outcome: "unavailable", reason: "no answer within 300 ms" });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1000);
    expect(observed[0]?.outcome).toBe("unavailable");
  });

  it("honours the caller's shorter deadline, and does not count it against the service", async () => {
    const { plane, observed } = dataPlane({ deadlineMs: 3000, attemptTimeoutMs: 3000, breakerThreshold: 1 });
    shadowServer.setFault({ hang: true });
    const started = performance.now();
    const result = await plane.getShadow(newThing(), { deadline: Date.now() + 150 });
    expect(performance.now() - started).toBeLessThan(1000);
    // The wait is the caller's remaining time when the call started: 150 ms, or a millisecond less.
    expect(result).toMatchObject({
      outcome: "unavailable",
      reason: expect.stringMatching(/^no answer within 1[45]\d ms$/),
    });
    expect(observed[0]?.outcome).toBe("deadline");
    expect(plane.breakerState("GetThingShadow")).toBe("closed");
    // A caller that disconnects: the same, at once.
    const abort = new AbortController();
    const call = plane.getShadow(newThing(), { signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    expect(await call).toMatchObject({ outcome: "unavailable", reason: "the caller disconnected" });
    expect(plane.breakerState("GetThingShadow")).toBe("closed");
  });

  it("the rate limit refuses a call it cannot fit before the caller's deadline, without a request; operations have their own", async () => {
    const { plane, observed } = dataPlane({ requestsPerSecond: { UpdateThingShadow: 1 } });
    const thing = newThing();
    expect(await plane.updateShadow(thing, { state: { desired: { a: 1 } } })).toMatchObject({
      outcome: "accepted",
    });
    const before = shadowServer.received.length;
    const refused = await plane.updateShadow(
      thing,
      { state: { desired: { a: 2 } } },
      { deadline: Date.now() + 200 },
    );
    expect(refused).toMatchObject({
      outcome: "unavailable",
      reason: "client-side rate limit",
      throttled: true,
      retryAfterSeconds: 1,
    });
    expect(requestsSince(before)).toEqual([]);
    expect(observed.at(-1)?.outcome).toBe("rate-limited");
    // GetThingShadow's limit is its own (the default), untouched by the updates.
    expect(await plane.getShadow(thing, { deadline: Date.now() + 200 })).toMatchObject({ outcome: "found" });
  });
});

describe("secrets", () => {
  it("no span, outcome or observation carries any part of a document, even when the server echoes it", async () => {
    const secret = "wifi-passphrase-6f1c2b";
    const document = {
      state: {
        desired: {
          commands: { c7: { command: "set_wifi_credentials", args: { ssid: "home", credentials: secret } } },
        },
      },
      clientToken: "c7",
    };
    const { plane, observed } = dataPlane({ breakerThreshold: 10 });
    const thing = newThing();
    spans.reset();
    const outcomes: unknown[] = [];
    outcomes.push(await plane.updateShadow(thing, document));
    outcomes.push(await plane.getShadow(thing));
    // A server whose error messages quote the request: refused, unavailable, too large.
    for (const [status, code] of [
      [400, "InvalidRequestException"],
      [503, "ServiceUnavailableException"],
      [413, "RequestEntityTooLargeException"],
      [500, "InternalFailureException"],
    ] as const) {
      shadowServer.setFault({ status, code, message: `bad document ${JSON.stringify(document)}` });
      outcomes.push(await plane.updateShadow(thing, document));
    }
    shadowServer.setFault(undefined);
    expect(outcomes.map((o) => (o as { outcome: string }).outcome)).toEqual([
      "accepted",
      "found",
      "rejected",
      "unavailable",
      "rejected",
      "unavailable",
    ]);
    // The accepted and found answers hand the document back to the caller (their purpose); the
    // failures say nothing of it.
    for (const outcome of outcomes.slice(2)) expect(JSON.stringify(outcome)).not.toContain(secret);
    expect(JSON.stringify(observed)).not.toContain(secret);

    const finished = spans.getFinishedSpans();
    expect(finished.map((span) => span.name)).toEqual([
      "IoTDataPlane.UpdateThingShadow",
      "IoTDataPlane.GetThingShadow",
      ...Array(4).fill("IoTDataPlane.UpdateThingShadow"),
    ]);
    expect(finished[0]?.attributes).toEqual({
      "rpc.system": "aws-api",
      "rpc.service": "IoT Data Plane",
      "rpc.method": "UpdateThingShadow",
      "aws.iot.thing_name": thing,
      "hub.data_plane.outcome": "accepted",
    });
    expect(finished.map((span) => span.attributes["hub.data_plane.outcome"])).toEqual([
      "accepted",
      "found",
      "refused",
      "unavailable",
      "refused",
      "unavailable",
    ]);
    const everything = JSON.stringify(
      finished.map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
        links: span.links,
      })),
    );
    for (const part of [secret, "set_wifi_credentials", "home", "commands"])
      expect(everything).not.toContain(part);
  });

  it("a document that is not JSON throws a TypeError quoting none of it, and sends nothing", async () => {
    const { plane } = dataPlane();
    const cyclic: Record<string, unknown> = { secretKeyName: "hunter2" };
    cyclic.self = cyclic;
    const before = shadowServer.received.length;
    const failure = await plane.updateShadow(newThing(), cyclic).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).not.toMatch(/secretKeyName|hunter2|self/);
    expect(requestsSince(before)).toEqual([]);
  });
});
