import { describe, expect, it } from "vitest";
import { createGroupCommit } from "../src/command-handling/group-commit.ts";
import type { NewStream, RecordedEvent } from "../src/event-store/event-store.ts";
import { GroupConflictError } from "../src/event-store/event-store.ts";
import { createRateLimiter } from "../src/iot/rate-limit.ts";

const event = (streamId: string): NewStream => ({
  streamId,
  event: { type: "HubProvisioned", data: {}, metadata: {} },
});
const recorded = (stream: NewStream): RecordedEvent => ({
  ...stream.event,
  streamId: stream.streamId,
  version: 1,
  position: 1n,
  recordedAt: new Date(0),
});

/** A writer that stores everything and remembers each statement's streams; `release` ends one. */
function recordingWriter() {
  const statements: string[][] = [];
  const pending: (() => void)[] = [];
  return {
    statements,
    release: () => pending.shift()?.(),
    write: (streams: readonly NewStream[]) => {
      statements.push(streams.map((s) => s.streamId));
      return new Promise<Map<string, RecordedEvent>>((resolve) =>
        pending.push(() => resolve(new Map(streams.map((s) => [s.streamId, recorded(s)])))),
      );
    },
  };
}

/** Two turns of the event loop: the statement's answer, then the next group's flush. */
const tick = async () => {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
};

describe("group commit", () => {
  it("sends a lone entry at once, queues what arrives meanwhile and sends it together when the statement returns", async () => {
    const writer = recordingWriter();
    const group = createGroupCommit({ write: writer.write });
    const first = group.append({ ...event("a"), keys: ["a"] });
    await tick();
    expect(writer.statements).toEqual([["a"]]);
    const later = ["b", "c", "d"].map((id) => group.append({ ...event(id), keys: [id] }));
    await tick();
    expect(writer.statements).toHaveLength(1);
    expect(group.queued()).toBe(3);
    writer.release();
    expect((await first)?.streamId).toBe("a");
    await tick();
    expect(writer.statements).toEqual([["a"], ["b", "c", "d"]]);
    writer.release();
    expect((await Promise.all(later)).map((e) => e?.streamId)).toEqual(["b", "c", "d"]);
  });

  it("never puts two entries sharing a key in one statement; the later one goes next, in order", async () => {
    const writer = recordingWriter();
    const group = createGroupCommit({ write: writer.write });
    const entries = [
      group.append({ ...event("a"), keys: ["id:a", "serial:1"] }),
      group.append({ ...event("b"), keys: ["id:b", "serial:1"] }),
      group.append({ ...event("c"), keys: ["id:c", "serial:2"] }),
    ];
    await tick();
    expect(writer.statements).toEqual([["a", "c"]]);
    writer.release();
    await tick();
    expect(writer.statements).toEqual([["a", "c"], ["b"]]);
    writer.release();
    await Promise.all(entries);
  });

  it("refuses an entry whose deadline passed while it waited, writing nothing for it", async () => {
    const writer = recordingWriter();
    const group = createGroupCommit({ write: writer.write });
    const first = group.append({ ...event("a"), keys: ["a"] });
    await tick();
    const late = group.append({ ...event("b"), keys: ["b"], deadline: Date.now() - 1 });
    writer.release();
    await first;
    await expect(late).rejects.toMatchObject({ kind: "UNAVAILABLE" });
    await tick();
    expect(writer.statements).toEqual([["a"]]);
  });

  it("a statement lost as a whole (GroupConflictError) hands every entry back to be decided alone", async () => {
    const group = createGroupCommit({ write: () => Promise.reject(new GroupConflictError()) });
    const results = await Promise.all(["a", "b"].map((id) => group.append({ ...event(id), keys: [id] })));
    expect(results).toEqual([null, null]);
  });

  it("any other failure is each entry's failure", async () => {
    const group = createGroupCommit({ write: () => Promise.reject(new Error("database down")) });
    await expect(group.append({ ...event("a"), keys: ["a"] })).rejects.toThrow("database down");
  });

  it("caps a statement at maxRows", async () => {
    const writer = recordingWriter();
    const group = createGroupCommit({ write: writer.write, maxRows: 2 });
    const all = ["a", "b", "c", "d", "e"].map((id) => group.append({ ...event(id), keys: [id] }));
    await tick();
    writer.release();
    await tick();
    writer.release();
    await tick();
    writer.release();
    await Promise.all(all);
    expect(writer.statements).toEqual([["a", "b"], ["c", "d"], ["e"]]);
  });
});

describe("registry rate limit (GCRA)", () => {
  it("lets a burst through, then spaces calls at the rate", () => {
    const limiter = createRateLimiter(10, 3);
    const waits = Array.from({ length: 6 }, () => limiter.reserve(Number.POSITIVE_INFINITY, 0));
    expect(waits).toEqual([
      { waitMs: 0 },
      { waitMs: 0 },
      { waitMs: 0 },
      { waitMs: 100 },
      { waitMs: 200 },
      { waitMs: 300 },
    ]);
  });

  it("refuses at once a call whose slot lies past its deadline, and spends no slot on it", () => {
    const limiter = createRateLimiter(10, 1);
    expect(limiter.reserve(1_000, 0)).toEqual({ waitMs: 0 });
    expect(limiter.reserve(50, 0)).toEqual({ retryAfterSeconds: 1 });
    expect(limiter.reserve(1_000, 0)).toEqual({ waitMs: 100 });
  });

  it("holds the rate over time: 1 s at 300/s admits about 300 calls", () => {
    const limiter = createRateLimiter(300);
    let admitted = 0;
    for (let now = 0; now < 1_000; now++) {
      while ("waitMs" in limiter.reserve(now + 1, now)) admitted++;
    }
    expect(admitted).toBeGreaterThanOrEqual(300);
    expect(admitted).toBeLessThanOrEqual(330);
  });
});

describe("group commit with two statements in flight", () => {
  it("an entry sharing a key with a statement in flight waits for it", async () => {
    const writer = recordingWriter();
    const group = createGroupCommit({ write: writer.write, maxInFlight: 2 });
    const first = group.append({ ...event("a"), keys: ["id:a", "serial:1"] });
    await tick();
    const second = group.append({ ...event("b"), keys: ["id:b", "serial:1"] });
    const third = group.append({ ...event("c"), keys: ["id:c"] });
    await tick();
    expect(writer.statements).toEqual([["a"], ["c"]]);
    writer.release();
    await first;
    await tick();
    expect(writer.statements).toEqual([["a"], ["c"], ["b"]]);
    writer.release();
    writer.release();
    await Promise.all([second, third]);
  });
});
