import { assertCanRead, resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { eventFeedInput, eventFeedOutput } from "./hub-queries.types.ts";

/** The global event feed by position ("latest activity"), newest first by default. */
export const eventFeedProcedure = serviceProcedure
  .input(eventFeedInput)
  .output(eventFeedOutput)
  .query(({ ctx, input }) => {
    assertCanRead(resolveCaller(ctx, ctx.service.id, input.caller));
    return ctx.hubs.feed({ order: input.order, page: input.page });
  });
