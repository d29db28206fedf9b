import { randomUUID } from "node:crypto";
import { ConflictError, UnavailableError } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { handleCommand } from "../src/command-handling/handle-command.ts";
import {
  ConcurrencyError,
  EventStore,
  type NewEvent,
  Prisma,
  type Projection,
} from "../src/event-store/event-store.ts";
import { hubProjection, hubUniqueConflicts } from "../src/hub/projection.ts";
import { readHubById } from "../src/hub/read-model.ts";
import { useTestDatabase } from "./support/database.ts";

const db = useTestDatabase();
const store = (projection: Projection = hubProjection) =>
  new EventStore(db.current.prisma, { projection, uniqueConflicts: hubUniqueConflicts });
const meta = { actor: { kind: "service", id: "test" }, requestId: "r1", correlationId: "c1", source: "trpc" };

function provisioned(
  hubId: string,
  serial = `SN-${hubId.slice(0, 8)}`,
  thingName = `thing-${hubId}`,
): NewEvent {
  return {
    type: "HubProvisioned",
    data: { hubId, serial, model: "HUB-2", thingName, provisionedAt: 1_764_000_000_000 },
    metadata: meta,
  };
}

/** Two events in one append: the transaction path. */
function suspendedThenDecommissioned(hubId: string): NewEvent[] {
  return [
    { type: "HubSuspended", data: { hubId, reason: "x", suspendedBy: "a", suspendedAt: 1 }, metadata: meta },
    {
      type: "HubDecommissioned",
      data: { hubId, reason: "y", decommissionedBy: "a", decommissionedAt: 2 },
      metadata: meta,
    },
  ];
}

async function counts(hubId: string) {
  const prisma = db.current.prisma;
  return {
    events: await prisma.hubEvent.count({ where: { streamId: hubId } }),
    hubs: await prisma.hub.count({ where: { id: hubId } }),
  };
}

describe(`event store (${testEngine()})`, () => {
  it("appends at the expected version and reads the stream back in order", async () => {
    const hubId = randomUUID();
    const first = await store().appendToStream(hubId, 0, [provisioned(hubId)]);
    expect(first.nextVersion).toBe(1);
    const second = await store().appendToStream(hubId, 1, suspendedThenDecommissioned(hubId));
    expect(second.nextVersion).toBe(3);
    expect(second.events.map((e) => e.version)).toEqual([2, 3]);
    expect(second.events[1]!.position).toBeGreaterThan(second.events[0]!.position);

    const stream = await store().readStream(hubId);
    expect(stream.version).toBe(3);
    expect(stream.events.map((e) => e.type)).toEqual(["HubProvisioned", "HubSuspended", "HubDecommissioned"]);
    expect(stream.events[0]!.metadata).toEqual(meta);
    expect(stream.events[0]!.data).toEqual(provisioned(hubId).data);
  });

  it("rejects a stale expected version with a concurrency error and writes nothing", async () => {
    const hubId = randomUUID();
    await store().appendToStream(hubId, 0, [provisioned(hubId)]);
    const staleSuspend: NewEvent = {
      type: "HubSuspended",
      data: { hubId, reason: "x", suspendedBy: "a", suspendedAt: 1 },
      metadata: meta,
    };
    await expect(store().appendToStream(hubId, 0, [provisioned(hubId)])).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    // A version ahead of the stream is stale too: appends never leave gaps.
    await expect(store().appendToStream(hubId, 5, [staleSuspend])).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await counts(hubId)).toEqual({ events: 1, hubs: 1 });
    expect((await store().readStream(hubId)).version).toBe(1);
  });

  it("lets exactly one of 20 concurrent appends of version 1 win", async () => {
    const hubId = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store().appendToStream(hubId, 0, [
          provisioned(hubId, `SN-race-${hubId}-${i}`, `thing-race-${i}-${hubId}`),
        ]),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const failure of lost) expect(failure.reason).toBeInstanceOf(ConcurrencyError);
    expect(await counts(hubId)).toEqual({ events: 1, hubs: 1 });
  });

  it("turns a serial used by another hub into a conflict naming serial, writing nothing", async () => {
    const first = randomUUID();
    const second = randomUUID();
    await store().appendToStream(first, 0, [provisioned(first, `SN-dup-${first}`)]);
    const error = await store()
      .appendToStream(second, 0, [provisioned(second, `SN-dup-${first}`)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).field).toBe("serial");
    expect(await counts(second)).toEqual({ events: 0, hubs: 0 });
  });

  it("turns a thing name used by another hub into a conflict naming thingName", async () => {
    const first = randomUUID();
    const second = randomUUID();
    await store().appendToStream(first, 0, [provisioned(first, undefined, `thing-dup-${first}`)]);
    const error = await store()
      .appendToStream(second, 0, [provisioned(second, undefined, `thing-dup-${first}`)])
      .catch((e: unknown) => e);
    expect((error as ConflictError).field).toBe("thingName");
    expect(await counts(second)).toEqual({ events: 0, hubs: 0 });
  });

  it("changes the read model and the log together or not at all, on the transaction path too", async () => {
    const hubId = randomUUID();
    await store().appendToStream(hubId, 0, [provisioned(hubId)]);
    // Two events take the transaction path; the second one's projection fails.
    const failing = {
      ...hubProjection,
      HubDecommissioned: Prisma.sql`UPDATE hubs SET serial = NULL FROM appended a`,
    };
    const two = suspendedThenDecommissioned(hubId);
    await expect(store(failing).appendToStream(hubId, 1, two)).rejects.toThrow();
    expect(await counts(hubId)).toEqual({ events: 1, hubs: 1 });
    expect((await readHubById(db.current.prisma, hubId))?.status).toBe("Provisioned");
    // The registered projection applies each event of a multi-event append in order.
    await store().appendToStream(hubId, 1, two);
    expect(await readHubById(db.current.prisma, hubId)).toMatchObject({
      status: "Decommissioned",
      version: 3,
    });
  });
});

