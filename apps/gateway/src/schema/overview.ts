import { type HubCommandState, type HubStatus, hubCommandStates, hubStatuses } from "@hub/shared";
import { builder } from "../builder.ts";
import { callOf } from "./call.ts";
import { HubCommandState as HubCommandStateEnum } from "./hub-command.ts";
import { HubStatus as HubStatusEnum } from "./hub-inputs.ts";

/*
 * The admin console's overview: counts across the whole fleet, computed by hub-service (each an
 * index range there). Admins only: the reads across hubs are the admin dashboard's.
 */

type Overview = {
  hubs: {
    total: number;
    byStatus: Partial<Record<HubStatus, number>>;
    online: number;
    offline: number;
    provisionedPerDay: { day: number; count: number }[];
  };
  commands: { byState: Partial<Record<HubCommandState, number>> };
  deliveries: { delivered: number; pending: number; dead: number; oldestPendingAt: number | null };
};

const HubStatusCountRef = builder
  .objectRef<{ status: HubStatus; count: number }>("HubStatusCount")
  .implement({
    description: "How many hubs are in one status",
    fields: (t) => ({
      status: t.field({ type: HubStatusEnum, resolve: (row) => row.status }),
      count: t.exposeInt("count"),
    }),
  });

const HubCommandStateCountRef = builder
  .objectRef<{ state: HubCommandState; count: number }>("HubCommandStateCount")
  .implement({
    description: "How many hub commands are in one state",
    fields: (t) => ({
      state: t.field({ type: HubCommandStateEnum, resolve: (row) => row.state }),
      count: t.exposeInt("count"),
    }),
  });

const DayCountRef = builder.objectRef<{ day: number; count: number }>("DayCount").implement({
  description: "A count for one UTC calendar day",
  fields: (t) => ({
    date: t.string({
      description: "The UTC calendar day, YYYY-MM-DD",
      resolve: (row) => new Date(row.day).toISOString().slice(0, 10),
    }),
    start: t.float({
      description: "The UTC day's first instant (00:00 UTC), epoch ms",
      resolve: (row) => row.day,
    }),
    count: t.exposeInt("count"),
  }),
});

const HubOverviewRef = builder.objectRef<Overview["hubs"]>("HubOverview").implement({
  description: "The fleet's hubs, counted",
  fields: (t) => ({
    total: t.exposeInt("total", { description: "Every hub (read model rows), in every status" }),
    byStatus: t.field({
      type: [HubStatusCountRef],
      description: "A count per status, every status present (0 when none)",
      resolve: (hubs) => hubStatuses.map((status) => ({ status, count: hubs.byStatus[status] ?? 0 })),
    }),
    online: t.exposeInt("online", { description: "Hubs connected to AWS IoT now (as presence events say)" }),
    offline: t.exposeInt("offline", { description: "Hubs not connected now (or never connected)" }),
    provisionedPerDay: t.field({
      type: [DayCountRef],
      description:
        "Hubs provisioned on each of the last 30 days, oldest first, zero-filled. Days are UTC calendar " +
        "days (00:00 to 24:00 UTC), the last one today's (UTC)",
      resolve: (hubs) => hubs.provisionedPerDay,
    }),
  }),
});

const DeliveryOverviewRef = builder.objectRef<Overview["deliveries"]>("WebhookDeliveryOverview").implement({
  description: "Webhook deliveries across every subscription, counted",
  fields: (t) => ({
    delivered: t.exposeInt("delivered"),
    pending: t.exposeInt("pending", { description: "Queued, waiting for their (next) attempt" }),
    dead: t.exposeInt("dead", { description: "Dead letters: failed their last attempt (replayable)" }),
    oldestPendingAt: t.float({
      nullable: true,
      description: "Epoch ms: when the oldest pending delivery was queued (null when none is pending)",
      resolve: (deliveries) => deliveries.oldestPendingAt,
    }),
  }),
});

const FleetOverviewRef = builder.objectRef<Overview>("FleetOverview").implement({
  description: "The admin console's overview: hubs, hub commands and webhook deliveries, counted",
  fields: (t) => ({
    hubs: t.field({ type: HubOverviewRef, resolve: (overview) => overview.hubs }),
    commandsByState: t.field({
      type: [HubCommandStateCountRef],
      description: "Hub commands per state, every state present (0 when none)",
      resolve: (overview) =>
        hubCommandStates.map((state) => ({ state, count: overview.commands.byState[state] ?? 0 })),
    }),
    deliveries: t.field({ type: DeliveryOverviewRef, resolve: (overview) => overview.deliveries }),
  }),
});

builder.queryField("fleetOverview", (t) =>
  t.field({
    type: FleetOverviewRef,
    description: "Counts across the whole fleet for the admin console's overview (admins)",
    resolve: async (_root, _args, ctx): Promise<Overview> =>
      ctx.hubService.fleet.overview.query({ caller: await callOf(ctx) }),
  }),
);
