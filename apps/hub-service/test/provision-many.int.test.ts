import { randomUUID } from "node:crypto";
import { appErrorFrom } from "@hub/hub-client";
import {
  type AppErrorData,
  maxBulkItems,
  type ProvisionHubBody,
  type ProvisionManyItem,
  type RequestContext,
  summarize,
  toAppErrorData,
} from "@hub/shared";
import { hasPostgres, NEEDS_POSTGRES } from "@hub/test-support";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ConcurrencyError, EventStore } from "../src/event-store/event-store.ts";
import { hubProjection, hubStreamGates, hubUniqueConflicts } from "../src/hub/projection.ts";
import { useTestDatabase } from "./support/database.ts";
import { useHubService } from "./support/system.ts";

const db = useTestDatabase();
// No registry fault is tested here: the emulator, PGlite and 64 concurrent lookups share this
// process, so short deadlines would turn a busy machine's CPU contention (PGlite's statements run
// on the event loop the lookups wait on) into timeouts, an open breaker and UNAVAILABLE items.
// Deadlines and a breaker threshold no busy machine reaches apply instead.
const system = useHubService(db, {
  IOT_DEADLINE_MS: "15000",
  IOT_ATTEMPT_TIMEOUT_MS: "5000",
  IOT_BREAKER_THRESHOLD: "100000",
});

const caller: RequestContext = {
  principal: { kind: "service", id: "line-7", permissions: [] },
  requestId: "req-bulk",
  correlationId: "corr-bulk",
  source: "trpc",
};

/** A small deterministic generator, so two scenarios have the same shape with different ids. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

type Scenario = { readonly label: string; readonly items: unknown[] };

/**
 * One batch of 1,000 with every kind of item: new hubs, identical repeats of hubs provisioned
 * before, conflicting repeats, serials taken by other hubs, duplicates and conflicts inside the
 * batch, missing Things and invalid items, in a shuffled (seeded) order.
 */
async function scenario(): Promise<Scenario> {
  const label = randomUUID().slice(0, 8);
  const things: string[] = [];
  const hub = (i: number, withThing = true): ProvisionHubBody => {
    const body = {
      hubId: randomUUID(),
      serial: `SN-${label}-${i}`,
      model: "HUB-2",
      thingName: `t-${label}-${i}`,
    };
    if (withThing) things.push(body.thingName);
    return body;
  };
  const before = Array.from({ length: 150 }, (_, i) => hub(10_000 + i));
  const fresh = Array.from({ length: 700 }, (_, i) => hub(i));
  const items: unknown[] = [
    ...fresh,
    ...before.slice(0, 100), // identical repeats: 200
    ...before.slice(100, 125).map((b) => ({ ...b, model: "HUB-9" })), // DIFFERENT_PAYLOAD
    ...before.slice(125, 150).map((b, i) => ({ ...hub(20_000 + i), serial: b.serial })), // serial taken
    ...fresh.slice(0, 50), // the same item twice in the batch
    ...fresh.slice(50, 75).map((b, i) => ({ ...hub(30_000 + i), serial: b.serial })), // serial of another item
    ...fresh.slice(75, 100).map((b) => ({ ...b, model: "HUB-3" })), // the same hub, another model
    ...Array.from({ length: 25 }, (_, i) => hub(40_000 + i, false)), // no Thing: 422
    ...Array.from({ length: 10 }, (_, i) => ({ ...hub(50_000 + i), hubId: `not-a-uuid-${i}` })),
    ...Array.from({ length: 10 }, (_, i) => {
      const { serial: _serial, ...rest } = hub(60_000 + i);
      return rest;
    }),
  ];
  expect(items).toHaveLength(maxBulkItems - 5);
  const shuffle = random(42);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  items.push(42, "hub", null, [], true); // not objects: 400 "must be an object"
  for (let i = 0; i < things.length; i += 100) {
    await Promise.all(things.slice(i, i + 100).map((name) => system.current.createThing(name)));
  }
  for (const body of before) await system.current.client.hub.provision.mutate({ caller, command: body });
  return { label, items };
}

/** What an item's answer says, without the ids and labels that differ between two scenarios. */
function comparable(item: ProvisionManyItem, label: string): string {
  const shape = item.ok
    ? { ok: true, version: item.result.version, event: item.result.event?.type ?? null }
    : { ok: false, error: item.error };
  return JSON.stringify(shape)
    .replaceAll(label, "L")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
    .replaceAll('"field":"command.', '"field":"');
}

