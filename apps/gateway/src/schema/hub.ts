import {
  EVENT_PAGE_SIZE_MAX,
  type EventConnection,
  eventTypeSchema,
  type HubCommandConnection,
  type HubConnection,
  type HubView,
  hubCommandStateSchema,
  hubListFilterSchema,
  hubListOrderSchema,
  PAGE_SIZE_MAX,
  pageArgsSchema,
  parseOrThrow,
} from "@hub/shared";

import { z } from "zod";
import { orNull } from "../backend.ts";
import { builder } from "../builder.ts";
import { callOf, pageOf } from "./call.ts";
import { HubCommandRef, HubCommandState } from "./hub-command.ts";
import { HubEventConnection, HubEventRef, lastEventOf } from "./hub-event.ts";
import { HubFilter, HubOrder, HubStatus, parseHubId, withoutNulls } from "./hub-inputs.ts";
import { OrganizationRef, organizationOf } from "./organizations.ts";

const hubEventsArgs = z.object({
  types: z.array(eventTypeSchema).max(20).optional(),
  fromVersion: z.number().int().min(1).optional(),
  page: pageArgsSchema(EVENT_PAGE_SIZE_MAX),
});

const hubCommandsArgs = z.object({
  state: hubCommandStateSchema.optional(),
  page: pageArgsSchema(PAGE_SIZE_MAX),
});

const HubRef = builder.objectRef<HubView>("Hub").implement({
  fields: (t) => ({
    id: t.exposeID("hubId"),
    serial: t.exposeString("serial"),
    model: t.exposeString("model"),
    thingName: t.exposeString("thingName"),
    vendorName: t.exposeString("vendorName", { nullable: true }),
    status: t.field({ type: HubStatus, resolve: (hub) => hub.status }),
    version: t.exposeInt("version"),
    provisionedAt: t.float({ resolve: (hub) => hub.provisionedAt }),
    updatedAt: t.float({ resolve: (hub) => hub.updatedAt }),
    provisionedByOrgId: t.exposeString("provisionedByOrgId", {
      nullable: true,
      description: "The organization whose key provisioned it (null: a service or an admin did)",
    }),
    provisionedByOrganization: t.field({
      type: OrganizationRef,
      nullable: true,
      description: "The organization of provisionedByOrgId, with its name",
      resolve: (hub, _args, ctx) => organizationOf(ctx, hub.provisionedByOrgId),
    }),
    orgId: t.exposeString("orgId", { nullable: true, description: "The organization it is claimed into" }),
    organization: t.field({
      type: OrganizationRef,
      nullable: true,
      description: "The organization of orgId, with its name",
      resolve: (hub, _args, ctx) => organizationOf(ctx, hub.orgId),
    }),
    siteId: t.exposeString("siteId", { nullable: true, description: "The site it is claimed into" }),
    isPrimary: t.exposeBoolean("isPrimary", { description: "Whether it is its site's primary hub" }),
    claimedAt: t.float({
      nullable: true,
      description: "Epoch ms of the current claim",
      resolve: (hub) => hub.claimedAt,
    }),
    online: t.exposeBoolean("online", { description: "Connected to AWS IoT now (its last presence event)" }),
    lastSeen: t.float({
      nullable: true,
      description: "Epoch ms the hub was last heard from (null: never)",
      resolve: (hub) => hub.lastSeen,
    }),
    firmwareVersion: t.exposeString("firmwareVersion", {
      nullable: true,
      description: "Its firmware version, as it last reported it (server_info)",
    }),
    uptimeSeconds: t.float({
      nullable: true,
      description: "Its uptime, as it last reported it (server_info)",
      resolve: (hub) => hub.uptimeSeconds,
    }),
    commands: t.connection(
      {
        type: HubCommandRef,
        description: `Commands sent to the hub, newest first (pages of up to ${PAGE_SIZE_MAX}, default 50)`,
        args: { state: t.arg({ type: HubCommandState, required: false, description: "Only in this state" }) },
        resolve: async (hub, args, ctx): Promise<HubCommandConnection> => {
          const query = parseOrThrow(
            hubCommandsArgs,
            withoutNulls({ state: args.state, page: pageOf(args) }),
          );
          return ctx.hubService.hub.commands.query({ caller: await callOf(ctx), hubId: hub.hubId, ...query });
        },
      },
      { name: "HubCommandConnection" },
      { name: "HubCommandEdge" },
    ),
    events: t.connection(
      {
        type: HubEventRef,
        description: `The hub's own history, oldest first (pages of up to ${EVENT_PAGE_SIZE_MAX}, default 100)`,
        args: {
          types: t.arg.stringList({ required: false, description: "Only events of these types" }),
          fromVersion: t.arg.int({ required: false, description: "Only events from this version on" }),
        },
        resolve: async (hub, args, ctx): Promise<EventConnection> => {
          const query = parseOrThrow(
            hubEventsArgs,
            withoutNulls({ types: args.types, fromVersion: args.fromVersion, page: pageOf(args) }),
          );
          return ctx.hubService.hub.events.query({ caller: await callOf(ctx), hubId: hub.hubId, ...query });
        },
      },
      HubEventConnection,
    ),
    lastEvent: t.field({
      type: HubEventRef,
      nullable: true,
      description: "The latest event of the hub (batched: one call for a whole page of hubs)",
      resolve: (hub, _args, ctx) => lastEventOf(ctx, hub.hubId),
    }),
  }),
});

const hubListArgs = z.object({
  filter: hubListFilterSchema.optional(),
  orderBy: hubListOrderSchema.optional(),
  page: pageArgsSchema(PAGE_SIZE_MAX),
});

builder.queryField("hubs", (t) =>
  t.connection(
    {
      type: HubRef,
      description: `Hubs, filtered and ordered, by keyset pages of up to ${PAGE_SIZE_MAX} (default 50; admin)`,
      args: {
        filter: t.arg({ type: HubFilter, required: false }),
        orderBy: t.arg({ type: HubOrder, required: false, description: "Default: newest provisioned first" }),
      },
      resolve: async (_root, args, ctx): Promise<HubConnection> => {
        const query = parseOrThrow(
          hubListArgs,
          withoutNulls({ filter: args.filter, orderBy: args.orderBy, page: pageOf(args) }),
        );
        return ctx.hubService.hub.list.query({ caller: await callOf(ctx), ...query });
      },
    },
    { name: "HubConnection" },
    { name: "HubEdge" },
  ),
);

builder.queryField("hub", (t) =>
  t.field({
    type: HubRef,
    nullable: true,
    description: "One hub by id (admins and services: any; organizations with hubs:read: their own)",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      orNull(ctx.hubService.hub.byId.query({ caller: await callOf(ctx), hubId: parseHubId(args.id) })),
  }),
);

builder.queryField("hubBySerial", (t) =>
  t.field({
    type: HubRef,
    nullable: true,
    description: "One hub by serial number (admin)",
    args: { serial: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.hubService.hub.bySerial.query({ caller: await callOf(ctx), serial: args.serial }),
  }),
);
