import type { DeliveryReport } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type { Queryable } from "../log/log-reader.ts";
import { holdPending } from "./hold-pending.ts";
import { clearFailingStreaks, recordFailedDelivery } from "./subscriptions.ts";

/**
 * The next event of each given (subscription, hub) queue becomes due: after its head was
 * delivered or dead-lettered. Nothing for a paused subscription (resume releases it). A statement
 * of its own, after the head's update: its snapshot sees an event a concurrent fan-out queued
 * behind the head.
 */
function promoteNext(heads: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    UPDATE webhook_deliveries n SET next_attempt_at = now()
    FROM (${heads}) h
    JOIN webhook_subscriptions s ON s.id = h.subscription_id AND s.status = 'active'
    WHERE n.id = (SELECT p.id FROM webhook_deliveries p
                  WHERE p.subscription_id = h.subscription_id AND p.hub_id = h.hub_id AND p.status = 'pending'
                  ORDER BY p.version LIMIT 1)
      AND n.next_attempt_at = 'infinity'`;
}

export type ReportOptions = {
  /** A subscription failing without a success for this long is paused, with the reason. */
  readonly disableAfterMs: number;
};

/** How the relay's attempts end a delivery: delivered, retried later, or dead-lettered. */
export function createDeliveryReports(prisma: PrismaClient) {
  return {
    /**
     * Records attempts and their outcomes; a report whose lease `owner` no longer holds (it ran
     * out and another relay took the delivery) changes nothing. A success clears the
     * subscription's failing streak; a failure starts it, and a streak longer than
     * `disableAfterMs` pauses the subscription with the reason.
     */
    async report(owner: string, reports: readonly DeliveryReport[], options: ReportOptions): Promise<number> {
      const delivered = reports.filter((report) => report.outcome === "delivered");
      let applied = delivered.length > 0 ? await reportDelivered(prisma, owner, delivered) : 0;
      // Failures are rare next to successes: each in its own transaction with its subscription's streak.
      for (const report of reports.filter((r) => r.outcome !== "delivered")) {
        const retry = report.outcome === "retry";
        const done = await prisma.$transaction(async (tx) => {
          const updated = await tx.$queryRaw<{ subscription_id: string; hub_id: string; version: number }[]>(
            Prisma.sql`
            UPDATE webhook_deliveries
            SET status = ${retry ? "pending" : "dead"},
                next_attempt_at = ${retry ? new Date(report.nextAttemptAt ?? Date.now()) : new Date()},
                lease_owner = NULL, lease_until = NULL,
                last_status = ${report.status ?? null}::int, last_error = ${report.error ?? null},
                dead_at = ${retry ? null : new Date()}
            WHERE id = ${report.id}::int8 AND lease_owner = ${owner} AND attempts = ${report.attempt}
              AND status = 'pending'
            RETURNING subscription_id, hub_id, version`,
          );
          const [row] = updated;
          if (!row) return false;
          await tx.$executeRaw`
            INSERT INTO webhook_delivery_attempts
              (delivery_id, attempt, attempted_at, status, error, duration_ms, response_prefix)
            VALUES (${report.id}::int8, ${report.attempt}, ${new Date(report.attemptedAt)},
                    ${report.status ?? null}::int, ${report.error ?? null}, ${report.durationMs},
                    ${report.responsePrefix ?? null})
            ON CONFLICT DO NOTHING`;
          // Dead: the hub's next event is due (a retry keeps it waiting behind this one).
          if (!retry) {
            await tx.$executeRaw(
              promoteNext(Prisma.sql`SELECT ${row.subscription_id}::uuid AS subscription_id,
                                            ${row.hub_id}::uuid AS hub_id, ${row.version}::int AS version`),
            );
          }
          const last = report.error ?? `HTTP ${report.status ?? "?"}`;
          if (await recordFailedDelivery(tx, row.subscription_id, options.disableAfterMs, last)) {
            await holdPending(tx, row.subscription_id);
          }
          return true;
        });
        if (done) applied++;
      }
      return applied;
    },
  };
}

export type DeliveryReports = ReturnType<typeof createDeliveryReports>;

/** Successes in one statement: the deliveries, their attempts, their subscriptions' streaks. */
async function reportDelivered(
  prisma: PrismaClient,
  owner: string,
  reports: readonly DeliveryReport[],
): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const done = await markDelivered(tx, owner, reports);
    if (done.length > 0) {
      await tx.$executeRaw(
        promoteNext(Prisma.sql`SELECT * FROM unnest(${done.map((d) => d.subscription_id)}::uuid[],
                                                    ${done.map((d) => d.hub_id)}::uuid[],
                                                    ${done.map((d) => d.version)}::int[])
                                 AS h(subscription_id, hub_id, version)`),
      );
    }
    return done.length;
  });
}

async function markDelivered(
  tx: Queryable,
  owner: string,
  reports: readonly DeliveryReport[],
): Promise<{ subscription_id: string; hub_id: string; version: number }[]> {
  return tx.$queryRaw(Prisma.sql`
    WITH r AS (
      SELECT * FROM unnest(${reports.map((r) => r.id)}::int8[], ${reports.map((r) => r.attempt)}::int[],
                           ${reports.map((r) => r.status ?? null)}::int[], ${reports.map((r) => r.durationMs)}::int[],
                           ${reports.map((r) => new Date(r.attemptedAt).toISOString())}::timestamptz[],
                           ${reports.map((r) => r.responsePrefix ?? null)}::text[])
        AS r(id, attempt, status, duration_ms, attempted_at, response_prefix)
    ),
    done AS (
      UPDATE webhook_deliveries d
      SET status = 'delivered', delivered_at = now(), lease_owner = NULL, lease_until = NULL,
          last_status = r.status, last_error = NULL
      FROM r
      WHERE d.id = r.id AND d.lease_owner = ${owner} AND d.attempts = r.attempt AND d.status = 'pending'
      RETURNING d.id, d.subscription_id, d.hub_id, d.version
    ),
    logged AS (
      INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, status, duration_ms, response_prefix)
      SELECT r.id, r.attempt, r.attempted_at, r.status, r.duration_ms, r.response_prefix
      FROM r JOIN done ON done.id = r.id
      ON CONFLICT DO NOTHING
    ),
    cleared AS (${clearFailingStreaks(Prisma.raw("done"))})
    SELECT subscription_id, hub_id, version FROM done`);
}
