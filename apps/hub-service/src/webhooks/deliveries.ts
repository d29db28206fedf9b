import type {
  ClaimedDelivery,
  DeliveryReport,
  LogEvent,
  WebhookDeliveryFilter,
  WebhookDeliveryStatus,
  WebhookDeliveryView,
} from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type { Queryable } from "../log/log-reader.ts";
import { type SecretBox, signatureHeader } from "./secrets.ts";

/** The log consumer that turns events into deliveries (one per receiving subscription). */
export const FAN_OUT_CONSUMER = "webhook-fan-out";

/**
 * For a batch of the log: one delivery per subscription that receives each event (its
 * organization owned the hub before or after the event, and the type is one it asked for, or it
 * asked for all). One statement; a redone batch (after a crash) adds nothing twice.
 */
export async function fanOut(tx: Queryable, events: readonly LogEvent[]): Promise<void> {
  const positions = events.filter((event) => event.orgIds.length > 0).map((event) => event.position);
  if (positions.length === 0) return;
  // Only the head of each (subscription, hub) queue is due; the events behind it wait at
  // 'infinity' and are promoted one by one (report), so claims never walk a hub's backlog. The
  // subscriptions are read FOR SHARE: a pause or resume committing meanwhile waits for this
  // batch, then sees (and holds or releases) its rows.
  await tx.$queryRaw(Prisma.sql`
    WITH batch AS (
      SELECT e.stream_id, e.version, e.position, e.type, e.org_ids FROM hub_events e
      WHERE e.position = ANY(${positions}::int8[])
    ),
    subs AS (
      SELECT s.id, s.org_id, s.event_types, s.status FROM webhook_subscriptions s
      WHERE s.org_id::text IN (SELECT DISTINCT unnest(org_ids) FROM batch)
      FOR SHARE
    ),
    fanned AS (
      SELECT s.id AS subscription_id, s.status, b.stream_id, b.version, b.position, b.type,
             row_number() OVER (PARTITION BY s.id, b.stream_id ORDER BY b.version) AS nth
      FROM batch b
      JOIN subs s ON s.org_id::text = ANY(b.org_ids)
       AND (cardinality(s.event_types) = 0 OR b.type = ANY(s.event_types))
    )
    INSERT INTO webhook_deliveries (subscription_id, hub_id, version, position, event_type, next_attempt_at)
    SELECT f.subscription_id, f.stream_id, f.version, f.position, f.type,
           -- The pending head is locked (FOR SHARE): a report finishing it meanwhile either commits
           -- first (re-checked here: no longer pending, so this one is the head) or waits for this
           -- batch and then promotes it (promoteNext runs as its own statement).
           CASE WHEN f.status = 'paused' OR f.nth > 1 OR EXISTS (
                  SELECT 1 FROM webhook_deliveries p
                  WHERE p.subscription_id = f.subscription_id AND p.hub_id = f.stream_id AND p.status = 'pending'
                  FOR SHARE)
                THEN 'infinity'::timestamptz ELSE now() END
    FROM fanned f
    ORDER BY f.position
    ON CONFLICT (subscription_id, hub_id, version) DO NOTHING
    RETURNING id`);
}

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

/** The body partners receive (Standard Webhooks): the event's type and time, its data with the hub's coordinates. */
export function webhookBody(event: {
  type: string;
  recordedAt: Date;
  hubId: string;
  version: number;
  position: string;
  data: Record<string, unknown>;
}): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.recordedAt.toISOString(),
    data: { hubId: event.hubId, version: event.version, position: event.position, ...event.data },
  });
}

type ClaimRow = {
  id: bigint;
  subscription_id: string;
  attempts: number;
  schedule_base: number;
  hub_id: string;
  version: number;
  position: bigint;
  type: string;
  data: Record<string, unknown>;
  recorded_at: Date;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
};

type DeliveryRow = {
  id: bigint;
  subscription_id: string;
  hub_id: string;
  version: number;
  position: bigint;
  event_type: string;
  status: string;
  attempts: number;
  /** Null while the delivery waits (stored as 'infinity': behind its hub's earlier event, or held by a pause). */
  next_attempt_at: Date | null;
  /** The head of the hub's queue this one waits behind, if any. */
  waiting_for: bigint | null;
  subscription_paused: boolean;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
};

type AttemptRow = {
  delivery_id: bigint;
  attempt: number;
  attempted_at: Date;
  status: number | null;
  error: string | null;
  duration_ms: number;
  response_prefix: string | null;
};

const upper = (status: string) => status.toUpperCase() as WebhookDeliveryStatus;

/**
 * Why a pending delivery has no next attempt: it is queued behind its hub's queue head (only the
 * head is ever due, so a hub's events arrive in order), or its subscription is paused (the pause
 * holds the whole queue, head included).
 */
