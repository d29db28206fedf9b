import { authorizedProcedure } from "../trpc.ts";
import { eventFeedInput, eventFeedOutput } from "./hub-queries.types.ts";

/** The global event feed by position ("latest activity"), newest first by default. */
export const eventFeedProcedure = authorizedProcedure(eventFeedInput, "hubs.browse")
  .output(eventFeedOutput)
  .query(({ ctx, input }) => {
    return ctx.hubs.feed({ order: input.order, page: input.page });
  });
