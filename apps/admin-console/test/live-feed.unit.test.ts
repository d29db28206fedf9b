import { describe, expect, it } from "vitest";
import {
  backoffMs,
  type FeedPage,
  type FeedRequest,
  type FeedStatus,
  followFeed,
} from "../src/lib/live-feed.ts";

/** A log of numbered events, pages of `size` by cursor; timers run by hand. */
function harness(
  options: { log?: number[]; size?: number; fail?: (request: FeedRequest, call: number) => unknown } = {},
) {
  const log: number[] = [...(options.log ?? [])];
  const requests: FeedRequest[] = [];
  const delivered: number[] = [];
  const statuses: FeedStatus[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const size = options.size ?? 3;
  const feed = followFeed<number>({
    fetchPage: async (request): Promise<FeedPage<number>> => {
      requests.push(request);
      const failure = options.fail?.(request, requests.length);
      if (failure) throw failure;
      const start =
        request.after === null ? (request.initial ? Math.max(0, log.length - 2) : 0) : Number(request.after);
      const slice = log.slice(start, start + size);
      return {
        events: slice.map((event, i) => ({ cursor: String(start + i + 1), event })),
        hasNextPage: start + size < log.length,
      };
    },
    onEvents: (events) => delivered.push(...events),
    onStatus: (status) => statuses.push(status),
    isFatal: (error) => error === "forbidden",
    setTimer: (run, ms) => {
      const timer = { run, ms };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      timers.splice(timers.indexOf(timer as (typeof timers)[number]), 1);
    },
  });
  const tick = async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const timer = timers.shift();
    timer?.run();
    await new Promise((resolve) => setTimeout(resolve, 0));
    return timer?.ms;
  };
  return { log, requests, delivered, statuses, timers, feed, tick };
}

describe("live feed", () => {
  it("starts with the latest events, then delivers every later one once, catching up page by page", async () => {
    const h = harness({ log: [1, 2, 3, 4] });
    await h.tick();
    expect(h.delivered).toEqual([3, 4]);
    h.log.push(5, 6, 7, 8, 9);
    expect(await h.tick()).toBe(1000);
    expect(h.delivered).toEqual([3, 4, 5, 6, 7]);
    expect(await h.tick()).toBe(0);
    expect(h.delivered).toEqual([3, 4, 5, 6, 7, 8, 9]);
    await h.tick();
    expect(h.delivered).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(h.statuses.at(-1)).toBe("live");
  });

  it("resumes after a pause from its last cursor: nothing missed, nothing repeated", async () => {
    const h = harness({ log: [1, 2] });
    await h.tick();
    h.feed.pause();
    expect(h.timers).toHaveLength(0);
    h.log.push(3, 4);
    h.feed.resume();
    await h.tick();
    expect(h.delivered).toEqual([1, 2, 3, 4]);
    expect(h.requests.at(-1)).toEqual({ after: "4", initial: false });
    expect(h.statuses).toContain("paused");
  });

  it("backs off on failures and reconnects from the same cursor", async () => {
    let failing = false;
    const h = harness({ log: [1], fail: () => (failing ? new Error("down") : null) });
    await h.tick();
    failing = true;
    h.log.push(2);
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