/** The same items, one single call each, in order: the reference the batch must equal. */
async function oneByOne(items: readonly unknown[]): Promise<ProvisionManyItem[]> {
  const results: ProvisionManyItem[] = [];
  for (const [index, command] of items.entries()) {
    const hubId =
      typeof (command as { hubId?: unknown })?.hubId === "string"
        ? (command as { hubId: string }).hubId
        : null;
    try {
      const result = await system.current.client.hub.provision.mutate({ caller, command: command as never });
      results.push({ ok: true, index, hubId: result.aggregateId, result });
    } catch (error) {
      const appError = appErrorFrom(error);
      results.push({
        ok: false,
        index,
        hubId,
        error: appError ? (toAppErrorData(appError) as AppErrorData) : null,
      });
    }
  }
  return results;
}

async function storedFor(hubIds: readonly string[]) {
  const { prisma } = db.current;
  const ids = hubIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  const events = await prisma.hubEvent.findMany({ where: { streamId: { in: ids } } });
  const hubs = await prisma.hub.findMany({ where: { id: { in: ids } } });
  return { events, hubs };
}

describe("hub.provisionMany", () => {
  it("answers each of 1,000 mixed items exactly as the single call would, and stores exactly the created ones", async () => {
    const batch = await scenario();
    const reference = await scenario();

    const results = await system.current.client.hub.provisionMany.mutate({ caller, commands: batch.items });
    const expected = await oneByOne(reference.items);

    expect(results).toHaveLength(batch.items.length);
    expect(results.map((r) => r.index)).toEqual(batch.items.map((_, i) => i));
    // The last five are not objects; a single tRPC call refuses those in its own words (below).
    const differences = results
      .slice(0, -5)
      .map((item, i) => [
        i,
        comparable(item, batch.label),
        comparable(expected[i] as ProvisionManyItem, reference.label),
      ])
      .filter(([, got, want]) => got !== want);
    expect(differences).toEqual([]);
    // The non-objects answer as REST answers a body that is not an object.
    expect(results.slice(-5).map((r) => !r.ok && r.error?.details)).toEqual(
      Array(5).fill([{ field: "body", message: "must be an object" }]),
    );

    const summary = summarize(results);
    expect(summary).toEqual({ created: 700, unchanged: 150, failed: 150 });
    const createdIds = results.flatMap((r) => (r.ok && r.result.event ? [r.result.aggregateId] : []));
    const allIds = batch.items.flatMap((item) => {
      const id = (item as { hubId?: unknown } | null)?.hubId;
      return typeof id === "string" ? [id] : [];
    });
    const { events, hubs } = await storedFor(allIds);
    // Every hub the batch names has exactly one event: the 125 provisioned before it (repeated
    // or contradicted) and the 700 created; nothing of the 150 refused new ones.
    expect(events).toHaveLength(825);
    expect(new Set(events.map((e) => e.streamId)).size).toBe(825);
    expect(hubs).toHaveLength(825);
    for (const id of createdIds) {
      const event = events.find((e) => e.streamId === id);
      const row = hubs.find((h) => h.id === id);
      expect(event?.metadata).toMatchObject({ requestId: "req-bulk", source: "trpc" });
      expect(row?.provisionedAt.getTime()).toBe((event?.data as { provisionedAt: number }).provisionedAt);
    }
  }, 120_000);

  it("16 concurrent batches overlapping on the same 200 hubs: each hub one event, every other item unchanged", async () => {
    const label = randomUUID().slice(0, 8);
    const bodies = Array.from({ length: 200 }, (_, i) => ({
      hubId: randomUUID(),
      serial: `OV-${label}-${i}`,
      model: "HUB-2",
      thingName: `ov-${label}-${i}`,
    }));
    await Promise.all(bodies.map((b) => system.current.createThing(b.thingName)));
    const order = random(7);
    const batches = Array.from({ length: 16 }, () => [...bodies].sort(() => order() - 0.5).slice(0, 150));
    const results = await Promise.all(
      batches.map((commands) => system.current.client.hub.provisionMany.mutate({ caller, commands })),
    );
    const all = results.flat();
    expect(all.filter((r) => !r.ok)).toEqual([]);
    const created = all.filter((r) => r.ok && r.result.event).map((r) => r.hubId);
    const covered = new Set(batches.flat().map((b) => b.hubId));
    expect(created.sort()).toEqual([...covered].sort());
    const { events, hubs } = await storedFor([...covered]);
    expect(events).toHaveLength(covered.size);
    expect(hubs).toHaveLength(covered.size);
  }, 60_000);

  it("refuses a list beyond 1,000 items or an empty one as a whole", async () => {
    const tooMany = Array.from({ length: maxBulkItems + 1 }, () => ({}));
    for (const commands of [tooMany, []]) {
      const error = await system.current.client.hub.provisionMany
        .mutate({ caller, commands })
        .catch((e) => e);
      expect(appErrorFrom(error)?.kind).toBe("VALIDATION");
    }
  });
});

