import { Writable } from "node:stream";
import {
  compareCursors,
  cursorOf,
  LOG_START,
  type LogCursor,
  type LogEvent,
  type Principal,
  UnavailableError,
} from "@hub/shared";
import { type ExecutionResult, parse, subscribe } from "graphql";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createFeedMerge } from "../src/live/feed-merge.ts";
import type { LogReadQuery } from "../src/live/log-tail.ts";
import { createLogTail, type TailListener } from "../src/live/log-tail.ts";
import { schema } from "../src/schema/index.ts";
import { FEED_BUFFER_LIMIT } from "../src/schema/live-feed.ts";

/**
 * The event log as hub-service reads it (log-reader.ts): transactions take positions as they
 * insert, commit in any order, and a read sees only events below the oldest running transaction,
 * in (transaction id, position) order.
 */
class FakeLog {
  private nextXid = 100n;
  private nextPosition = 1n;
  readonly running = new Set<bigint>();
  private readonly committed = new Set<bigint>();
  private readonly all: LogEvent[] = [];
  /** Calls of read(), by kind. */
  readonly reads: LogReadQuery[] = [];

  begin(): bigint {
    const xid = this.nextXid++;
    this.running.add(xid);
    return xid;
  }

  insert(tx: bigint, hubId: string, type: string, orgIds: string[] = []): LogEvent {
    const position = this.nextPosition++;
    const event: LogEvent = {
      tx: String(tx),
      position: String(position),
      streamId: hubId,
      version: this.all.filter((e) => e.streamId === hubId).length + 1,
      type,
      data: {},
      metadata: {},
      recordedAt: 0,
      orgIds,
    };
    this.all.push(event);
    return event;
  }

  commit(tx: bigint): void {
    this.running.delete(tx);
    this.committed.add(tx);
  }

  /** One committed transaction with these events. */
  append(...events: [hubId: string, type: string, orgIds?: string[]][]): LogEvent[] {
    const tx = this.begin();
    const inserted = events.map(([hubId, type, orgIds]) => this.insert(tx, hubId, type, orgIds));
    this.commit(tx);
    return inserted;
  }

  private horizon(): bigint {
    return this.running.size > 0 ? [...this.running].reduce((a, b) => (a < b ? a : b)) : this.nextXid;
  }

  /** Every event readable now, in log order. */
  readable(): LogEvent[] {
    const horizon = this.horizon();
    return this.all
      .filter((e) => this.committed.has(BigInt(e.tx)) && BigInt(e.tx) < horizon)
      .sort((a, b) => compareCursors(cursorOf(a), cursorOf(b)));
  }

  cursorAtPosition(position: string): LogCursor {
    const below = this.all
      .filter((e) => this.committed.has(BigInt(e.tx)) && BigInt(e.position) <= BigInt(position))
      .sort((a, b) => Number(BigInt(b.position) - BigInt(a.position)));
    return below[0] ? cursorOf(below[0]) : LOG_START;
  }

  read(query: LogReadQuery): { events: LogEvent[]; cursor: LogCursor } {
    this.reads.push(query);
    const after =
      query.after ??
      (query.afterPosition !== undefined ? this.cursorAtPosition(query.afterPosition) : LOG_START);
    const events = this.readable()
      .filter((e) => compareCursors(cursorOf(e), after) > 0)
      .filter((e) => !query.hubId || e.streamId === query.hubId)
      .filter((e) => !query.types?.length || (query.types as readonly string[]).includes(e.type))
      .slice(0, query.limit);
    const last = events.at(-1);
    return { events, cursor: last ? cursorOf(last) : after };
  }
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
  };
}

const HUBS = ["h1", "h2", "h3"];
const TYPES = ["HubProvisioned", "HubSuspended", "HubResumed"];
const positions = (events: readonly LogEvent[]) => events.map((e) => e.position);

