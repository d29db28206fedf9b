import { createWaker, defaultOwner } from "@hub/server-kit";
import { cursorOf, type LogCursor, type LogEvent } from "@hub/shared";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { acquireLease, releaseLease, saveCheckpoint } from "./checkpoints.ts";
import { readLog } from "./log-reader.ts";

export type LogConsumerOptions = {
  readonly prisma: PrismaClient;
  /** The consumer's durable name: its checkpoint and its lease. */
  readonly name: string;
  /** This instance's id in the lease (default: host, pid and a random suffix). */
  readonly owner?: string;
  readonly batchSize?: number;
  /** How long a lease lives without renewal: the takeover time after the holder dies. */
  readonly leaseMs?: number;
  /** Polling: right away after a full batch, then from `minIdleMs` doubling to `maxIdleMs` while idle. */
  readonly minIdleMs?: number;
  readonly maxIdleMs?: number;
  /**
   * The consumer's own writes for a batch, in the transaction that then moves the checkpoint past
   * it: both commit or neither does, so a crash redoes the batch and never skips one.
   */
  readonly handle: (tx: Prisma.TransactionClient, events: readonly LogEvent[]) => Promise<void>;
  readonly onError?: (error: unknown) => void;
  /** Called after each committed batch (metrics, tests). */
  readonly onBatch?: (events: readonly LogEvent[]) => void;
};

export type LogConsumer = {
  readonly owner: string;
  /** Read again now (e.g. after this process appended events) instead of at the next poll. */
  poke(): void;
  /** Stops after the batch in hand and gives the lease up. */
  stop(): Promise<void>;
};

class LeaseLostError extends Error {
  constructor(name: string) {
    super(`log consumer ${name}: the lease was lost or the checkpoint moved; the batch was rolled back`);
  }
}

/**
 * Runs one durable log consumer: one active instance across replicas (a lease in
 * `log_consumers`, renewed at half its life), batches read with the snapshot rule
 * (log-reader.ts), the handler's writes and the checkpoint in one transaction, polling with
 * back-off while idle.
 */
export function startLogConsumer(options: LogConsumerOptions): LogConsumer {
  const { prisma, name } = options;
  const owner = options.owner ?? defaultOwner();
  const batchSize = options.batchSize ?? 500;
  const leaseMs = options.leaseMs ?? 10_000;
  const minIdleMs = options.minIdleMs ?? 20;
  const maxIdleMs = options.maxIdleMs ?? 250;
  let stopped = false;
  const waker = createWaker();
  /** The checkpoint while this instance holds the lease (it alone moves it); undefined otherwise. */
  let held: LogCursor | undefined;
  let leaseRenewAt = 0;

  async function batch(): Promise<number> {
    // The lease is renewed at half its life, not on every poll: an idle consumer reads only.
    if (!held || Date.now() >= leaseRenewAt) {
      held = (await acquireLease(prisma, name, owner, leaseMs)) ?? undefined;
      if (!held) return -1;
      leaseRenewAt = Date.now() + leaseMs / 2;
    }
    let total = 0;
    while (!stopped && held && Date.now() < leaseRenewAt) {
      const start: LogCursor = held;
      const events = await prisma.$transaction(
        async (tx) => {
          const read = await readLog(tx, { after: start, limit: batchSize });
          const last = read.at(-1);
          if (!last) return read;
          await options.handle(tx, read);
          if (!(await saveCheckpoint(tx, name, owner, start, cursorOf(last)))) throw new LeaseLostError(name);
          return read;
        },
        { maxWait: 10_000, timeout: 60_000 },
      );
      const last = events.at(-1);
      if (!last) break;
      options.onBatch?.(events);
      total += events.length;
      held = cursorOf(last);
      if (events.length < batchSize) break;
    }
    return total;
  }

  const loop = (async () => {
    let idle = minIdleMs;
    while (!stopped) {
      let delay: number;
      try {
        const taken = await batch();
        if (taken < 0) delay = Math.max(maxIdleMs, leaseMs / 4);
        else if (taken > 0) {
          idle = minIdleMs;
          delay = 0;
        } else {
          delay = idle;
          idle = Math.min(maxIdleMs, idle * 2);
        }
      } catch (error) {
        // Whatever failed (a lost lease among others), take the lease and checkpoint afresh.
        held = undefined;
        options.onError?.(error);
        delay = Math.max(maxIdleMs, 1_000);
      }
      if (!stopped && delay > 0) await waker.sleep(delay);
    }
  })();

  return {
    owner,
    poke() {
      waker.wake();
    },
    async stop() {
      stopped = true;
      waker.wake();
      await loop;
      await releaseLease(prisma, name, owner).catch((error: unknown) => options.onError?.(error));
    },
  };
}
