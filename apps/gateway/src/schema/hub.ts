import {
  EVENT_PAGE_SIZE_MAX,
  type EventConnection,
  eventTypeSchema,
  type HubConnection,
  type HubProvisionedData,
  type HubView,
  hubListFilterSchema,
  hubListOrderSchema,
  PAGE_SIZE_MAX,
  type Principal,
  type ProvisionHubResult,
  pageArgsSchema,
  parseOrThrow,
  provisionHubBodySchema,
  type RecordedEventView,
} from "@hub/shared";
import { z } from "zod";
import { createBatchLoader } from "../batch-loader.ts";
import { builder } from "../builder.ts";
import type { GraphQLContext } from "../context.ts";
import { guarded } from "./auth-errors.ts";
import { provisionErrorTypes } from "./errors.ts";
import { EventFeedOrder, HubFilter, HubOrder, HubStatus, withoutNulls } from "./hub-inputs.ts";

const HubProvisionedDataRef = builder.objectRef<HubProvisionedData>("HubProvisionedData").implement({
  fields: (t) => ({
    hubId: t.exposeString("hubId"),
    serial: t.exposeString("serial"),
    model: t.exposeString("model"),
    thingName: t.exposeString("thingName"),
    vendorName: t.string({ nullable: true, resolve: (data) => data.vendorName ?? null }),
    provisionedAt: t.float({ description: "Epoch milliseconds", resolve: (data) => data.provisionedAt }),
  }),
});

const HubProvisionedEventRef = builder
  .objectRef<NonNullable<ProvisionHubResult["event"]>>("HubProvisionedEvent")
  .implement({
    fields: (t) => ({
      type: t.exposeString("type"),
      data: t.field({ type: HubProvisionedDataRef, resolve: (event) => event.data }),
    }),
  });

const ProvisionHubSuccess = builder.objectRef<ProvisionHubResult>("ProvisionHubSuccess").implement({
  fields: (t) => ({
    success: t.exposeBoolean("success"),
    aggregateId: t.exposeString("aggregateId"),
    version: t.exposeInt("version"),
    event: t.field({
      type: HubProvisionedEventRef,
      nullable: true,
      description: "Null when the hub was already provisioned with the identical payload",
      resolve: (result) => result.event,
    }),
  }),
});

const EventActorRef = builder.objectRef<{ kind: string; id: string }>("EventActor").implement({
  description: "Who caused an event",
  fields: (t) => ({ kind: t.exposeString("kind"), id: t.exposeString("id") }),
});

const metadataText = (event: RecordedEventView, key: string): string | null => {
  const value = event.metadata[key];
  return typeof value === "string" ? value : null;
};

const HubEventRef = builder.objectRef<RecordedEventView>("HubEvent").implement({
  description: "One event of a hub's history",
  fields: (t) => ({
    position: t.exposeString("position", { description: "Global position in the event log" }),
    hubId: t.exposeString("streamId", { description: "The hub (event stream) it belongs to" }),
    version: t.exposeInt("version"),
    type: t.exposeString("type"),
    data: t.string({ description: "Event data as JSON", resolve: (event) => JSON.stringify(event.data) }),
    metadata: t.string({
      description: "Event metadata as JSON",
      resolve: (event) => JSON.stringify(event.metadata),
    }),
    actor: t.field({
      type: EventActorRef,
      nullable: true,
      resolve: (event) => {
        const actor = event.metadata.actor as { kind?: unknown; id?: unknown } | undefined;
        return typeof actor?.kind === "string" && typeof actor.id === "string"
          ? { kind: actor.kind, id: actor.id }
          : null;
      },
    }),
    source: t.string({
      nullable: true,
      description: "Surface the command came through (rest, graphql, trpc, cli)",
      resolve: (event) => metadataText(event, "source"),
    }),
    requestId: t.string({ nullable: true, resolve: (event) => metadataText(event, "requestId") }),
    correlationId: t.string({ nullable: true, resolve: (event) => metadataText(event, "correlationId") }),
    recordedAt: t.float({ description: "Epoch milliseconds", resolve: (event) => event.recordedAt }),
  }),
});

export const HubEventConnection = builder.connectionObject(
  { type: HubEventRef, name: "HubEventConnection" },
  { name: "HubEventEdge" },
);

/** One `hub.lastEvents` call per request for all hubs whose `lastEvent` is asked for. */
const lastEventLoaders = new WeakMap<GraphQLContext, (hubId: string) => Promise<RecordedEventView | null>>();

function lastEventOf(ctx: GraphQLContext, hubId: string): Promise<RecordedEventView | null> {
  let load = lastEventLoaders.get(ctx);
  if (!load) {
    load = createBatchLoader(async (hubIds: readonly string[]) => {
      const caller = await call(ctx);
      const chunks: string[][] = [];
      for (let i = 0; i < hubIds.length; i += PAGE_SIZE_MAX) chunks.push(hubIds.slice(i, i + PAGE_SIZE_MAX));
      // Chunks asked for in the same tick still travel in one batched HTTP request.
      const pages = await Promise.all(chunks.map((ids) => ctx.hubApi.lastEvents(caller, ids)));
      return new Map(pages.flat().map((event) => [event.streamId, event]));
    });
    lastEventLoaders.set(ctx, load);
  }
  return load(hubId);
}