describe("replay → live hand-over (feed-merge)", () => {
  it("gives every matching event after the resume point exactly once, in log order, whatever commits late (300 random interleavings, reads answered a step later)", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = random(seed);
      const log = new FakeLog();
      const PAGE = 3;
      for (let i = 0; i < rng.int(12); i++) log.append([rng.pick(HUBS), rng.pick(TYPES)]);
      const hubId = rng.next() < 0.4 ? rng.pick(HUBS) : undefined;
      const types = rng.next() < 0.4 ? [rng.pick(TYPES)] : undefined;
      const accepts = (e: LogEvent) => (!hubId || e.streamId === hubId) && (!types || types.includes(e.type));
      const resume = rng.next() < 0.5; // with `after` (a position received before), or live from now

      // The tail, already running from some readable cursor.
      const settled = log.readable();
      let tailCursor = settled.length > 0 ? cursorOf(rng.pick(settled)) : LOG_START;
      let listener: ((events: readonly LogEvent[]) => void) | undefined;
      const merge = createFeedMerge({ accepts, limit: 10_000 });
      let attached = false;
      let start: LogCursor | undefined;
      let from: LogCursor = LOG_START;
      const sent: LogEvent[] = [];
      // A read's snapshot and its answer are two steps apart, as over the network: the log moves
      // (and the tail brings pages) between a replay page being read and being handled.
      let replayAnswer: { events: LogEvent[]; cursor: LogCursor } | undefined;
      let tailAnswer: { events: LogEvent[]; cursor: LogCursor } | undefined;
      const query = { limit: PAGE, hubId, types: types as LogReadQuery["types"] };
      const subscriberStep = () => {
        if (!attached) {
          from = tailCursor;
          listener = (events) => merge.live(events);
          attached = true;
        } else if (replayAnswer) {
          merge.replayed(replayAnswer, replayAnswer.events.length < PAGE);
          replayAnswer = undefined;
        } else if (start === undefined) {
          const readableNow = log.readable();
          const position = readableNow.length > 0 && resume ? rng.pick(readableNow).position : undefined;
          replayAnswer =
            position !== undefined
              ? log.read({ ...query, afterPosition: position })
              : log.read({ ...query, after: from });
          start = position !== undefined ? log.cursorAtPosition(position) : from;
        } else if (merge.replaying) {
          replayAnswer = log.read({ ...query, after: merge.cursor });
        } else {
          for (let e = merge.take(); e; e = merge.take()) sent.push(e);
        }
      };
      const tailStep = () => {
        if (!tailAnswer) {
          tailAnswer = log.read({ after: tailCursor, limit: PAGE });
          return;
        }
        // The cursor moves when the answer is handled, with the broadcast (as in log-tail.ts).
        tailCursor = tailAnswer.cursor;
        if (tailAnswer.events.length > 0) listener?.(tailAnswer.events);
        tailAnswer = undefined;
      };
      for (let step = 0; step < 150; step++) {
        const roll = rng.next();
        const running = [...log.running];
        if (roll < 0.15 && running.length < 4) log.begin();
        else if (roll < 0.45 && running.length > 0)
          log.insert(rng.pick(running), rng.pick(HUBS), rng.pick(TYPES));
        else if (roll < 0.6 && running.length > 0) log.commit(rng.pick(running));
        else if (roll < 0.8) tailStep();
        else subscriberStep();
      }
      // Everything commits; the tail and the subscriber catch up, still interleaved.
      for (const tx of [...log.running]) log.commit(tx);
      const end = log.readable().at(-1);
      for (let i = 0; i < 2000; i++) {
        const caughtUp = !end || compareCursors(tailCursor, cursorOf(end)) === 0;
        if (caughtUp && !tailAnswer && start !== undefined && !merge.replaying && !replayAnswer) break;
        if (rng.next() < 0.5) tailStep();
        else subscriberStep();
      }
      if (tailAnswer) tailStep();
      for (let i = 0; i < 200 && (merge.replaying || replayAnswer); i++) subscriberStep();
      subscriberStep();

      const expected = log
        .readable()
        .filter((e) => accepts(e) && compareCursors(cursorOf(e), start ?? LOG_START) > 0);
      expect(merge.overflowed).toBe(false);
      expect({ seed, sent: positions(sent) }).toEqual({ seed, sent: positions(expected) });
    }
  });

  it("holds tail events during the replay, drops those the replay gave, and filters only the tail's", () => {
    const merge = createFeedMerge({ accepts: (e) => e.streamId === "h1", limit: 100 });
    const log = new FakeLog();
    const [a, b] = log.append(["h1", "HubProvisioned"], ["h2", "HubProvisioned"]);
    const [c] = log.append(["h1", "HubSuspended"]);
    merge.live([a, b, c] as LogEvent[]); // the tail got ahead of the replay
    expect(merge.take()).toBeUndefined();
    merge.replayed({ events: [a as LogEvent], cursor: cursorOf(a as LogEvent) }, false);
    merge.replayed({ events: [c as LogEvent], cursor: cursorOf(c as LogEvent) }, true);
    const [d, e] = log.append(["h2", "HubSuspended"], ["h1", "HubResumed"]);
    merge.live([d, e] as LogEvent[]);
    const sent: LogEvent[] = [];
    for (let event = merge.take(); event; event = merge.take()) sent.push(event);
    expect(positions(sent)).toEqual(positions([a, c, e] as LogEvent[]));
  });

  it("overflows past its limit (held or unsent) and then ignores everything", () => {
    const log = new FakeLog();
    const merge = createFeedMerge({ accepts: () => true, limit: 2 });
    merge.replayed({ events: [], cursor: LOG_START }, true);
    merge.live(log.append(["h1", "A"], ["h1", "B"]));
    expect(merge.overflowed).toBe(false);
    merge.live(log.append(["h1", "C"]));
    expect(merge.overflowed).toBe(true);
    expect(merge.take()).toBeUndefined();
    merge.live(log.append(["h1", "D"]));
    expect(merge.take()).toBeUndefined();
  });
});

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

