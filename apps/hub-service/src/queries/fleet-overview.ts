import { type HubCommandState, type HubStatus, hubCommandStates, hubStatuses } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

/** How many UTC calendar days the overview's provisioning histogram covers (today included). */
export const OVERVIEW_DAYS = 30;
const DAY_MS = 86_400_000;

/** The webhook deliveries' statuses (webhook_deliveries.status). */
export const deliveryStatuses = ["pending", "delivered", "dead"] as const;

export type FleetOverview = {
  readonly hubs: {
    readonly total: number;
    readonly byStatus: Record<HubStatus, number>;
    readonly online: number;
    readonly offline: number;
    /** OVERVIEW_DAYS buckets, oldest first: each UTC day's start (epoch ms) and its count. */
    readonly provisionedPerDay: { readonly day: number; readonly count: number }[];
  };
  readonly commands: { readonly byState: Record<HubCommandState, number> };
  readonly deliveries: {
    readonly delivered: number;
    readonly pending: number;
    readonly dead: number;
    /** When the oldest pending delivery was queued (epoch ms), null when none is pending. */
    readonly oldestPendingAt: number | null;
  };
};

/*
 * The statements, each served by an index (see bench/queries.ts, which checks their plans at 1M
 * hubs): a count per value is one subquery per value, so each is an index-only scan of that
 * value's range (hubs_status_serial_idx, hubs_online_serial_idx, hub_commands_state_idx,
 * webhook_deliveries_status_id_idx) rather than a GROUP BY over the whole table; the histogram is
 * a range of hubs_provisioned_at_id_idx. One statement per table: each is one snapshot.
 */

/** Hubs: a count per status, and how many are online. */
export const hubCountsSql = () => Prisma.sql`
  SELECT s.status, (SELECT count(*) FROM hubs h WHERE h.status = s.status)::int AS count,
         (SELECT count(*) FROM hubs h WHERE h.online = true)::int AS online
  FROM unnest(${[...hubStatuses]}::text[]) AS s(status)`;

/** Hubs provisioned since `from` (a UTC midnight), per UTC calendar day. */
export const provisionedPerDaySql = (from: Date) => Prisma.sql`
  SELECT floor(extract(epoch FROM provisioned_at) / 86400)::int AS day, count(*)::int AS count
  FROM hubs WHERE provisioned_at >= ${from}
  GROUP BY 1`;

/** Hub commands: a count per state. */
export const commandCountsSql = () => Prisma.sql`
  SELECT s.state, (SELECT count(*) FROM hub_commands c WHERE c.state = s.state)::int AS count
  FROM unnest(${[...hubCommandStates]}::text[]) AS s(state)`;

/**
 * Webhook deliveries: a count per status, and when the oldest pending one was queued. Deliveries
 * are numbered as they are queued, so the oldest pending is the lowest id among the pending ones
 * (the first entry of their range in webhook_deliveries_status_id_idx).
 */
export const deliveryCountsSql = () => Prisma.sql`
  SELECT s.status, (SELECT count(*) FROM webhook_deliveries d WHERE d.status = s.status)::int AS count,
         (SELECT d.created_at FROM webhook_deliveries d WHERE d.status = 'pending' ORDER BY d.id LIMIT 1)
           AS oldest_pending_at
  FROM unnest(${[...deliveryStatuses]}::text[]) AS s(status)`;

/** The first UTC day of the histogram that ends with the UTC day of `now`. */
export function overviewStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - (OVERVIEW_DAYS - 1) * DAY_MS;
}

/** The admin console's overview of the fleet, the commands and the webhook deliveries. */
export async function fleetOverview(prisma: PrismaClient, now: number = Date.now()): Promise<FleetOverview> {
  const from = overviewStart(now);
  // One after the other: the pool's connections are the service's, and PGlite has one.
  const hubRows = await prisma.$queryRaw<{ status: string; count: number; online: number }[]>(hubCountsSql());
  const dayRows = await prisma.$queryRaw<{ day: number; count: number }[]>(
    provisionedPerDaySql(new Date(from)),
  );
  const commandRows = await prisma.$queryRaw<{ state: string; count: number }[]>(commandCountsSql());
  const deliveryRows = await prisma.$queryRaw<
    { status: string; count: number; oldest_pending_at: Date | null }[]
  >(deliveryCountsSql());

  const byStatus = Object.fromEntries(hubStatuses.map((s) => [s, 0])) as Record<HubStatus, number>;
  for (const row of hubRows) byStatus[row.status as HubStatus] = Number(row.count);
  const total = hubStatuses.reduce((sum, s) => sum + byStatus[s], 0);
  const online = Number(hubRows[0]?.online ?? 0);

  const perDay = new Map(dayRows.map((row) => [Number(row.day) * DAY_MS, Number(row.count)]));
  const provisionedPerDay = Array.from({ length: OVERVIEW_DAYS }, (_, i) => {
    const day = from + i * DAY_MS;
    return { day, count: perDay.get(day) ?? 0 };
  });

  const byState = Object.fromEntries(hubCommandStates.map((s) => [s, 0])) as Record<HubCommandState, number>;
  for (const row of commandRows) byState[row.state as HubCommandState] = Number(row.count);

  const deliveries = Object.fromEntries(deliveryRows.map((row) => [row.status, Number(row.count)]));
  const oldest = deliveryRows[0]?.oldest_pending_at ?? null;
  return {
    hubs: { total, byStatus, online, offline: total - online, provisionedPerDay },
    commands: { byState },
    deliveries: {
      delivered: deliveries.delivered ?? 0,
      pending: deliveries.pending ?? 0,
      dead: deliveries.dead ?? 0,
      oldestPendingAt: oldest === null ? null : new Date(oldest).getTime(),
    },
  };
}