describe("group commit (EventStore.appendNewStreams)", () => {
  it("a statement with one violating row commits the others, and writes nothing for that one", async () => {
    const store = new EventStore(db.current.prisma, {
      projection: hubProjection,
      uniqueConflicts: hubUniqueConflicts,
      streamGates: hubStreamGates,
    });
    const label = randomUUID().slice(0, 8);
    const taken = {
      hubId: randomUUID(),
      serial: `GC-${label}-taken`,
      model: "HUB-2",
      thingName: `gc-${label}-x`,
    };
    await system.current.createThing(taken.thingName);
    await system.current.client.hub.provision.mutate({ caller, command: taken });
    const streams = Array.from({ length: 10 }, (_, i) => {
      const hubId = randomUUID();
      const data = {
        hubId,
        serial: i === 4 ? taken.serial : `GC-${label}-${i}`,
        model: "HUB-2",
        thingName: `gc-${label}-${i}`,
        provisionedAt: Date.now(),
      };
      return { streamId: hubId, event: { type: "HubProvisioned", data, metadata: { source: "test" } } };
    });
    const stored = await store.appendNewStreams(streams);
    expect([...stored.keys()].sort()).toEqual(
      streams
        .filter((_, i) => i !== 4)
        .map((s) => s.streamId)
        .sort(),
    );
    const { events, hubs } = await storedFor(streams.map((s) => s.streamId));
    expect(events.map((e) => e.streamId).sort()).toEqual([...stored.keys()].sort());
    expect(hubs.map((h) => h.id).sort()).toEqual([...stored.keys()].sort());
    expect(events.every((e) => e.version === 1)).toBe(true);
    // A stream that already has events is left alone too (its own version guard).
    const again = await store.appendNewStreams(streams.slice(0, 2));
    expect(again.size).toBe(0);
  });
});

describe.runIf(hasPostgres())(
  `a group append and a single append of one new hub at once (${NEEDS_POSTGRES})`,
  () => {
    it("the deadlock PostgreSQL breaks between them is a lost race for the single append (re-decided), never a raw error", async () => {
      const store = new EventStore(db.current.prisma, {
        projection: hubProjection,
        uniqueConflicts: hubUniqueConflicts,
        streamGates: hubStreamGates,
      });
      const hubId = randomUUID();
      const data = {
        hubId,
        serial: `DL-${hubId}`,
        model: "HUB-2",
        thingName: `dl-${hubId}`,
        provisionedAt: Date.now(),
      };
      const group = new pg.Client({ connectionString: db.url });
      const observer = new pg.Client({ connectionString: db.url });
      await Promise.all([group.connect(), observer.connect()]);
      const lockWaits = async () =>
        Number(
          (
            await observer.query<{ n: string }>(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
          ).rows[0]?.n,
        );
      try {
        // The group statement's order, held open: the hubs row first, then (below) the event.
        await group.query("BEGIN");
        await group.query(
          `INSERT INTO hubs (id, serial, model, thing_name, status, version, provisioned_at, updated_at)
         VALUES ($1, $2, 'HUB-2', $3, 'Provisioned', 1, now(), now())`,
          [hubId, data.serial, data.thingName],
        );
        // The single append's order: the event, then the hubs row, which waits for the group.
        const single = store.appendToStream(hubId, 0, [{ type: "HubProvisioned", data, metadata: {} }]).then(
          () => "appended",
          (error: unknown) => error,
        );
        while ((await lockWaits()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        const groupEvent = group
          .query(
            `INSERT INTO hub_events (stream_id, version, type, data, metadata)
           VALUES ($1, 1, 'HubProvisioned', $2::jsonb, '{}'::jsonb)`,
            [hubId, JSON.stringify(data)],
          )
          .then(
            async () => {
              await group.query("COMMIT");
              return "committed";
            },
            async () => {
              await group.query("ROLLBACK");
              return "deadlocked";
            },
          );
        const [singleOutcome, groupOutcome] = await Promise.all([single, groupEvent]);
        // PostgreSQL aborts one of the two; the single append's loss is a ConcurrencyError.
        expect([singleOutcome === "appended", groupOutcome === "committed"].filter(Boolean)).toHaveLength(1);
        if (singleOutcome !== "appended") expect(singleOutcome).toBeInstanceOf(ConcurrencyError);
        const { events, hubs } = await storedFor([hubId]);
        expect([events.length, hubs.length]).toEqual([1, 1]);
      } finally {
        await Promise.all([group.end(), observer.end()]);
      }
    }, 30_000);
  },
);
