import type { WebhookDeliveryFilter, WebhookDeliveryStatus, WebhookDeliveryView } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

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

/** What admins see and redo: deliveries listed with their attempts, and replays. */
export function createDeliveryAdmin(prisma: PrismaClient) {
  return {
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

export type DeliveryAdmin = ReturnType<typeof createDeliveryAdmin>;

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
