import {
  type EventConnection,
  PAGE_SIZE_MAX,
  pageArgsSchema,
  parseOrThrow,
  type RecordedEventView,
} from "@hub/shared";
import DataLoader from "dataloader";
import { builder } from "../builder.ts";
import type { GraphQLContext } from "../context.ts";
import { callOf, pageOf } from "./call.ts";
import { EventFeedOrder, withoutNulls } from "./hub-inputs.ts";

const EventActorRef = builder.objectRef<{ kind: string; id: string }>("EventActor").implement({
  description: "Who caused an event",
  fields: (t) => ({ kind: t.exposeString("kind"), id: t.exposeString("id") }),
});

const metadataText = (event: RecordedEventView, key: string): string | null => {
  const value = event.metadata[key];
  return typeof value === "string" ? value : null;
};

export const HubEventRef = builder.objectRef<RecordedEventView>("HubEvent").implement({
  description: "One event of a hub's history",
  fields: (t) => ({
    position: t.exposeString("position", { description: "Global position in the event log" }),
    hubId: t.exposeString("streamId", { description: "The hub (event stream) it belongs to" }),
    version: t.exposeInt("version"),
    type: t.exposeString("type"),
    data: t.field({
      type: "JSONObject",
      description: "Event data, exactly per the contract's event schema of its type",
      resolve: (event) => event.data,
    }),
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
/**
 * `Hub.lastEvent` of a whole page in one hub-service call (and one SQL statement), not one per hub:
 * a DataLoader per request collects the ids its sibling resolvers ask for (dispatched after the
 * current macrotask, when every resolver of the list has asked), in chunks of a page at most.
 * Nothing is cached across requests or callers.
 */
const lastEventLoaders = new WeakMap<GraphQLContext, DataLoader<string, RecordedEventView | null>>();

export function lastEventOf(ctx: GraphQLContext, hubId: string): Promise<RecordedEventView | null> {
  let loader = lastEventLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(
      async (hubIds) => {
        const events = await ctx.hubService.hub.lastEvents.query({
          caller: await callOf(ctx),
          hubIds: [...hubIds],
        });
        const byHub = new Map(events.map((event) => [event.streamId, event]));
        return hubIds.map((id) => byHub.get(id) ?? null);
      },
      { cache: false, maxBatchSize: PAGE_SIZE_MAX, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
    );
    lastEventLoaders.set(ctx, loader);
  }
  return loader.load(hubId);
}

builder.queryField("events", (t) =>
  t.connection(
    {
      type: HubEventRef,
      description: `The global event feed by log position, pages of up to ${PAGE_SIZE_MAX} (admin)`,
      args: { order: t.arg({ type: EventFeedOrder, required: false, defaultValue: "NEWEST_FIRST" }) },
      resolve: async (_root, args, ctx): Promise<EventConnection> => {
        const page = parseOrThrow(pageArgsSchema(PAGE_SIZE_MAX), withoutNulls(pageOf(args)));
        return ctx.hubService.events.feed.query({
          caller: await callOf(ctx),
          order: args.order ?? "NEWEST_FIRST",
          page,
        });
      },
    },
    HubEventConnection,
  ),
);
