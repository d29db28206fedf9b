import { describe, expect, it } from "vitest";
import {
  backoffMs,
  type FeedPage,
  type FeedRequest,
  type FeedStatus,
  followFeed,
} from "../src/lib/live-feed.ts";

/**
 * A log of events numbered by position (cursor = position), where an event is visible only once
 * "committed"; pages of `size` after a cursor, like the gateway's feed. Timers and the clock run by hand.
 */
function harness(
  options: {
    log?: number[];
    size?: number;
    settleMs?: number;
    maxReread?: number;
    fail?: (request: FeedRequest) => unknown;
  } = {},
) {
  const committed = new Set<number>(options.log ?? []);
  const requests: FeedRequest[] = [];
  const delivered: number[] = [];
  const statuses: FeedStatus[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const clock = { now: 0 };
  const size = options.size ?? 3;
  const visible = () => [...committed].sort((a, b) => a - b);
  let gate: Promise<void> | null = null;
  const feed = followFeed<number>({
    fetchPage: async (request): Promise<FeedPage<number>> => {
      requests.push(request);
      if (gate) await gate;
      const failure = options.fail?.(request);
      if (failure) throw failure;
      const all = visible();
      const after = request.after === null ? 0 : Number(request.after);
      const rest = request.initial ? all.slice(-2) : all.filter((p) => p > after);
      const slice = rest.slice(0, size);
      return { events: slice.map((p) => ({ cursor: String(p), event: p })), hasNextPage: rest.length > size };
    },
    positionOf: (event) => BigInt(event),
    onEvents: (events) => delivered.push(...events),
    onStatus: (status) => statuses.push(status),
    isFatal: (error) => error === "forbidden",
    settleMs: options.settleMs ?? 10_000,
    ...(options.maxReread !== undefined ? { maxReread: options.maxReread } : {}),
    now: () => clock.now,
    setTimer: (run, ms) => {
      const timer = { run, ms };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      timers.splice(timers.indexOf(timer as (typeof timers)[number]), 1);
    },
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  /** Runs the next timer (advancing the clock by its delay) and lets the poll finish. */
  const tick = async () => {
    await settle();
    const timer = timers.shift();
    if (timer) clock.now += timer.ms;
    timer?.run();
    await settle();
    return timer?.ms;
  };
  const hold = () => {
    let release = () => {};
    gate = new Promise<void>((resolve) => {
      release = () => {
        gate = null;
        resolve();
      };
    });
    return () => release();
  };
  return { committed, requests, delivered, statuses, timers, feed, tick, clock, hold };
}

describe("live feed", () => {
  it("starts with the latest events, then delivers every later one once, catching up page by page", async () => {
    const h = harness({ log: [1, 2, 3, 4] });
    await h.tick();
    expect(h.delivered).toEqual([3, 4]);
    for (const p of [5, 6, 7, 8, 9]) h.committed.add(p);
    expect(await h.tick()).toBe(1000);
    expect(await h.tick()).toBe(0);
    await h.tick();
    await h.tick();
    expect(h.delivered).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(h.statuses.at(-1)).toBe("live");
  });

  it("shows an event that commits after a higher position was shown, once (no gap)", async () => {
    const h = harness({ log: [1, 2] });
    await h.tick();
    // 3 and 4 were written; 4 commits first and is shown, 3 commits a moment later.
    h.committed.add(4);
    await h.tick();
    expect(h.delivered).toEqual([1, 2, 4]);
    h.committed.add(3);
    await h.tick();
    expect(h.delivered).toEqual([1, 2, 4, 3]);
    await h.tick();
    await h.tick();
    expect(h.delivered).toEqual([1, 2, 4, 3]);
  });

  it("re-reads only from a settled anchor, and at most maxReread events back", async () => {
    const h = harness({ log: [1, 2], settleMs: 2500 });
    await h.tick();
    h.committed.add(3);
    await h.tick();
    await h.tick();
    await h.tick();
    // Events seen 2.5 s ago have settled: the poll now starts after the newest of them.
    expect(h.requests.at(-1)?.after).toBe("2");
    await h.tick();
    expect(h.requests.at(-1)?.after).toBe("3");

    const capped = harness({ log: [1, 2], maxReread: 1, size: 10 });
    await capped.tick();
    for (const p of [3, 4, 5]) capped.committed.add(p);
    await capped.tick();
    await capped.tick();
    expect(capped.requests.at(-1)?.after).toBe("4");
    expect(capped.delivered).toEqual([1, 2, 3, 4, 5]);
  });

  it("resumes after a pause from where it was: nothing missed, nothing repeated, nothing shown while paused", async () => {
    const h = harness({ log: [1, 2] });
    await h.tick();
    h.committed.add(3);
    const release = h.hold();
    await h.tick();
    h.feed.pause();
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(h.delivered).toEqual([1, 2]);
    expect(h.timers).toHaveLength(0);
    h.committed.add(4);
    h.feed.resume();
    await h.tick();
    expect(h.delivered).toEqual([1, 2, 3, 4]);
    expect(h.statuses).toContain("paused");
  });

  it("backs off on failures and reconnects from the same place", async () => {
    let failing = false;
    const h = harness({ log: [1], fail: () => (failing ? new Error("down") : null) });
    await h.tick();
    failing = true;
    h.committed.add(2);
    expect(await h.tick()).toBe(1000);
    expect(h.statuses.at(-1)).toBe("reconnecting");
    expect(await h.tick()).toBe(1000);
    expect(await h.tick()).toBe(2000);
    failing = false;
    expect(await h.tick()).toBe(4000);
    expect(h.delivered).toEqual([1, 2]);
    expect(h.statuses.at(-1)).toBe("live");
    expect(backoffMs(1)).toBe(1000);
    expect(backoffMs(10)).toBe(15_000);
  });

  it("stops for good on a failure retrying cannot mend", async () => {
    const h = harness({ fail: () => "forbidden" });
    await h.tick();
    expect(h.statuses).toEqual(["connecting", "stopped"]);
    expect(h.timers).toHaveLength(0);
  });
});
