import { type HubServiceClient, TRPCClientError } from "@hub/hub-client";
import { createWaker } from "@hub/server-kit";
import type { ClaimedDelivery, DeliveryReport } from "@hub/shared";
import type { Logger } from "pino";
import type { WebhookSender } from "./http-sender.ts";
import type { RelayMetrics } from "./metrics.ts";
import { nextStep } from "./retry-policy.ts";

export type DeliveryWorkerOptions = {
  readonly client: HubServiceClient;
  readonly sender: WebhookSender;
  /** This relay's name in the leases it takes. */
  readonly owner: string;
  readonly concurrency: number;
  /** Most requests in flight to one subscription: a slow or hanging endpoint does not take every slot. */
  readonly perSubscription?: number;
  readonly leaseMs: number;
  readonly schedule: readonly number[];
  readonly disableAfterMs: number;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  /** Polling while nothing is due: from `minIdleMs` doubling to `maxIdleMs`. */
  readonly minIdleMs?: number;
  readonly maxIdleMs?: number;
};

export type DeliveryWorker = { stop(): Promise<void> };

/**
 * Keeps up to `concurrency` webhook requests in flight: claims as many due deliveries as it has
 * free slots (hub-service leases and signs them), sends each, decides retry or dead letter by the
 * schedule, and reports the outcomes in small batches. Holds nothing that is not in hub-service:
 * a relay that dies loses its leases when they run out, and another relay sends those again
 * (with the same webhook-id).
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { client, logger } = options;
  const minIdleMs = options.minIdleMs ?? 25;
  const maxIdleMs = options.maxIdleMs ?? 250;
  const inFlight = new Set<Promise<void>>();
  const perSubscription = options.perSubscription ?? Math.max(8, Math.ceil(options.concurrency / 2));
  // Claims fill a quarter of the slots or more: one claim per freed slot would cost hub-service a
  // statement per delivery.
  const claimAtLeast = Math.max(1, Math.floor(options.concurrency / 4));
  const bySubscription = new Map<string, number>();
  const waker = createWaker();
  const reporter = createReporter(options, () => waker.wake());
  let stopped = false;

  async function deliver(delivery: ClaimedDelivery): Promise<void> {
    const attemptedAt = Date.now();
    const result = await options.sender.send({
      url: delivery.url,
      headers: delivery.headers,
      body: delivery.body,
    });
    const now = Date.now();
    const step = nextStep({ attempt: delivery.scheduleAttempt, result, now, schedule: options.schedule });
    options.metrics.attempt(
      step.outcome,
      result.durationMs / 1000,
      step.outcome === "delivered" ? (now - delivery.recordedAt) / 1000 : undefined,
    );
    if (step.outcome !== "delivered") {
      logger.info(
        {
          delivery: delivery.id,
          subscription: delivery.subscriptionId,
          webhookId: delivery.headers["webhook-id"],
          attempt: delivery.attempt,
          status: result.status,
          error: result.error,
          outcome: step.outcome,
        },
        step.outcome === "dead" ? "webhook delivery dead-lettered" : "webhook delivery failed; will retry",
      );
    }
    reporter.add({
      id: delivery.id,
      attempt: delivery.attempt,
      outcome: step.outcome,
      ...(step.outcome === "retry" ? { nextAttemptAt: step.nextAttemptAt } : {}),
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error.slice(0, 500) } : {}),
      ...(result.responsePrefix !== undefined
        ? { responsePrefix: result.responsePrefix.slice(0, 2048) }
        : {}),
      durationMs: Math.round(result.durationMs),
      attemptedAt,
    });
  }

  const loop = (async () => {
    let idle = minIdleMs;
    while (!stopped) {
      const free = options.concurrency - inFlight.size;
      if (free <= 0 || (free < claimAtLeast && inFlight.size > 0)) {
        await Promise.race([...inFlight, waker.sleep(minIdleMs)]);
        continue;
      }
      let claimed: ClaimedDelivery[];
      try {
        claimed = await client.relay.claim.mutate({
          owner: options.owner,
          limit: free,
          leaseMs: options.leaseMs,
        });
      } catch (error) {
        logger.warn({ err: error }, "could not claim webhook deliveries from hub-service; retrying");
        await waker.sleep(1_000);
        continue;
      }
      for (const delivery of claimed) {
        const running: Promise<void> = deliver(delivery)
          .catch((error: unknown) =>
            logger.error({ err: error, delivery: delivery.id }, "delivery failed unexpectedly"),
          )
          .finally(() => {
            inFlight.delete(running);
            waker.wake();
          });
        inFlight.add(running);
      }
      if (claimed.length === 0) {
        await waker.sleep(idle);
        idle = Math.min(maxIdleMs, idle * 2);
      } else {
        idle = minIdleMs;
        // Fewer than asked for: the rest is not due yet; look again shortly rather than at once.
        if (claimed.length < free) await waker.sleep(minIdleMs);
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      waker.wake();
      await loop;
      // Requests in flight end within their timeout; their outcomes are reported if hub-service answers.
      await Promise.allSettled(inFlight);
      await reporter.close();
    },
  };
}

/**
 * Reports in batches (one call per ~10 ms or 200 outcomes). A report that cannot reach
 * hub-service is kept and sent again; if its lease runs out meanwhile, hub-service ignores it and
 * the delivery is sent again (same webhook-id): at least once, never lost.
 */
function createReporter(options: DeliveryWorkerOptions, onApplied: () => void) {
  let pending: DeliveryReport[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  async function flush(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    timer = undefined;
    while (pending.length > 0) {
      const batch = pending.slice(0, 200);
      try {
        await options.client.relay.report.mutate({
          owner: options.owner,
          reports: batch,
          disableAfterMs: options.disableAfterMs,
        });
        pending = pending.slice(batch.length);
        onApplied();
      } catch (error) {
        if (
          error instanceof TRPCClientError &&
          (error.data as { code?: string } | undefined)?.code === "BAD_REQUEST"
        ) {
          // Refused as malformed: sending it again cannot help. Its leases run out and the
          // deliveries are sent again, so nothing is lost.
          options.logger.error(
            { err: error, reports: batch.length },
            "hub-service refused a report batch; dropped",
          );
          pending = pending.slice(batch.length);
          continue;
        }
        if (Date.now() >= deadline) {
          options.logger.warn(
            { reports: pending.length },
            "stopping with unreported outcomes: their leases run out and those deliveries are sent again",
          );
          pending = [];
          return;
        }
        options.logger.warn({ err: error, reports: batch.length }, "could not report deliveries; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  const schedule = () => {
    if (flushing || timer) return;
    timer = setTimeout(() => {
      flushing = flush().finally(() => {
        flushing = undefined;
        if (pending.length > 0) schedule();
      });
    }, 10);
  };

  return {
    add(report: DeliveryReport) {
      pending.push(report);
      schedule();
    },
    /** Reports what is left, for at most `withinMs` (then the leases take over). */
    async close(withinMs = 5_000) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const deadline = Date.now() + withinMs;
      await flushing;
      await flush(deadline);
    },
  };
}
