import {
  eventVisibleTo,
  ForbiddenError,
  type HubEventType as HubEventTypeName,
  isAppError,
  type LogEvent,
  type Principal,
  UnavailableError,
} from "@hub/shared";
import { GraphQLError } from "graphql";
import { builder } from "../builder.ts";
import type { GraphQLContext } from "../context.ts";
import { createFeedMerge } from "../live/feed-merge.ts";
import { LOG_PAGE_SIZE, type LogReadQuery, readLog } from "../live/log-tail.ts";
import { appErrorAsGraphQLError, toGraphQLError } from "./auth-errors.ts";
import { callOf } from "./call.ts";
import { HubEventRef } from "./hub-event.ts";
import { HubEventType } from "./hub-inputs.ts";

/**
 * Events one subscriber may have waiting (tail events held during its replay, or not yet sent to
 * a slow client) before its feed ends: memory per subscriber stays bounded, and the client resumes
 * with `after` (a replay reads pages as fast as the client takes them, so it needs no buffer).
 */
export const FEED_BUFFER_LIMIT = 10_000;

const HubEventsFilter = builder.inputType("HubEventsFilter", {
  description: "All given conditions must hold",
  fields: (t) => ({
    hubId: t.id({ required: false, description: "Only this hub's events" }),
    types: t.field({
      type: [HubEventType],
      required: false,
      description: "Only events of these types (absent or empty: all)",
    }),
    after: t.string({
      required: false,
      description:
        "The position of the last event received: the events after it come first (none missing, none twice), then live ones. Absent: from now on",
    }),
  }),
});

/** What the source stream yields: an event, or the error that ends the feed (then it completes). */
type FeedItem = LogEvent | Error;

/**
 * Who may follow the feed, decided before the shared tail is touched. hub-service decides again
 * (its policy's events.follow, which this mirrors) on every replay read the subscription makes.
 */
function mayFollow(principal: Principal): void {
  if (principal.kind === "admin" || principal.kind === "service") return;
  if (principal.kind !== "organization") throw new ForbiddenError("Users may not do this");
  if (!principal.permissions.includes("hubs:read"))
    throw new ForbiddenError("This API key lacks the hubs:read permission");
}

/** An error that ends a feed, as the last message the client gets. */
function feedError(ctx: GraphQLContext, error: unknown): Error {
  if (isAppError(error)) return toGraphQLError(error);
  // Masked for the client ("Unexpected error."), so the detail must be logged here.
  ctx.logger.error({ err: error }, "live feed failed");
  return error instanceof Error ? error : new Error(String(error));
}

type Filter = {
  readonly hubId?: string | null | undefined;
  readonly types?: readonly HubEventTypeName[] | null | undefined;
  readonly after?: string | null | undefined;
};

/**
 * One subscriber: attaches to the gateway's log tail first (buffering), then replays from where
 * the client resumes, or from the tail's position, until a page comes back short, then goes live
 * (feed-merge.ts says why that is exact). The first replay page is read here, before the stream
 * starts, so refusals and bad input are the subscription's errors (401/403/400), not stream items.
 */
async function openFeed(ctx: GraphQLContext, filter: Filter): Promise<AsyncIterableIterator<FeedItem>> {
  const call = await callOf(ctx);
  mayFollow(call.principal);
  const hubId = filter.hubId?.toLowerCase();
  const types = filter.types && filter.types.length > 0 ? [...new Set(filter.types)] : undefined;
  const wanted = new Set<string>(types);
  const query = { limit: LOG_PAGE_SIZE, hubId, types } satisfies LogReadQuery;
  const merge = createFeedMerge({
    limit: FEED_BUFFER_LIMIT,
    accepts: (event) =>
      (hubId === undefined || event.streamId.toLowerCase() === hubId) &&
      (types === undefined || wanted.has(event.type)) &&
      eventVisibleTo(call.principal, event.orgIds),
  });

  /** Yoga puts the fetch Request on every context (not in GraphQLContext's type: tests omit it). */
  const signal = (ctx as { request?: { signal?: AbortSignal } }).request?.signal;
  let done = false;
  let tailClosed = false;
  let wake: (() => void) | undefined;
  const finish = () => {
    if (done) return;
    done = true;
    attachment.detach();
    signal?.removeEventListener("abort", finish);
    wake?.();
  };
  const attachment = ctx.logTail.attach({
    events(events) {
      merge.live(events);
      // Leave the tail now, not when a stalled client next asks: the feed is over either way.
      if (merge.overflowed) attachment.detach();
      wake?.();
    },
    closed() {
      tailClosed = true;
      wake?.();
    },
  });
  // A client that leaves before the stream starts gets no stream, so no return() either: its
  // request's signal says it left (Yoga's Node adapter aborts it when the response closes).
  signal?.addEventListener("abort", finish, { once: true });
  if (signal?.aborted) finish();
  try {
    const from = await attachment.from;
    const first = await readLog(
      ctx.hubService,
      call,
      filter.after != null ? { ...query, afterPosition: filter.after } : { ...query, after: from },
    );
    merge.replayed(first, first.events.length < LOG_PAGE_SIZE);
  } catch (error) {
    attachment.detach();
    throw error;
  }

  /** The feed's last message: an error; the next `next()` completes it. */
  const end = (error: Error): IteratorResult<FeedItem> => {
    finish();
    return { done: false, value: error };
  };

  const iterator: AsyncIterableIterator<FeedItem> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      while (!done) {
        if (tailClosed) {
          return end(
            toGraphQLError(
              new UnavailableError("The gateway is shutting down: subscribe again, with after, to resume"),
            ),
          );
        }
        if (merge.overflowed) {
          return end(
            new GraphQLError(
              `More than ${FEED_BUFFER_LIMIT} events were waiting for this subscription: subscribe again with after set to the position of the last event received`,
              { extensions: { code: "FEED_OVERFLOW" } },
            ),
          );
        }
        const event = merge.take();
        if (event) return { done: false, value: event };
        if (merge.replaying) {
          try {
            const page = await readLog(ctx.hubService, call, { ...query, after: merge.cursor });
            merge.replayed(page, page.events.length < LOG_PAGE_SIZE);
          } catch (error) {
            if (done) break;
            return end(feedError(ctx, error));
          }
          continue;
        }
        // Live and nothing waiting: until the tail brings events, the tail closes, or the client leaves.
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      return { done: true, value: undefined };
    },
    // The client went away (Yoga cancels the response stream): leave the tail at once, even while
    // a `next()` waits — an async generator could not, its return() would queue behind that wait.
    async return() {
      finish();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

builder.subscriptionField("hubEvents", (t) =>
  t.field({
    type: HubEventRef,
    description:
      "Hub events as they are recorded, over SSE (`Accept: text/event-stream`). Admins see every event, an organization (hubs:read) those of its hubs. Resume with `filter.after`",
    args: { filter: t.arg({ type: HubEventsFilter, required: false }) },
    // Its refusals are GraphQL errors with `extensions.code` from the schema itself, as the feed's
    // end is (subscribing is not a result union's business).
    subscribe: (_root, args, ctx) =>
      openFeed(ctx, args.filter ?? {}).catch((error: unknown) => {
        throw appErrorAsGraphQLError(error) ?? error;
      }),
    resolve: (item: FeedItem) => {
      if (item instanceof Error) throw item;
      return item;
    },
  }),
);
