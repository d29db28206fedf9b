import { Prisma } from "../generated/prisma/client.ts";
import type { Queryable } from "../log/log-reader.ts";

/**
 * A paused subscription's pending deliveries leave the due range (claims would otherwise wade
 * through a backlog they may not send); resuming makes them due again (subscriptions.ts).
 */
export async function holdPending(tx: Queryable, subscriptionId: string): Promise<void> {
  await tx.$queryRaw(Prisma.sql`
    UPDATE webhook_deliveries SET next_attempt_at = 'infinity'
    WHERE subscription_id = ${subscriptionId}::uuid AND status = 'pending' RETURNING id`);
}
