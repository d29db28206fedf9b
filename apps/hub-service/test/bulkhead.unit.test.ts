import { UnavailableError } from "@hub/shared";
import { describe, expect, it, vi } from "vitest";
import { createBulkhead } from "../src/bulkhead.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("bulkhead", () => {
  it("runs at most `concurrency` operations and starts waiting ones in order as slots free", async () => {
    const bulkhead = createBulkhead({ concurrency: 2, queueTimeoutMs: 10_000, maxQueue: 10 });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      bulkhead.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(bulkhead.queued()).toBe(1);
    gates[1]?.resolve();
    await expect(runs[1]).resolves.toBe(1);
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2]);
    expect(bulkhead.active()).toBe(0);
  });

  it("refuses with UnavailableError, without running the operation, after the queue timeout or past maxQueue", async () => {
    vi.useFakeTimers();
    try {
      const bulkhead = createBulkhead({ concurrency: 1, queueTimeoutMs: 100, maxQueue: 1 });
      const gate = deferred();
      const operation = vi.fn(() => gate.promise);
      const first = bulkhead.run(operation);
      const queued = bulkhead.run(operation);
      await expect(bulkhead.run(operation)).rejects.toBeInstanceOf(UnavailableError);
      vi.advanceTimersByTime(100);
      await expect(queued).rejects.toBeInstanceOf(UnavailableError);
      expect(operation).toHaveBeenCalledTimes(1);
      gate.resolve();
      await first;
      expect(bulkhead.active()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("frees the slot when an operation fails", async () => {
    const bulkhead = createBulkhead({ concurrency: 1, queueTimeoutMs: 1000, maxQueue: 1 });
    await expect(bulkhead.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(bulkhead.run(async () => "ok")).resolves.toBe("ok");
  });

  it("a waiting caller that disconnects leaves the line at once, its operation never run, its place freed", async () => {
    const bulkhead = createBulkhead({ concurrency: 1, queueTimeoutMs: 60_000, maxQueue: 1 });
    const gate = deferred();
    const operation = vi.fn(() => gate.promise);
    const first = bulkhead.run(operation);
    const disconnect = new AbortController();
    const gone = bulkhead.run(operation, { signal: disconnect.signal });
    expect(bulkhead.queued()).toBe(1);
    disconnect.abort();
    await expect(gone).rejects.toThrow(/caller disconnected/);
    expect(bulkhead.queued()).toBe(0);
    // Its place in the line is free for a caller still waiting.
    const next = bulkhead.run(async () => "served");
    gate.resolve();
    await first;
    await expect(next).resolves.toBe("served");
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it("a waiting caller whose deadline comes before the queue timeout leaves the line at its deadline", async () => {
    vi.useFakeTimers();
    try {
      const bulkhead = createBulkhead({ concurrency: 1, queueTimeoutMs: 5000, maxQueue: 2 });
      const gate = deferred();
      const operation = vi.fn(() => gate.promise);
      const first = bulkhead.run(operation);
      const late = bulkhead.run(operation, { deadline: Date.now() + 200 });
      const patient = bulkhead.run(operation, { deadline: Date.now() + 60_000 });
      vi.advanceTimersByTime(200);
      await expect(late).rejects.toThrow(/deadline passed/);
      expect(bulkhead.queued()).toBe(1);
      // The queue timeout still bounds a caller with a later deadline: busy, as before.
      vi.advanceTimersByTime(4800);
      await expect(patient).rejects.toThrow(/busy/);
      expect(operation).toHaveBeenCalledTimes(1);
      gate.resolve();
      await first;
    } finally {
      vi.useRealTimers();
    }
  });
});
