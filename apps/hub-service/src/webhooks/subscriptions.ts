import { randomUUID } from "node:crypto";
import { NotFoundError, ValidationError, type WebhookStats, type WebhookSubscriptionView } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { holdPending } from "./hold-pending.ts";
import { newSigningSecret, type SecretBox } from "./secrets.ts";

type SubscriptionRow = {
  id: string;
  orgId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  status: string;
  pausedReason: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

const ms = (date: Date | null): number | null => (date ? date.getTime() : null);

export function toSubscriptionView(row: SubscriptionRow): WebhookSubscriptionView {
  return {
    id: row.id,
    orgId: row.orgId,
    url: row.url,
    eventTypes: row.eventTypes,
    description: row.description,
    status: row.status === "paused" ? "PAUSED" : "ACTIVE",
    pausedReason: row.pausedReason,
    previousSecretExpiresAt: ms(row.previousSecretExpiresAt),
    failingSince: ms(row.failingSince),
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}

export type SubscriptionInput = {
  readonly orgId: string;
  readonly url: string;
  readonly eventTypes?: readonly string[] | undefined;
  readonly description?: string | undefined;
};

export type SubscriptionChanges = {
  readonly url?: string | undefined;
  readonly eventTypes?: readonly string[] | undefined;
  readonly description?: string | null | undefined;
};

export type UrlRule = {
  /** Development and tests: http and private/loopback hosts are allowed (the relay checks again). */
  readonly allowPrivate: boolean;
};

const PRIVATE_HOST = /^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i;

/**
 * What can be told from the URL alone (the relay checks each resolved address before sending):
 * production endpoints are https and do not name a private, loopback or link-local host.
 */
export function checkSubscriptionUrl(url: string, rule: UrlRule): void {
  const parsed = new URL(url);
  const refuse = (message: string) => {
    throw new ValidationError(`url ${message}`, [{ field: "url", message }]);
  };
  if (rule.allowPrivate) return;
  if (parsed.protocol !== "https:") refuse("must be https");
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (PRIVATE_HOST.test(host)) refuse("must not name a local or internal host");
  if (/^[\d.]+$/.test(host) || host.includes(":")) refuse("must name a host, not an IP address");
}

/** Webhook subscriptions of organizations: what GraphQL, the CLI and tRPC manage. */
export function createSubscriptionStore(prisma: PrismaClient, box: SecretBox, urlRule: UrlRule) {
  const find = async (id: string) => {
    const row = await prisma.webhookSubscription.findUnique({ where: { id } });
    if (!row) throw new NotFoundError("Webhook subscription not found");
    return row;
  };
  return {
    /** The subscription's organization (authorization), or NotFoundError. */
    async orgOf(id: string): Promise<string> {
      return (await find(id)).orgId;
    },

    async create(
      input: SubscriptionInput,
    ): Promise<{ subscription: WebhookSubscriptionView; secret: string }> {
      checkSubscriptionUrl(input.url, urlRule);
      if ((await prisma.organization.count({ where: { id: input.orgId } })) === 0) {
        throw new ValidationError("orgId names no organization", [
          { field: "orgId", message: "no such organization" },
        ]);
      }
      const secret = newSigningSecret();
      const row = await prisma.webhookSubscription.create({
        data: {
          id: randomUUID(),
          orgId: input.orgId,
          url: input.url,
          eventTypes: [...new Set(input.eventTypes ?? [])].sort(),
          description: input.description ?? null,
          secret: box.seal(secret),
        },
      });
      return { subscription: toSubscriptionView(row), secret };
    },

    async get(id: string): Promise<WebhookSubscriptionView> {
      return toSubscriptionView(await find(id));
    },

    async list(orgId: string | undefined): Promise<WebhookSubscriptionView[]> {
      const rows = await prisma.webhookSubscription.findMany({
        where: orgId !== undefined ? { orgId } : {},
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: 1000,
      });
      return rows.map(toSubscriptionView);
    },

    async update(id: string, changes: SubscriptionChanges): Promise<WebhookSubscriptionView> {
      await find(id);
      if (changes.url !== undefined) checkSubscriptionUrl(changes.url, urlRule);
      const row = await prisma.webhookSubscription.update({
        where: { id },
        data: {
          ...(changes.url !== undefined ? { url: changes.url } : {}),
          ...(changes.eventTypes !== undefined
            ? { eventTypes: [...new Set(changes.eventTypes)].sort() }
            : {}),
          ...(changes.description !== undefined ? { description: changes.description } : {}),
          updatedAt: new Date(),
        },
      });
      return toSubscriptionView(row);
    },

    /** Paused: events keep being queued for it, and are sent once it is resumed. */
    async setPaused(id: string, paused: boolean, reason?: string): Promise<WebhookSubscriptionView> {
      await find(id);
      const row = await prisma.webhookSubscription.update({
        where: { id },
        data: paused
          ? { status: "paused", pausedReason: reason ?? "paused by its owner", updatedAt: new Date() }
          : { status: "active", pausedReason: null, failingSince: null, updatedAt: new Date() },
      });
      if (paused) await holdPending(prisma, id);
      else {
        // Resumed: the head of each hub's queue is due now (retries included); the rest follow it.
        await prisma.$executeRaw`UPDATE webhook_deliveries SET next_attempt_at = now()
          WHERE id IN (SELECT DISTINCT ON (hub_id) id FROM webhook_deliveries
                       WHERE subscription_id = ${id}::uuid AND status = 'pending'
                       ORDER BY hub_id, version)
            AND next_attempt_at > now() AND (lease_until IS NULL OR lease_until < now())`;
      }
      return toSubscriptionView(row);
    },

    async remove(id: string): Promise<WebhookSubscriptionView> {
      const row = await find(id);
      await prisma.webhookSubscription.delete({ where: { id } });
      return toSubscriptionView(row);
    },

    /**
     * A new secret; the previous one keeps signing (both signatures are sent) for `overlapMs`, so
     * the partner can switch its verifier without losing a delivery.
     */
    async rotateSecret(
      id: string,
      overlapMs: number,
    ): Promise<{ subscription: WebhookSubscriptionView; secret: string }> {
      const current = await find(id);
      const secret = newSigningSecret();
      const row = await prisma.webhookSubscription.update({
        where: { id },
        data: {
          secret: box.seal(secret),
          previousSecret: overlapMs > 0 ? current.secret : null,
          previousSecretExpiresAt: overlapMs > 0 ? new Date(Date.now() + overlapMs) : null,
          updatedAt: new Date(),
        },
      });
      return { subscription: toSubscriptionView(row), secret };
    },

    /** Per subscription: deliveries by status, attempts, and lag behind the log's head. */
    async stats(ids: readonly string[]): Promise<WebhookStats[]> {
      if (ids.length === 0) return [];
      const rows = await prisma.$queryRaw<
        {
          id: string;
          pending: bigint;
          delivered: bigint;
          dead: bigint;
          attempts: bigint | null;
          oldest_pending_position: bigint | null;
          oldest_pending: Date | null;
          head: bigint | null;
        }[]
      >(Prisma.sql`
        SELECT s.id,
               count(*) FILTER (WHERE d.status = 'pending') AS pending,
               count(*) FILTER (WHERE d.status = 'delivered') AS delivered,
               count(*) FILTER (WHERE d.status = 'dead') AS dead,
               sum(d.attempts) AS attempts,
               min(d.position) FILTER (WHERE d.status = 'pending') AS oldest_pending_position,
               min(d.created_at) FILTER (WHERE d.status = 'pending') AS oldest_pending,
               (SELECT max(position) FROM hub_events) AS head
        FROM webhook_subscriptions s LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id
        WHERE s.id = ANY(${[...ids]}::uuid[])
        GROUP BY s.id`);
      return rows.map((row) => ({
        subscriptionId: row.id,
        pending: Number(row.pending),
        delivered: Number(row.delivered),
        dead: Number(row.dead),
        attempts: Number(row.attempts ?? 0),
        // Everything below its oldest pending event is settled: the log's head minus that point.
        lagPositions:
          row.oldest_pending_position === null
            ? 0
            : Number(BigInt(row.head ?? 0) - BigInt(row.oldest_pending_position) + 1n),
        oldestPendingAt: ms(row.oldest_pending),
      }));
    },
  };
}

export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>;

/**
 * A failed delivery starts its subscription's failing streak (or extends it); a streak longer than
 * `disableAfterMs` pauses the subscription, the reason naming `lastFailure`. Answers whether the
 * subscription is paused now (its pending deliveries are then the caller's to hold).
 */
export async function recordFailedDelivery(
  tx: Prisma.TransactionClient,
  subscriptionId: string,
  disableAfterMs: number,
  lastFailure: string,
): Promise<boolean> {
  const paused = await tx.$queryRaw<{ status: string }[]>`
    UPDATE webhook_subscriptions
    SET failing_since = coalesce(failing_since, now()),
        status = CASE WHEN failing_since < now() - ${disableAfterMs}::int8 * interval '1 millisecond'
                      THEN 'paused' ELSE status END,
        paused_reason = CASE WHEN failing_since < now() - ${disableAfterMs}::int8 * interval '1 millisecond'
                             AND status = 'active'
                             THEN ${`paused automatically: every delivery failed for ${describeDuration(disableAfterMs)} (last: ${lastFailure})`}
                             ELSE paused_reason END,
        updated_at = now()
    WHERE id = ${subscriptionId}::uuid
    RETURNING status`;
  return paused[0]?.status === "paused";
}

/**
 * The failing streaks of the subscriptions that `delivered` (a query with a subscription_id
 * column) names end: a data-modifying statement for a WITH clause, so a batch of successes stays
 * one statement.
 */
export function clearFailingStreaks(delivered: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    UPDATE webhook_subscriptions s SET failing_since = NULL
    WHERE s.id IN (SELECT subscription_id FROM ${delivered}) AND s.failing_since IS NOT NULL`;
}

/** A subscription whose signing secret this service cannot open is paused, with the reason. */
export async function pauseUnsignableSubscription(
  tx: Prisma.TransactionClient,
  subscriptionId: string,
): Promise<void> {
  await tx.$executeRaw`
    UPDATE webhook_subscriptions
    SET status = 'paused', updated_at = now(),
        paused_reason = 'paused automatically: its signing secret cannot be decrypted with this WEBHOOK_SECRET_KEY; restore the key (or rotate the secret) and resume it'
    WHERE id = ${subscriptionId}::uuid`;
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