function waitingState(
  row: Pick<DeliveryRow, "status" | "next_attempt_at" | "waiting_for" | "subscription_paused">,
): Pick<WebhookDeliveryView, "waitingFor" | "waitingReason"> {
  const waitingFor = row.waiting_for === null ? null : String(row.waiting_for);
  if (row.status !== "pending" || row.next_attempt_at !== null)
    return { waitingFor: null, waitingReason: null };
  if (row.subscription_paused) return { waitingFor, waitingReason: "SUBSCRIPTION_PAUSED" };
  return { waitingFor, waitingReason: waitingFor === null ? null : "QUEUED_BEHIND" };
}
const ms = (date: Date | null) => (date ? new Date(date).getTime() : null);

export type ReplayTarget =
  | { readonly ids: readonly string[] }
  | { readonly filter: WebhookDeliveryFilter & { readonly orgId?: string | undefined } };

export type ReportOptions = {
  /** A subscription failing without a success for this long is paused, with the reason. */
  readonly disableAfterMs: number;
};

export function createDeliveryStore(prisma: PrismaClient, box: SecretBox) {
  return {
    /**
     * Leases up to `limit` due deliveries to `owner` for `leaseMs`, each signed and ready to send.
     * A hub's events go in version order per subscription: only the head of its queue is ever due
     * (fanOut, promoteNext), so this is a short ordered read of the due index whatever the backlog
     * (a dead letter does not hold the rest back). `FOR UPDATE SKIP LOCKED` lets relays claim side
     * by side; the lease (not a held transaction) covers the HTTP call, and a relay that dies loses
     * it when it runs out.
     */
    async claim(
      owner: string,
      limit: number,
      leaseMs: number,
      /** Subscriptions the relay has enough of in flight (a slow endpoint does not take every slot). */
      exclude: readonly string[] = [],
    ): Promise<ClaimedDelivery[]> {
      const rows = await prisma.$queryRaw<ClaimRow[]>(Prisma.sql`
        WITH due AS (
          SELECT d.id FROM webhook_deliveries d
          JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.status = 'active'
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND (d.lease_until IS NULL OR d.lease_until < now())
            AND d.subscription_id <> ALL(${[...exclude]}::uuid[])
          ORDER BY d.next_attempt_at, d.id
          LIMIT ${limit}
          FOR UPDATE OF d SKIP LOCKED
        ),
        leased AS (
          UPDATE webhook_deliveries d
          -- In flight, it leaves the due range until its lease runs out (a relay that died).
          SET lease_owner = ${owner}, lease_until = now() + ${leaseMs}::int * interval '1 millisecond',
              next_attempt_at = now() + ${leaseMs}::int * interval '1 millisecond',
              attempts = d.attempts + 1
          FROM due WHERE d.id = due.id
          RETURNING d.id, d.subscription_id, d.attempts, d.schedule_base, d.hub_id, d.version
        )
        SELECT l.id, l.subscription_id, l.attempts, l.schedule_base, l.hub_id, l.version,
               e.position, e.type, e.data, e.recorded_at,
               s.url, s.secret, s.previous_secret, s.previous_secret_expires_at
        FROM leased l
        JOIN hub_events e ON e.stream_id = l.hub_id AND e.version = l.version
        JOIN webhook_subscriptions s ON s.id = l.subscription_id
        ORDER BY l.id`);
      const now = new Date();
      const claimed: ClaimedDelivery[] = [];
      const unsignable = new Map<string, string[]>();
      for (const row of rows) {
        let secrets: string[];
        try {
          secrets = [box.open(row.secret)];
          if (row.previous_secret && row.previous_secret_expires_at && row.previous_secret_expires_at > now) {
            secrets.push(box.open(row.previous_secret));
          }
        } catch {
          unsignable.set(row.subscription_id, [
            ...(unsignable.get(row.subscription_id) ?? []),
            String(row.id),
          ]);
          continue;
        }
        const webhookId = `${row.hub_id}:${row.version}`;
        const body = webhookBody({
          type: row.type,
          recordedAt: new Date(row.recorded_at),
          hubId: row.hub_id,
          version: row.version,
          position: String(row.position),
          data: row.data,
        });
        claimed.push({
          id: String(row.id),
          subscriptionId: row.subscription_id,
          attempt: row.attempts,
          scheduleAttempt: row.attempts - row.schedule_base,
          url: row.url,
          headers: {
            "webhook-id": webhookId,
            "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
            "webhook-signature": signatureHeader(secrets, webhookId, now, body),
          },
          body,
          recordedAt: new Date(row.recorded_at).getTime(),
        });
      }
      // A secret this service cannot open (stored under another WEBHOOK_SECRET_KEY): nothing is
      // sent unsigned and nothing dies; the subscription is paused with the reason, its leases
      // and attempts given back, and the other subscriptions' deliveries go on.
      for (const [subscriptionId, ids] of unsignable) await pauseUnsignable(prisma, subscriptionId, ids);
      return claimed;
    },

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
          const paused = await tx.$queryRaw<{ status: string }[]>`
            UPDATE webhook_subscriptions
            SET failing_since = coalesce(failing_since, now()),
                status = CASE WHEN failing_since < now() - ${options.disableAfterMs}::int8 * interval '1 millisecond'
                              THEN 'paused' ELSE status END,
                paused_reason = CASE WHEN failing_since < now() - ${options.disableAfterMs}::int8 * interval '1 millisecond'
                                     AND status = 'active'
                                     THEN ${`paused automatically: every delivery failed for ${describeDuration(options.disableAfterMs)} (last: ${report.error ?? `HTTP ${report.status ?? "?"}`})`}
                                     ELSE paused_reason END,
                updated_at = now()
            WHERE id = ${row.subscription_id}::uuid
            RETURNING status`;
          if (paused[0]?.status === "paused") await holdPending(tx, row.subscription_id);
          return true;
        });
        if (done) applied++;
      }
      return applied;
    },

    /** Deliveries newest first, with their attempts; `after` is the last id of the previous page. */
    async list(
      filter: WebhookDeliveryFilter & { readonly orgId?: string | undefined },
      page: { readonly first: number; readonly after?: string | undefined },
    ): Promise<{ nodes: WebhookDeliveryView[]; endCursor: string | null; hasNextPage: boolean }> {
      const conditions = deliveryConditions(filter);
      if (page.after) conditions.push(Prisma.sql`d.id < ${page.after}::int8`);
      const rows = await prisma.$queryRaw<DeliveryRow[]>(Prisma.sql`
        SELECT d.id, d.subscription_id, d.hub_id, d.version, d.position, d.event_type, d.status, d.attempts,
               -- 'infinity' (waiting: see fanOut and holdPending) has no epoch value: it lists as null.
               CASE WHEN d.status = 'pending' AND d.next_attempt_at <> 'infinity' THEN d.next_attempt_at END
                 AS next_attempt_at,
               -- The head of its queue: the one pending delivery of the hub that is due (or in
               -- flight); a replayed delivery can wait behind a later version.
               CASE WHEN d.status = 'pending' AND d.next_attempt_at = 'infinity' THEN (
                 SELECT p.id FROM webhook_deliveries p
                 WHERE p.subscription_id = d.subscription_id AND p.hub_id = d.hub_id
                   AND p.status = 'pending' AND p.next_attempt_at <> 'infinity'
                 ORDER BY p.version LIMIT 1) END AS waiting_for,
               s.status = 'paused' AS subscription_paused,
               d.last_status, d.last_error, d.created_at, d.delivered_at, d.dead_at
        FROM webhook_deliveries d
        JOIN webhook_subscriptions s ON s.id = d.subscription_id
        ${conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty}
        ORDER BY d.id DESC LIMIT ${page.first + 1}`);
      const hasNextPage = rows.length > page.first;
      const pageRows = rows.slice(0, page.first);
      const attempts =
        pageRows.length === 0
          ? []
          : await prisma.$queryRaw<AttemptRow[]>(Prisma.sql`
              SELECT delivery_id, attempt, attempted_at, status, error, duration_ms, response_prefix
              FROM webhook_delivery_attempts WHERE delivery_id = ANY(${pageRows.map((r) => String(r.id))}::int8[])
              ORDER BY delivery_id, attempt`);
      const byDelivery = new Map<string, AttemptRow[]>();
      for (const attempt of attempts) {
        const key = String(attempt.delivery_id);
        byDelivery.set(key, [...(byDelivery.get(key) ?? []), attempt]);
      }
      const nodes = pageRows.map(
        (row): WebhookDeliveryView => ({
          id: String(row.id),
          subscriptionId: row.subscription_id,
          webhookId: `${row.hub_id}:${row.version}`,
          hubId: row.hub_id,
          version: row.version,
          position: String(row.position),
          eventType: row.event_type,
          status: upper(row.status),
          attempts: row.attempts,
          nextAttemptAt: ms(row.next_attempt_at),
          ...waitingState(row),
          lastStatus: row.last_status,
          lastError: row.last_error,
          createdAt: new Date(row.created_at).getTime(),
          deliveredAt: ms(row.delivered_at),
          deadAt: ms(row.dead_at),
          attemptLog: (byDelivery.get(String(row.id)) ?? []).map((attempt) => ({
            attempt: attempt.attempt,
            attemptedAt: new Date(attempt.attempted_at).getTime(),
            status: attempt.status,
            error: attempt.error,
            durationMs: attempt.duration_ms,
            responsePrefix: attempt.response_prefix,
          })),
        }),
      );
      return { nodes, endCursor: nodes.at(-1)?.id ?? null, hasNextPage };
    },

    /** The subscriptions of deliveries (authorization of a replay by ids). */
    async subscriptionsOf(ids: readonly string[]): Promise<string[]> {
      if (ids.length === 0) return [];
      const rows = await prisma.$queryRaw<{ subscription_id: string }[]>(Prisma.sql`
        SELECT DISTINCT subscription_id FROM webhook_deliveries WHERE id = ANY(${[...ids]}::int8[])`);
      return rows.map((row) => row.subscription_id);
    },

    /**
     * Sends deliveries again, with the same `webhook-id` and a fresh retry schedule: by id (dead
     * or delivered ones), or every dead letter matching a filter. Answers how many were queued.
     */
    async replay(target: ReplayTarget): Promise<number> {
      const conditions =
        "ids" in target
          ? [
              Prisma.sql`d.id = ANY(${[...target.ids]}::int8[])`,
              Prisma.sql`d.status IN ('dead', 'delivered')`,
            ]
          : [...deliveryConditions({ ...target.filter, status: "DEAD" })];
      // Each hub keeps one delivery due at a time: a replayed one goes behind the hub's queue
      // when it has one (promoted in turn), several of one hub one after the other; all are held
      // while the subscription is paused.
      const rows = await prisma.$queryRaw<{ id: bigint }[]>(Prisma.sql`
        WITH targets AS (
          SELECT d.id,
                 row_number() OVER (PARTITION BY d.subscription_id, d.hub_id ORDER BY d.version) AS nth,
                 EXISTS (SELECT 1 FROM webhook_deliveries q
                         WHERE q.subscription_id = d.subscription_id AND q.hub_id = d.hub_id
                           AND q.status = 'pending') AS queued,
                 (SELECT s.status FROM webhook_subscriptions s WHERE s.id = d.subscription_id) = 'paused' AS held
          FROM webhook_deliveries d
          WHERE ${Prisma.join(conditions, " AND ")}
        )
        UPDATE webhook_deliveries d
        SET status = 'pending', schedule_base = d.attempts,
            next_attempt_at = CASE WHEN t.held OR t.queued OR t.nth > 1 THEN 'infinity'::timestamptz ELSE now() END,
            lease_owner = NULL, lease_until = NULL, dead_at = NULL
        FROM targets t
        WHERE d.id = t.id
        RETURNING d.id`);
      return rows.length;
    },
  };
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;

