import {
  type EventConnection,
  PAGE_SIZE_MAX,
  pageArgsSchema,
  parseOrThrow,
  type RecordedEventView,
} from "@hub/shared";
import { createBatchLoader } from "../batch-loader.ts";
import { builder } from "../builder.ts";
import type { GraphQLContext } from "../context.ts";
import { guarded } from "./auth-errors.ts";
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
const lastEventLoaders = new WeakMap<GraphQLContext, (hubId: string) => Promise<RecordedEventView | null>>();

export function lastEventOf(ctx: GraphQLContext, hubId: string): Promise<RecordedEventView | null> {
  let load = lastEventLoaders.get(ctx);
  if (!load) {
    load = createBatchLoader(async (hubIds: readonly string[]) => {
      const caller = await callOf(ctx);
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

builder.queryField("events", (t) =>
  t.connection(
    {
      type: HubEventRef,
      description: `The global event feed by log position, pages of up to ${PAGE_SIZE_MAX} (admin)`,
      args: { order: t.arg({ type: EventFeedOrder, required: false, defaultValue: "NEWEST_FIRST" }) },
      resolve: (_root, args, ctx): Promise<EventConnection> =>
        guarded(async () => {
          const page = parseOrThrow(pageArgsSchema(PAGE_SIZE_MAX), withoutNulls(pageOf(args)));
          return ctx.hubApi.eventFeed(await callOf(ctx), { order: args.order ?? "NEWEST_FIRST", page });
        }),
    },
    HubEventConnection,
  ),
);
