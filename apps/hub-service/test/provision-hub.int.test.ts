import { randomUUID } from "node:crypto";
import { type AppRouter, appErrorFrom, createHubServiceClient, TRPCClientError } from "@hub/hub-client";
import { mintServiceToken } from "@hub/server-kit";
import { ConflictError, type RequestContext, ThingNotFoundError, UnavailableError } from "@hub/shared";
import { waitUntil } from "@hub/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "./support/database.ts";
import { SERVICE_SECRET, useHubService } from "./support/system.ts";

const db = useTestDatabase();
const system = useHubService(db);

const caller: RequestContext = {
  principal: { kind: "organization", id: "org-1", orgId: "org-1", permissions: ["hubs:provision"] },
  requestId: "req-123",
  correlationId: "corr-456",
  source: "rest",
};

async function newHub(overrides: Record<string, string> = {}) {
  const hubId = randomUUID();
  const thingName = `thing-${hubId}`;
  await system.current.createThing(thingName);
  return { hubId, serial: `SN-${hubId}`, model: "HUB-2", thingName, ...overrides };
}

async function stored(hubId: string) {
  const { prisma } = db.current;
  return {
    events: await prisma.hubEvent.findMany({ where: { streamId: hubId } }),
    hub: await prisma.hub.findUnique({ where: { id: hubId } }),
  };
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return { trpc: error as TRPCClientError<AppRouter>, app: appErrorFrom(error) };
}

afterEach(() => system.current.emulator.faults.clear());