const fast = { idleMs: { first: 1, max: 4 }, errorRetryMs: 5 };

function collector(): TailListener & { got: LogEvent[]; closedCalls: number } {
  const got: LogEvent[] = [];
  return {
    got,
    closedCalls: 0,
    events(events) {
      got.push(...events);
    },
    closed() {
      this.closedCalls += 1;
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("the log tail", () => {
  it("starts at the log's readable end on the first listener, broadcasts what follows in order, stops with the last", async () => {
    const log = new FakeLog();
    for (let i = 0; i < 7; i++) log.append(["h1", "HubProvisioned"]);
    const { logger } = captureLogger();
    const tail = createLogTail({
      hubService: { events: { read: { query: async (query: LogReadQuery) => log.read(query) } } },
      logger,
      pageSize: 3,
      ...fast,
    });
    expect(tail.running).toBe(false);
    const first = collector();
    const attached = tail.attach(first);
    expect(tail.running).toBe(true);
    expect(await attached.from).toEqual(cursorOf(log.readable().at(-1) as LogEvent));
    const later = log.append(["h1", "HubSuspended"], ["h2", "HubProvisioned"]);
    await until(() => first.got.length === 2, "the first two events");
    const second = collector();
    const secondAttached = tail.attach(second);
    expect(await secondAttached.from).toEqual(cursorOf(later[1] as LogEvent));
    const more = [...log.append(["h3", "HubProvisioned"]), ...log.append(["h1", "HubResumed"])];
    await until(() => second.got.length === 2, "the later events");
    expect(positions(first.got)).toEqual(positions([...later, ...more]));
    expect(positions(second.got)).toEqual(positions(more));
    attached.detach();
    expect(tail.running).toBe(true);
    secondAttached.detach();
    expect(tail.running).toBe(false);
    const readsAfterStop = log.reads.length;
    log.append(["h1", "HubSuspended"]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(log.reads.length).toBeLessThanOrEqual(readsAfterStop + 1); // at most the read in flight
    expect(first.got).toHaveLength(4);
  });

  it("does not start above an event whose transaction is still settling: waits for it instead", async () => {
    const log = new FakeLog();
    log.append(["h1", "HubProvisioned"]);
    const early = log.begin(); // an older transaction, still running…
    const [late] = log.append(["h2", "HubProvisioned"]); // …below which the last position is not readable yet
    const { logger } = captureLogger();
    const tail = createLogTail({
      hubService: { events: { read: { query: async (query: LogReadQuery) => log.read(query) } } },
      logger,
      ...fast,
    });
    const listener = collector();
    const attached = tail.attach(listener);
    let from: LogCursor | undefined;
    void attached.from.then((cursor) => {
      from = cursor;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(from).toBeUndefined();
    const [committedLate] = [log.insert(early, "h3", "HubProvisioned")];
    log.commit(early);
    await until(() => from !== undefined, "the start");
    // The early transaction's event sorts below the last position's; the start is after both.
    expect(from).toEqual(cursorOf(late as LogEvent));
    expect(compareCursors(cursorOf(committedLate as LogEvent), from as LogCursor)).toBeLessThan(0);
    attached.detach();
  });

  it("keeps its cursor through read failures (logged once, without the request), and fails attachments it cannot start", async () => {
    const log = new FakeLog();
    log.append(["h1", "HubProvisioned"]);
    let failing = 0;
    const { logger, lines } = captureLogger();
    const tail = createLogTail({
      hubService: {
        events: {
          read: {
            query: async (query: LogReadQuery) => {
              if (failing > 0) {
                failing -= 1;
                throw new UnavailableError(
                  "The hub service is temporarily unavailable. Please retry later",
                  2,
                );
              }
              return log.read(query);
            },
          },
        },
      },
      logger,
      ...fast,
    });
    const listener = collector();
    const attached = tail.attach(listener);
    await attached.from;
    failing = 3;
    const [a] = log.append(["h1", "HubSuspended"]);
    await until(() => listener.got.length === 1, "the event after the outage");
    expect(positions(listener.got)).toEqual(positions([a as LogEvent]));
    expect(lines.filter((line) => line.msg === "live feed: reading the event log failed")).toHaveLength(1);
    expect(
      lines.some((line) => line.msg === "live feed: reading the event log again" && line.failures === 3),
    ).toBe(true);
    attached.detach();

    failing = 1;
    const refused = tail.attach(collector());
    await expect(refused.from).rejects.toBeInstanceOf(UnavailableError);
    expect(tail.listeners).toBe(0);
    expect(tail.running).toBe(false);
    const again = tail.attach(collector());
    await expect(again.from).resolves.toEqual(cursorOf(a as LogEvent));
    again.detach();
  });

  it("on close tells every listener and refuses new ones", async () => {
    const log = new FakeLog();
    const { logger } = captureLogger();
    const tail = createLogTail({
      hubService: { events: { read: { query: async (query: LogReadQuery) => log.read(query) } } },
      logger,
      ...fast,
    });
    const listener = collector();
    await tail.attach(listener).from;
    tail.close();
    expect(listener.closedCalls).toBe(1);
    expect(tail.running).toBe(false);
    await expect(tail.attach(collector()).from).rejects.toBeInstanceOf(UnavailableError);
  });
});

const SUBSCRIPTION = parse(
  `subscription($filter: HubEventsFilter) { hubEvents(filter: $filter) { position hubId type version } }`,
);

/** Runs the subscription against the schema with a stand-in hub-service over `log`. */
async function subscribeWith(
  log: FakeLog,
  principal: Principal,
  filter: Record<string, unknown> = {},
  request?: { signal: AbortSignal },
) {
  const { logger } = captureLogger();
  const hubService = {
    events: {
      read: {
        query: async (input: LogReadQuery & { caller?: { principal?: Principal } }) => {
          // Scoped like hub-service's events.read: an organization reads its hubs' events only.
          const page = log.read(input);
          const orgId = input.caller?.principal?.orgId;
          return orgId ? { ...page, events: page.events.filter((e) => e.orgIds.includes(orgId)) } : page;
        },
      },
    },
  };
  const tail = createLogTail({ hubService, logger, pageSize: 20_000, ...fast });
  const result = subscribe({
    schema,
    document: SUBSCRIPTION,
    variableValues: { filter },
    contextValue: {
      requestId: "r",
      logger,
      hubService,
      logTail: tail,
      principal: async () => principal,
      request,
    },
  });
  return { tail, result: await result };
}

const admin: Principal = { kind: "admin", id: "admin-1", permissions: [] };

describe("Subscription.hubEvents over the schema", () => {
  it("refuses users and organizations without hubs:read before starting the tail", async () => {
    const log = new FakeLog();
    for (const principal of [
      { kind: "user", id: "u", permissions: [] },
      { kind: "organization", id: "o", orgId: "o", permissions: ["hubs:provision"] },
    ] satisfies Principal[]) {
      const { tail, result } = await subscribeWith(log, principal);
      expect((result as ExecutionResult).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(tail.running).toBe(false);
    }
    expect(log.reads).toHaveLength(0);
  });

  it("gives an organization only the events its organization receives", async () => {
    const log = new FakeLog();
    const { tail, result } = await subscribeWith(log, {
      kind: "organization",
      id: "key-user",
      orgId: "org-a",
      permissions: ["hubs:read"],
    });
    const stream = result as AsyncIterableIterator<ExecutionResult>;
    log.append(["h1", "HubProvisioned", ["org-b"]], ["h2", "HubProvisioned", ["org-a"]]);
    log.append(["h1", "HubClaimed", ["org-b", "org-a"]]);
    const first = await stream.next();
    const second = await stream.next();
    expect([first.value?.data?.hubEvents, second.value?.data?.hubEvents]).toMatchObject([
      { hubId: "h2", type: "HubProvisioned" },
      { hubId: "h1", type: "HubClaimed" },
    ]);
    await stream.return?.();
    expect(tail.running).toBe(false);
  });

  it("leaves the tail at once when the client goes away, even while waiting for an event", async () => {
    const log = new FakeLog();
    const { tail, result } = await subscribeWith(log, admin);
    const stream = result as AsyncIterableIterator<ExecutionResult>;
    const pending = stream.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tail.listeners).toBe(1);
    await stream.return?.();
    expect(tail.listeners).toBe(0);
    expect(tail.running).toBe(false);
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it("leaves the tail when the client's request is aborted, before the stream starts or while it waits", async () => {
    const log = new FakeLog();
    const early = new AbortController();
    const { logger } = captureLogger();
    const hubService = { events: { read: { query: async (query: LogReadQuery) => log.read(query) } } };
    const tail = createLogTail({ hubService, logger, ...fast });
    const pending = subscribe({
      schema,
      document: SUBSCRIPTION,
      contextValue: {
        requestId: "r",
        logger,
        hubService,
        logTail: tail,
        principal: async () => admin,
        request: early,
      },
    });
    early.abort(); // while the subscription is still being set up
    expect((await pending) as ExecutionResult).toHaveProperty("errors");
    expect(tail.listeners).toBe(0);
    expect(tail.running).toBe(false);

    const late = new AbortController();
    const live = await subscribeWith(log, admin, {}, late);
    expect(live.tail.listeners).toBe(1);
    late.abort(); // no return() from anyone
    expect(live.tail.listeners).toBe(0);
    expect(live.tail.running).toBe(false);
  });

  it(`ends a feed with more than ${FEED_BUFFER_LIMIT} events waiting with FEED_OVERFLOW, then completes`, async () => {
    const log = new FakeLog();
    const { tail, result } = await subscribeWith(log, admin);
    const stream = result as AsyncIterableIterator<ExecutionResult>;
    const tx = log.begin();
    for (let i = 0; i <= FEED_BUFFER_LIMIT; i++) log.insert(tx, "h1", "HubProvisioned");
    log.commit(tx);
    await until(() => !tail.running, "the overflowing subscriber to leave");
    const last = await stream.next();
    expect(last.value?.errors?.[0]?.extensions?.code).toBe("FEED_OVERFLOW");
    expect(last.value?.errors?.[0]?.message).toMatch(/subscribe again with after/);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it("ends feeds with UNAVAILABLE (resume with after) when the gateway shuts down", async () => {
    const log = new FakeLog();
    const { tail, result } = await subscribeWith(log, admin);
    const stream = result as AsyncIterableIterator<ExecutionResult>;
    tail.close();
    const last = await stream.next();
    expect(last.value?.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/shutting down/),
      extensions: { code: "UNAVAILABLE" },
    });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
