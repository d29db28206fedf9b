import { randomUUID } from "node:crypto";
import { cursorOf, LOG_START, type LogEvent } from "@hub/shared";
import { hasPostgres, NEEDS_POSTGRES, testEngine } from "@hub/test-support";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { EventStore } from "../src/event-store/event-store.ts";
import { hubProjection, hubStreamGates, hubUniqueConflicts } from "../src/hub/projection.ts";
import { acquireLease, saveCheckpoint } from "../src/log/checkpoints.ts";
import { startLogConsumer } from "../src/log/log-consumer.ts";
import { cursorAtPosition, readLog } from "../src/log/log-reader.ts";
import { useTestDatabase } from "./support/database.ts";

// The event log as its consumers read it, on both engines (PGlite and PostgreSQL): the
// (transaction id, position) order, durable checkpoints, leases.
const db = useTestDatabase();
const prisma = () => db.current.prisma;
const store = () =>
  new EventStore(prisma(), {
    projection: hubProjection,
    uniqueConflicts: hubUniqueConflicts,
    streamGates: hubStreamGates,
  });
const meta = { actor: { kind: "service", id: "test" }, requestId: "r1", correlationId: "c1", source: "trpc" };

async function provision(orgIds: string[] = []) {
  const hubId = randomUUID();
  const { events } = await store().appendToStream(hubId, 0, [
    {
      type: "HubProvisioned",
      data: { hubId, serial: `SN-${hubId}`, model: "HUB-2", thingName: `t-${hubId}`, provisionedAt: 1 },
      metadata: meta,
      orgIds,
    },
  ]);
  return { hubId, position: String(events[0]?.position) };
}

async function readAll(after = LOG_START): Promise<LogEvent[]> {
  const all: LogEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await readLog(prisma(), { after: cursor, limit: 100 });
    const last = page.at(-1);
    if (!last) return all;
    all.push(...page);
    cursor = cursorOf(last);
  }
}

/**
 * The log after `after` once every committed event is readable: on a shared server another
 * database's writer still running holds every reader back a moment (its transaction id is older).
 */