const hubEventsArgs = z.object({
  types: z.array(eventTypeSchema).max(20).optional(),
  fromVersion: z.number().int().min(1).optional(),
  page: pageArgsSchema(EVENT_PAGE_SIZE_MAX),
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
    events: t.connection(
      {
        type: HubEventRef,
        description: `The hub's own history, oldest first (pages of up to ${EVENT_PAGE_SIZE_MAX}, default 100)`,
        args: {
          types: t.arg.stringList({ required: false, description: "Only events of these types" }),
          fromVersion: t.arg.int({ required: false, description: "Only events from this version on" }),
        },
        resolve: (hub, args, ctx): Promise<EventConnection> =>
          guarded(async () => {
            const query = parseOrThrow(
              hubEventsArgs,
              withoutNulls({ types: args.types, fromVersion: args.fromVersion, page: pageOf(args) }),
            );
            return ctx.hubApi.hubEvents(await call(ctx), hub.hubId, query);
          }),
      },
      HubEventConnection,
    ),
    lastEvent: t.field({
      type: HubEventRef,
      nullable: true,
      description: "The latest event of the hub (batched: one call for a whole page of hubs)",
      resolve: (hub, _args, ctx) => guarded(() => lastEventOf(ctx, hub.hubId)),
    }),
  }),
});

const ProvisionHubInput = builder.inputType("ProvisionHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true, description: "Hub ID (UUID)" }),
    serial: t.string({ required: true }),
    model: t.string({ required: true }),
    thingName: t.string({ required: false, description: "AWS IoT Thing name (defaults to hubId)" }),
    vendorName: t.string({ required: false }),
  }),
});

async function call(ctx: { principal: () => Promise<Principal>; requestId: string }) {
  return { principal: await ctx.principal(), requestId: ctx.requestId, source: "graphql" as const };
}

type ConnectionArgs = {
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
};

function pageOf(args: ConnectionArgs) {
  return { first: args.first, after: args.after, last: args.last, before: args.before };
}

const hubListArgs = z.object({
  filter: hubListFilterSchema.optional(),
  orderBy: hubListOrderSchema.optional(),
  page: pageArgsSchema(PAGE_SIZE_MAX),
});

builder.queryType({
  fields: (t) => ({
    hubs: t.connection(
      {
        type: HubRef,
        description: `Hubs, filtered and ordered, by keyset pages of up to ${PAGE_SIZE_MAX} (default 50; admin)`,
        args: {
          filter: t.arg({ type: HubFilter, required: false }),
          orderBy: t.arg({
            type: HubOrder,
            required: false,
            description: "Default: newest provisioned first",
          }),
        },
        resolve: (_root, args, ctx): Promise<HubConnection> =>
          guarded(async () => {
            const query = parseOrThrow(
              hubListArgs,
              withoutNulls({ filter: args.filter, orderBy: args.orderBy, page: pageOf(args) }),
            );
            return ctx.hubApi.hubs(await call(ctx), query);
          }),
      },
      { name: "HubConnection" },
      { name: "HubEdge" },
    ),
    events: t.connection(
      {
        type: HubEventRef,
        description: `The global event feed by log position, pages of up to ${PAGE_SIZE_MAX} (admin)`,
        args: { order: t.arg({ type: EventFeedOrder, required: false, defaultValue: "NEWEST_FIRST" }) },
        resolve: (_root, args, ctx): Promise<EventConnection> =>
          guarded(async () => {
            const page = parseOrThrow(pageArgsSchema(PAGE_SIZE_MAX), withoutNulls(pageOf(args)));
            return ctx.hubApi.eventFeed(await call(ctx), { order: args.order ?? "NEWEST_FIRST", page });
          }),
      },
      HubEventConnection,
    ),
    hub: t.field({
      type: HubRef,
      nullable: true,
      description: "One hub by id (admin)",
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, args, ctx) =>
        guarded(async () => ctx.hubApi.hubById(await call(ctx), parseHubId(args.id))),
    }),
    hubBySerial: t.field({
      type: HubRef,
      nullable: true,
      description: "One hub by serial number (admin)",
      args: { serial: t.arg.string({ required: true }) },
      resolve: (_root, args, ctx) =>
        guarded(async () => ctx.hubApi.hubBySerial(await call(ctx), args.serial)),
    }),
  }),
});

function parseHubId(id: string): string {
  return parseOrThrow(provisionHubBodySchema.shape.hubId, id, "id must be a UUID");
}

builder.mutationType({
  fields: (t) => ({
    provisionHub: t.field({
      type: ProvisionHubSuccess,
      description: "Registers a manufactured hub. The AWS IoT Thing must already exist.",
      args: { input: t.arg({ type: ProvisionHubInput, required: true }) },
      errors: { types: provisionErrorTypes, union: { name: "ProvisionHubResult" } },
      resolve: (_root, { input }, ctx) =>
        guarded(async () => {
          const principal = await ctx.principal();
          const body = parseOrThrow(provisionHubBodySchema, withoutNulls(input));
          return ctx.hubApi.provisionHub({ principal, requestId: ctx.requestId, source: "graphql" }, body);
        }, provisionErrorTypes),
    }),
  }),
});
