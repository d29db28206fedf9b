import type { ClaimedDelivery } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { holdPending } from "./hold-pending.ts";
import { type SecretBox, signatureHeader } from "./secrets.ts";
import { pauseUnsignableSubscription } from "./subscriptions.ts";

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

/** Claim and sign: the deliveries a relay leases and sends. */
export function createRelayClaims(prisma: PrismaClient, box: SecretBox) {
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
  };
}

export type RelayClaims = ReturnType<typeof createRelayClaims>;

async function pauseUnsignable(
  prisma: PrismaClient,
  subscriptionId: string,
  ids: readonly string[],
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await pauseUnsignableSubscription(tx, subscriptionId);
    await tx.$executeRaw`
      UPDATE webhook_deliveries SET attempts = attempts - 1, lease_owner = NULL, lease_until = NULL
      WHERE id = ANY(${[...ids]}::int8[]) AND status = 'pending'`;
    await holdPending(tx, subscriptionId);
  });
}
