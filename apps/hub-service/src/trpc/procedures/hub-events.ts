import { authorizedProcedure } from "../trpc.ts";
import { hubEventsInput, hubEventsOutput } from "./hub-queries.types.ts";

/** One hub's history, oldest first, by keyset pages over (stream_id, version). */
export const hubEventsProcedure = authorizedProcedure(hubEventsInput, "hub.read")
  .output(hubEventsOutput)
  .query(({ ctx, input }) => {
    return ctx.hubs.events({
      hubId: input.hubId,
      types: input.types,
      fromVersion: input.fromVersion,
      page: input.page,
    });
  });
