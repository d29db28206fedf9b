import type { LogEvent } from "@hub/shared";
import { Prisma } from "../generated/prisma/client.ts";
import type { Queryable } from "../log/log-reader.ts";

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
  // batch, then sees (and holds or releases) its rows. The events are read FOR KEY SHARE: a hub
  // deletion removing them either committed first (they are gone: no delivery) or waits for this
  // batch and then removes its deliveries with the events.
  await tx.$queryRaw(Prisma.sql`
    WITH batch AS (
      SELECT e.stream_id, e.version, e.position, e.type, e.org_ids FROM hub_events e
      WHERE e.position = ANY(${positions}::int8[])
      FOR KEY SHARE
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