describe("hub.provision over HTTP", () => {
  it("provisions a hub whose Thing exists: version 1, event stored with metadata, read model row", async () => {
    const command = { ...(await newHub()), vendorName: "Acme" };
    const result = await system.current.client.hub.provision.mutate({ caller, command });
    expect(result).toMatchObject({ success: true, aggregateId: command.hubId, version: 1 });
    expect(result.event?.type).toBe("HubProvisioned");
    expect(result.event?.data).toMatchObject({ ...command });
    expect(typeof result.event?.data.provisionedAt).toBe("number");

    const { events, hub } = await stored(command.hubId);
    expect(events).toHaveLength(1);
    expect(events[0]?.metadata).toEqual({
      actor: { kind: "organization", id: "org-1" },
      orgId: "org-1",
      requestId: "req-123",
      correlationId: "corr-456",
      source: "rest",
    });
    expect(hub).toMatchObject({
      serial: command.serial,
      thingName: command.thingName,
      status: "Provisioned",
      version: 1,
    });
  });

  it("defaults thingName to hubId", async () => {
    const hubId = randomUUID();
    await system.current.createThing(hubId);
    const result = await system.current.client.hub.provision.mutate({
      caller,
      command: { hubId, serial: `SN-${hubId}`, model: "M" },
    });
    expect(result.event?.data.thingName).toBe(hubId);
  });

  it("answers an identical repeat with the idempotent result and no new event", async () => {
    const command = await newHub();
    await system.current.client.hub.provision.mutate({ caller, command });
    const repeat = await system.current.client.hub.provision.mutate({ caller, command });
    expect(repeat).toEqual({ success: true, aggregateId: command.hubId, version: 1, event: null });
    expect((await stored(command.hubId)).events).toHaveLength(1);
  });

  it("rejects a missing Thing with a typed precondition error and stores nothing", async () => {
    const hubId = randomUUID();
    const { trpc, app } = await failure(
      system.current.client.hub.provision.mutate({
        caller,
        command: { hubId, serial: "S", model: "M", thingName: "nope" },
      }),
    );
    expect(trpc.data?.httpStatus).toBe(422);
    expect(app).toBeInstanceOf(ThingNotFoundError);
    expect(await stored(hubId)).toEqual({ events: [], hub: null });
  });

  it.each(["unavailable", "throttle", "hang"] as const)(
    "fails as unavailable within the deadline when the registry is %s, storing nothing",
    async (mode) => {
      const command = await newHub();
      system.current.emulator.faults.setFault({ mode });
      const started = performance.now();
      const { app } = await failure(system.current.client.hub.provision.mutate({ caller, command }));
      const elapsed = performance.now() - started;
      expect(app).toBeInstanceOf(UnavailableError);
      // IOT_DEADLINE_MS is 1500 in this suite; allow scheduling slack, never an open-ended wait.
      expect(elapsed).toBeLessThan(4_000);
      expect(await stored(command.hubId)).toEqual({ events: [], hub: null });
    },
  );

  it("stops waiting on a hanging registry when its caller disconnects: nothing stored, nothing counted against the registry", async () => {
    const commands = await Promise.all(Array.from({ length: 6 }, () => newHub()));
    system.current.emulator.faults.setFault({ mode: "hang" });
    const deadlineOutcomes = async () => {
      const metric = await system.current.app.metrics.registry.getSingleMetricAsString(
        "hub_iot_registry_call_duration_seconds",
      );
      return Number(
        /_count\{[^}]*operation="DescribeThing"[^}]*outcome="deadline"[^}]*\} (\d+)/.exec(metric)?.[1] ?? 0,
      );
    };
    // More callers than the breaker's threshold (5) give up on a hanging registry: had hub-service
    // waited each lookup out, the unanswered lookups would have opened the breaker.
    for (const command of commands) {
      const before = system.current.emulator.requests().received;
      const counted = await deadlineOutcomes();
      const abort = new AbortController();
      const call = fetch(`${system.current.url}/trpc/hub.provision`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${mintServiceToken(SERVICE_SECRET, "impatient-service")}`,
        },
        body: JSON.stringify({ caller, command }),
        signal: abort.signal,
      }).catch((error: unknown) => error);
      await waitUntil(
        () => system.current.emulator.requests().received > before,
        "the lookup to reach the registry",
      );
      abort.abort();
      expect(await call).toBeInstanceOf(Error);
      // Cut short and recorded as the caller's doing ("deadline"), not as a registry that did not
      // answer (which the 1.5 s IOT_DEADLINE_MS would have given, counted against the breaker).
      await waitUntil(async () => (await deadlineOutcomes()) > counted, "the lookup to stop", {
        timeoutMs: 5000,
      });
      expect(await stored(command.hubId)).toEqual({ events: [], hub: null });
    }
    expect(system.current.app.registry.breakerState("DescribeThing")).toBe("closed");
  });

  it("ends 32 concurrent identical provisions with exactly one event and 31 idempotent results", async () => {
    const command = await newHub();
    const results = await Promise.all(
      Array.from({ length: 32 }, () => system.current.client.hub.provision.mutate({ caller, command })),
    );
    expect(results.filter((r) => r.event !== null)).toHaveLength(1);
    expect(results.filter((r) => r.event === null)).toHaveLength(31);
    for (const result of results) expect(result.version).toBe(1);
    expect((await stored(command.hubId)).events).toHaveLength(1);
  });

  it("rejects a serial used by another hub as a conflict naming serial", async () => {
    const first = await newHub();
    await system.current.client.hub.provision.mutate({ caller, command: first });
    const second = await newHub({ serial: first.serial });
    const { trpc, app } = await failure(
      system.current.client.hub.provision.mutate({ caller, command: second }),
    );
    expect(trpc.data?.httpStatus).toBe(409);
    expect(app).toBeInstanceOf(ConflictError);
    expect((app as ConflictError).field).toBe("serial");
    expect(await stored(second.hubId)).toEqual({ events: [], hub: null });
  });

  it("rejects a different payload for a provisioned hub as a conflict", async () => {
    const command = await newHub();
    await system.current.client.hub.provision.mutate({ caller, command });
    const { app } = await failure(
      system.current.client.hub.provision.mutate({ caller, command: { ...command, model: "OTHER" } }),
    );
    expect((app as ConflictError).field).toBe("model");
    expect((await stored(command.hubId)).events).toHaveLength(1);
  });

  it("returns validation details for bad input", async () => {
    const { trpc, app } = await failure(
      system.current.client.hub.provision.mutate({
        caller,
        command: { hubId: "not-a-uuid", serial: "", model: "M", thingName: "John Doe" },
      }),
    );
    expect(trpc.data?.httpStatus).toBe(400);
    const fields = (app as { details?: { field: string }[] }).details?.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["command.hubId", "command.serial", "command.thingName"]));
  });

  it("forbids a plain user from provisioning", async () => {
    const command = await newHub();
    const user: RequestContext = { ...caller, principal: { kind: "user", id: "u1", permissions: [] } };
    const { trpc } = await failure(system.current.client.hub.provision.mutate({ caller: user, command }));
    expect(trpc.data?.code).toBe("FORBIDDEN");
    expect((await stored(command.hubId)).events).toHaveLength(0);
  });

  it.each([
    ["no service credential", ""],
    [
      "a token signed with another secret",
      mintServiceToken("another-secret-0123456789abcdef-0123456789", "x"),
    ],
  ])("refuses a call with %s as UNAUTHORIZED", async (_label, token) => {
    const anonymous = createHubServiceClient({ url: system.current.url, serviceToken: token });
    const { trpc } = await failure(anonymous.hub.provision.mutate({ caller, command: await newHub() }));
    expect(trpc.data?.code).toBe("UNAUTHORIZED");
    expect(trpc.data?.httpStatus).toBe(401);
  });

  it("reads a hub back by id, by serial and its events", async () => {
    const command = await newHub();
    await system.current.client.hub.provision.mutate({ caller, command });
    const byId = await system.current.client.hub.byId.query({ hubId: command.hubId });
    expect(byId).toMatchObject({
      hubId: command.hubId,
      serial: command.serial,
      status: "Provisioned",
      version: 1,
    });
    expect(await system.current.client.hub.bySerial.query({ serial: command.serial })).toEqual(byId);
    const events = await system.current.client.hub.events.query({ hubId: command.hubId });
    expect(events.edges.map(({ node }) => [node.type, node.version])).toEqual([["HubProvisioned", 1]]);
    expect(await system.current.client.hub.byId.query({ hubId: randomUUID() })).toBeNull();
  });
});