async function settled(after = LOG_START): Promise<LogEvent[]> {
  const [{ total } = { total: 0n }] = await prisma().$queryRaw<{ total: bigint }[]>`
    SELECT count(*) AS total FROM hub_events WHERE (transaction_id, position) > (${after.tx}::xid8, ${after.position}::int8)`;
  for (let i = 0; ; i++) {
    const read = await readAll(after);
    if (read.length >= Number(total) || i > 200) return read;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe(`the log in (transaction id, position) order (${testEngine()})`, () => {
  it("a position taken before but committed after a later one is read after it, not skipped", async () => {
    // A writer takes a position (the sequence), and commits only after another writer's event
    // with a higher position was committed and read.
    const [reserved] = await prisma().$queryRaw<{ position: bigint }[]>`
      SELECT nextval('hub_events_position_seq') AS position`;
    const early = await provision();
    const seen = await settled();
    const checkpoint = cursorOf(seen.at(-1) as LogEvent);
    expect(checkpoint.position).toBe(early.position);

    const lateHub = randomUUID();
    await prisma().$executeRaw`
      INSERT INTO hub_events (position, stream_id, version, type, data, metadata)
      VALUES (${reserved?.position}, ${lateHub}::uuid, 1, 'HubSuspended', '{}', '{}')`;
    expect(BigInt(String(reserved?.position))).toBeLessThan(BigInt(early.position));

    const after = await settled(checkpoint);
    expect(after.map((e) => e.streamId)).toEqual([lateHub]);
    // What a reader by position alone would have done: skip it for good.
    const byPosition = await prisma().$queryRaw<unknown[]>`
      SELECT 1 FROM hub_events WHERE position > ${BigInt(early.position)}`;
    expect(byPosition).toEqual([]);
  });

  it("filters by hub, type and receiving organization; events carry who receives them", async () => {
    const orgA = randomUUID();
    const a = await provision([orgA]);
    const b = await provision([randomUUID()]);
    await settled();
    const forA = await readLog(prisma(), { limit: 100, filter: { orgId: orgA.toUpperCase() } });
    expect(forA.map((e) => e.streamId)).toEqual([a.hubId]);
    expect(forA[0]?.orgIds).toEqual([orgA]);
    const byHub = await readLog(prisma(), {
      limit: 100,
      filter: { hubId: b.hubId, types: ["HubProvisioned"] },
    });
    expect(byHub.map((e) => e.streamId)).toEqual([b.hubId]);
    expect(
      await readLog(prisma(), { limit: 100, filter: { hubId: b.hubId, types: ["HubClaimed"] } }),
    ).toEqual([]);
  });

  it("resumes after a position a client received: exactly what it had not seen", async () => {
    const all = await settled();
    const middle = all[Math.floor(all.length / 2)] as LogEvent;
    const rest = await settled(await cursorAtPosition(prisma(), middle.position));
    expect(rest).toEqual(all.slice(all.indexOf(middle) + 1));
    expect(await settled(await cursorAtPosition(prisma(), "0"))).toEqual(all);
  });
});

describe("leases and checkpoints", () => {
  it("one holder at a time; an expired lease is taken over and the old holder's checkpoint refused", async () => {
    const name = `test-${randomUUID().slice(0, 8)}`;
    const first = await acquireLease(prisma(), name, "relay-1", 1_000);
    expect(first).toEqual(LOG_START);
    expect(await acquireLease(prisma(), name, "relay-2", 1_000)).toBeNull();
    expect(await acquireLease(prisma(), name, "relay-1", 1_000)).toEqual(LOG_START);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await acquireLease(prisma(), name, "relay-2", 10_000)).toEqual(LOG_START);
    const to = { tx: "5", position: "5" };
    expect(await saveCheckpoint(prisma(), name, "relay-1", LOG_START, to)).toBe(false);
    expect(await saveCheckpoint(prisma(), name, "relay-2", LOG_START, to)).toBe(true);
    // Compare-and-set: a second move from the old point is refused.
    expect(await saveCheckpoint(prisma(), name, "relay-2", LOG_START, { tx: "6", position: "6" })).toBe(
      false,
    );
    expect(await acquireLease(prisma(), name, "relay-2", 10_000)).toEqual(to);
  });

  it("two instances of a consumer: every event handled once, and the survivor takes over", async () => {
    const name = `test-${randomUUID().slice(0, 8)}`;
    const handled: { by: string; position: string }[] = [];
    const consumer = (owner: string) =>
      startLogConsumer({
        prisma: prisma(),
        name,
        owner,
        leaseMs: 1_000,
        batchSize: 7,
        handle: async (_tx, events) => {
          for (const event of events) handled.push({ by: owner, position: event.position });
        },
      });
    const before = (await settled()).length;
    const one = consumer("one");
    const two = consumer("two");
    const wait = async (count: number) => {
      for (let i = 0; handled.length < count && i < 400; i++) await new Promise((r) => setTimeout(r, 25));
    };
    await wait(before);
    for (let i = 0; i < 20; i++) await provision();
    await wait(before + 20);
    const active = handled.at(-1)?.by;
    await (active === "one" ? one : two).stop();
    for (let i = 0; i < 20; i++) await provision();
    await wait(before + 40);
    await (active === "one" ? two : one).stop();
    const positions = handled.map((h) => h.position);
    expect(new Set(positions).size).toBe(positions.length);
    expect(positions).toHaveLength(before + 40);
    expect(new Set(handled.slice(before + 20).map((h) => h.by))).toContain(active === "one" ? "two" : "one");
  });

  it("a handler that fails rolls its batch back with the checkpoint: the batch is handled again", async () => {
    const name = `test-${randomUUID().slice(0, 8)}`;
    await provision();
    let calls = 0;
    const seen: string[] = [];
    const errors: unknown[] = [];
    const consumer = startLogConsumer({
      prisma: prisma(),
      name,
      maxIdleMs: 50,
      onError: (error) => errors.push(error),
      handle: async (tx, events) => {
        calls++;
        await tx.$executeRaw`CREATE TEMP TABLE IF NOT EXISTS probe (n int)`;
        if (calls === 1) throw new Error("the first try fails");
        seen.push(...events.map((e) => e.position));
      },
    });
    for (let i = 0; seen.length === 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
    await consumer.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(String(errors[0])).toMatch(/the first try fails/);
    expect(seen.length).toBe((await settled()).length);
  });
});

describe.runIf(hasPostgres())(`a transaction still running holds the log back (${NEEDS_POSTGRES})`, () => {
  it("later commits are not read until it ends, then both are, the held one first", async () => {
    const start = cursorOf((await settled()).at(-1) as LogEvent);
    const held = new pg.Client({ connectionString: db.url });
    await held.connect();
    try {
      await held.query("BEGIN");
      await held.query(
        `INSERT INTO hub_events (stream_id, version, type, data, metadata) VALUES ($1, 1, 'HubSuspended', '{}', '{}')`,
        [randomUUID()],
      );
      const later = await provision();
      expect(await readAll(start)).toEqual([]);
      await held.query("COMMIT");
      const read = await settled(start);
      expect(read.map((e) => e.type)).toEqual(["HubSuspended", "HubProvisioned"]);
      expect(read[1]?.streamId).toBe(later.hubId);
    } finally {
      await held.end();
    }
  });
});
