import { UnavailableError } from "@hub/shared";
import { type CallerWait, callerGoneError } from "./command-handling/handle-command.ts";

export type BulkheadOptions = {
  /** Operations allowed to run at once; the rest wait in line. */
  readonly concurrency: number;
  /** How long one may wait for its turn before it is refused (503), having done nothing. */
  readonly queueTimeoutMs: number;
  /** Longest line; past it a caller is refused at once. */
  readonly maxQueue: number;
};

export type Bulkhead = {
  /** Runs `operation` in turn; a `caller` that disconnects or whose deadline passes first leaves the line. */
  run<T>(operation: () => Promise<T>, caller?: CallerWait): Promise<T>;
  readonly active: () => number;
  readonly queued: () => number;
};

/**
 * Admission control for provisioning. Without it a burst starts every IoT lookup and every
 * transaction at once: lookups queue behind a few sockets and blow their deadline, transactions
 * queue for a pool connection past Prisma's `maxWait`, and a burst that the service could absorb
 * in seconds turns into a wave of 503s and 500s. With it, work beyond `concurrency` waits its turn
 * before touching any dependency, so deadlines measure the dependency, not our own queue; a caller
 * that cannot be served in time is refused before anything is written.
 *
 * Kept rather than cockatiel's BulkheadPolicy (a dependency already): cockatiel 3 (the last line
 * for Node 20) has no queue timeout, and a queued call whose signal aborts keeps its place until it
 * is dequeued; here a waiting caller leaves at its queue timeout, its deadline or its disconnect.
 */
export function createBulkhead(options: BulkheadOptions): Bulkhead {
  let active = 0;
  const waiting: { start: () => void; timer: NodeJS.Timeout }[] = [];

  const release = () => {
    active--;
    const next = waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.start();
    }
  };

  return {
    active: () => active,
    queued: () => waiting.length,
    run<T>(operation: () => Promise<T>, caller: CallerWait = {}): Promise<T> {
      const execute = () => {
        active++;
        return operation().finally(release);
      };
      if (active < options.concurrency) return execute();
      if (waiting.length >= options.maxQueue) return Promise.reject(busy());
      // A caller that disconnects, or whose deadline comes first, leaves the line at once: its
      // place goes to callers still waiting for an answer.
      const untilDeadline =
        caller.deadline === undefined ? Number.POSITIVE_INFINITY : caller.deadline - Date.now();
      return new Promise<T>((resolve, reject) => {
        const leave = (error: unknown) => {
          const index = waiting.indexOf(entry);
          if (index >= 0) waiting.splice(index, 1);
          clearTimeout(entry.timer);
          caller.signal?.removeEventListener("abort", onAbort);
          reject(error);
        };
        const onAbort = () => leave(callerGoneError("disconnected"));
        const entry = {
          start: () => {
            caller.signal?.removeEventListener("abort", onAbort);
            execute().then(resolve, reject);
          },
          timer: setTimeout(
            () => leave(untilDeadline < options.queueTimeoutMs ? callerGoneError("deadline") : busy()),
            Math.max(0, Math.min(options.queueTimeoutMs, untilDeadline)),
          ),
        };
        waiting.push(entry);
        caller.signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}

function busy(): UnavailableError {
  return new UnavailableError("The hub service is busy. Please retry later", 1);
}
