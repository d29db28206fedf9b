import { describe, expect, it } from "vitest";
import { backoffMs, type FeedStatus, followFeed, type StreamSink } from "../src/lib/live-feed.ts";

/**
 * A log of events numbered by position, and a stream server like the gateway's: a connection
 * opened with `after` gets every logged event after it, then each new one as it is appended.
 * Connections can be refused or dropped; timers run by hand.
 */
function harness(
  options: { log?: number[]; history?: boolean; refuse?: (after: string | null) => unknown } = {},
) {
  const log = [...(options.log ?? [])];
  const opened: (string | null)[] = [];
  const delivered: number[] = [];
  const statuses: FeedStatus[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const connections: { sink: StreamSink<number>; open: boolean }[] = [];
  let closed = 0;
  const feed = followFeed<number>({
    ...(options.history === false ? {} : { loadInitial: async () => log.slice(-2).reverse() }),
    open: (after, sink) => {
      opened.push(after);
      const connection = { sink, open: true };
      connections.push(connection);
      queueMicrotask(() => {
        const refusal = options.refuse?.(after);
        if (refusal) {
          connection.open = false;
          sink.end(refusal);
          return;
        }
        sink.connected();
        const from = after === null ? Number.POSITIVE_INFINITY : Number(after);
        for (const position of log) if (position > from && connection.open) sink.next(position);
      });
      return () => {
        connection.open = false;
        closed += 1;
      };
    },
    positionOf: (event) => BigInt(event),
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
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  /** Appends events to the log; open connections receive them. */
  const append = (...positions: number[]) => {
    for (const position of positions) {
      log.push(position);
      for (const connection of connections) if (connection.open) connection.sink.next(position);
    }
  };
  /** The server drops every open connection (a gateway restart). */
  const drop = (error?: unknown) => {
    for (const connection of connections) {
      if (!connection.open) continue;
      connection.open = false;
      connection.sink.end(error);
    }
  };
  /** Runs the next timer and lets the connection it opens settle. */
  const tick = async () => {
    await settle();
    const timer = timers.shift();
    timer?.run();
    await settle();
    return timer?.ms;
  };
  return { log, opened, delivered, statuses, timers, feed, append, drop, tick, settle, closed: () => closed };
}

describe("live feed (SSE)", () => {
  it("shows the latest history, then streams from its newest position: every later event once", async () => {
    const h = harness({ log: [1, 2, 3, 4] });
    await h.settle();
    expect(h.delivered).toEqual([4, 3]);
    expect(h.opened).toEqual(["4"]);
    expect(h.statuses).toEqual(["connecting", "live"]);
    h.append(5, 6);
    expect(h.delivered).toEqual([4, 3, 5, 6]);
  });

  it("starts an empty log from its beginning, so an event committed meanwhile is not lost", async () => {
    const h = harness({ log: [] });
    await h.settle();
    expect(h.opened).toEqual(["0"]);
    h.append(1);
    expect(h.delivered).toEqual([1]);
  });

  it("without history follows from now on", async () => {
    const h = harness({ log: [1, 2], history: false });
    await h.settle();
    expect(h.opened).toEqual([null]);
    expect(h.delivered).toEqual([]);
    h.append(3);
    expect(h.delivered).toEqual([3]);
  });

  it("reconnects after a drop from the last position received: nothing missed, nothing twice", async () => {
    const h = harness({ log: [1, 2] });
    await h.settle();
    h.append(3, 4);
    h.drop(new Error("connection lost"));
    expect(h.statuses.at(-1)).toBe("reconnecting");
    // Committed while the client was away.
    h.log.push(5, 6);
    expect(await h.tick()).toBe(1000);
    expect(h.opened).toEqual(["2", "4"]);
    expect(h.delivered).toEqual([2, 1, 3, 4, 5, 6]);
    expect(h.statuses.at(-1)).toBe("live");
  });

  it("resumes after the last event received even when it is not the highest (a late commit)", async () => {
    const h = harness({ log: [1, 2] });
    await h.settle();
    // 4 committed before 3: the stream hands them over in commit order.
    h.append(4, 3);
    h.drop(new Error("connection lost"));
    await h.tick();
    expect(h.opened.at(-1)).toBe("3");
  });

  it("drops a position it has already delivered (a guard should a replay overlap)", async () => {
    const h = harness({ log: [1, 2] });
    await h.settle();
    h.append(3);
    h.append(3);
    expect(h.delivered).toEqual([2, 1, 3]);
  });

  it("backs off while the gateway is away, and is live again once it answers", async () => {
    let down = false;
    const h = harness({ log: [1], refuse: () => (down ? new Error("refused") : null) });
    await h.settle();
    down = true;
    h.drop(new Error("connection lost"));
    expect(await h.tick()).toBe(1000);
    expect(await h.tick()).toBe(2000);
    expect(await h.tick()).toBe(4000);
    expect(h.statuses.at(-1)).toBe("reconnecting");
    down = false;
    h.log.push(2);
    expect(await h.tick()).toBe(8000);
    expect(h.delivered).toEqual([1, 2]);
    expect(h.statuses.at(-1)).toBe("live");
    expect(backoffMs(1)).toBe(1000);
    expect(backoffMs(10)).toBe(15_000);
  });

  it("reconnects when the gateway ends the stream normally (it shuts down)", async () => {
    const h = harness({ log: [1] });
    await h.settle();
    h.drop();
    expect(h.statuses.at(-1)).toBe("reconnecting");
    await h.tick();
    expect(h.statuses.at(-1)).toBe("live");
  });

  it("closes the connection on pause, shows nothing while paused, and resumes where it was", async () => {
    const h = harness({ log: [1, 2] });
    await h.settle();
    h.feed.pause();
    expect(h.closed()).toBe(1);
    h.append(3);
    expect(h.delivered).toEqual([2, 1]);
    h.feed.resume();
    await h.settle();
    expect(h.opened).toEqual(["2", "2"]);
    expect(h.delivered).toEqual([2, 1, 3]);
    expect(h.statuses).toContain("paused");
  });

  it("stops for good on a refusal retrying cannot mend", async () => {
    const h = harness({ log: [1], refuse: () => "forbidden" });
    await h.settle();
    expect(h.statuses).toEqual(["connecting", "stopped"]);
    expect(h.timers).toHaveLength(0);
  });
});