async function pauseUnsignable(
  prisma: PrismaClient,
  subscriptionId: string,
  ids: readonly string[],
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`
      UPDATE webhook_subscriptions
      SET status = 'paused', updated_at = now(),
          paused_reason = 'paused automatically: its signing secret cannot be decrypted with this WEBHOOK_SECRET_KEY; restore the key (or rotate the secret) and resume it'
      WHERE id = ${subscriptionId}::uuid`;
    await tx.$executeRaw`
      UPDATE webhook_deliveries SET attempts = attempts - 1, lease_owner = NULL, lease_until = NULL
      WHERE id = ANY(${[...ids]}::int8[]) AND status = 'pending'`;
    await holdPending(tx, subscriptionId);
  });
}

/**
 * A paused subscription's pending deliveries leave the due range (claims would otherwise wade
 * through a backlog they may not send); resuming makes them due again (subscriptions.ts).
 */
export async function holdPending(tx: Queryable, subscriptionId: string): Promise<void> {
  await tx.$queryRaw(Prisma.sql`
    UPDATE webhook_deliveries SET next_attempt_at = 'infinity'
    WHERE subscription_id = ${subscriptionId}::uuid AND status = 'pending' RETURNING id`);
}

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
    cleared AS (
      UPDATE webhook_subscriptions s SET failing_since = NULL
      WHERE s.id IN (SELECT subscription_id FROM done) AND s.failing_since IS NOT NULL
    )
    SELECT subscription_id, hub_id, version FROM done`);
}

function deliveryConditions(
  filter: WebhookDeliveryFilter & { readonly orgId?: string | undefined },
): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (filter.subscriptionId) conditions.push(Prisma.sql`d.subscription_id = ${filter.subscriptionId}::uuid`);
  if (filter.status) conditions.push(Prisma.sql`d.status = ${filter.status.toLowerCase()}`);
  if (filter.hubId) conditions.push(Prisma.sql`d.hub_id = ${filter.hubId}::uuid`);
  if (filter.orgId !== undefined) {
    conditions.push(
      Prisma.sql`d.subscription_id IN (SELECT id FROM webhook_subscriptions WHERE org_id = ${filter.orgId}::uuid)`,
    );
  }
  return conditions;
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