describe(`event store, one event: one statement (${testEngine()})`, () => {
  const appendOne = (
    hubId: string,
    expectedVersion: number,
    event: NewEvent,
    projection: Projection = hubProjection,
  ) => store(projection).appendToStream(hubId, expectedVersion, [event]);

  it("writes the event and the read-model row derived from it, and reads back the same", async () => {
    const hubId = randomUUID();
    const event = provisioned(hubId);
    const withVendor = {
      ...event,
      data: { ...event.data, vendorName: "Acme", provisionedAt: 1_764_000_000_123 },
    };
    const appended = await appendOne(hubId, 0, withVendor);
    expect(appended.nextVersion).toBe(1);
    expect(appended.events[0]).toMatchObject({ streamId: hubId, version: 1, type: "HubProvisioned" });
    expect(appended.events[0]!.data).toEqual(withVendor.data);
    expect(await readHubById(db.current.prisma, hubId)).toEqual({
      hubId,
      serial: event.data.serial,
      model: "HUB-2",
      thingName: event.data.thingName,
      vendorName: "Acme",
      status: "Provisioned",
      version: 1,
      provisionedAt: 1_764_000_000_123,
      updatedAt: 1_764_000_000_123,
      provisionedByOrgId: null,
      orgId: null,
      siteId: null,
      isPrimary: false,
      claimedAt: null,
      online: false,
      lastSeen: null,
      firmwareVersion: null,
      uptimeSeconds: null,
    });
    const without = randomUUID();
    await appendOne(without, 0, provisioned(without));
    expect((await readHubById(db.current.prisma, without))?.vendorName).toBeNull();
    expect((await store().readStream(hubId)).events.map((e) => e.data)).toEqual([withVendor.data]);
  });

  it("rejects a stale expected version with a concurrency error and writes nothing", async () => {
    const hubId = randomUUID();
    await appendOne(hubId, 0, provisioned(hubId));
    await expect(
      appendOne(hubId, 0, provisioned(hubId, `SN-other-${hubId}`, `thing-other-${hubId}`)),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(appendOne(hubId, 5, provisioned(hubId))).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await counts(hubId)).toEqual({ events: 1, hubs: 1 });
  });

  it("lets exactly one of 20 concurrent appends of version 1 win", async () => {
    const hubId = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        appendOne(hubId, 0, provisioned(hubId, `SN-race1-${hubId}-${i}`, `thing-race1-${i}-${hubId}`)),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const failure of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
      expect(failure.reason).toBeInstanceOf(ConcurrencyError);
    }
    expect(await counts(hubId)).toEqual({ events: 1, hubs: 1 });
  });

  it.each([
    ["serial", (first: string) => provisioned(randomUUID(), `SN-dup1-${first}`)],
    ["thingName", (first: string) => provisioned(randomUUID(), undefined, `thing-dup1-${first}`)],
  ] as const)(
    "turns a %s used by another hub into a conflict naming it, writing nothing",
    async (field, make) => {
      const first = randomUUID();
      await appendOne(first, 0, provisioned(first, `SN-dup1-${first}`, `thing-dup1-${first}`));
      const clash = make(first);
      const second = clash.data.hubId as string;
      const error = await appendOne(second, 0, clash).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).field).toBe(field);
      expect(await counts(second)).toEqual({ events: 0, hubs: 0 });
    },
  );

  it("changes the read model and the log together or not at all", async () => {
    const hubId = randomUUID();
    const failing = { HubProvisioned: Prisma.sql`INSERT INTO hubs (id) SELECT a.stream_id FROM appended a` };
    await expect(appendOne(hubId, 0, provisioned(hubId), failing)).rejects.toThrow();
    expect(await counts(hubId)).toEqual({ events: 0, hubs: 0 });
  });
});

describe(`the command pipeline and the caller's deadline (${testEngine()})`, () => {
  // The caller gave up while the decision waited (a slow registry): nothing may be appended then.
  for (const appendFirst of [true, false]) {
    it(`appends nothing once the deadline passed during the decision (${appendFirst ? "first write" : "read, decide"})`, async () => {
      const hubId = randomUUID();
      const deadline = Date.now() + 30;
      const slowDecision = async () => {
        while (Date.now() <= deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        return [{ type: "HubProvisioned", data: provisioned(hubId).data }];
      };
      const pipeline = { store: store(), initialState: () => ({}), fold: () => ({}) };
      await expect(
        handleCommand(pipeline, hubId, slowDecision, { metadata: meta, appendFirst, deadline }),
      ).rejects.toBeInstanceOf(UnavailableError);
      expect(await counts(hubId)).toEqual({ events: 0, hubs: 0 });
      // Without a deadline the same decision is appended.
      await handleCommand(pipeline, hubId, slowDecision, { metadata: meta, appendFirst });
      expect(await counts(hubId)).toEqual({ events: 1, hubs: 1 });
    });
  }
});
