import { assertCanRead, resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { hubEventsInput, hubEventsOutput } from "./hub-queries.types.ts";

/** One hub's history, oldest first, by keyset pages over (stream_id, version). */
export const hubEventsProcedure = serviceProcedure
  .input(hubEventsInput)
  .output(hubEventsOutput)
  .query(({ ctx, input }) => {
    assertCanRead(resolveCaller(ctx, ctx.service.id, input.caller));
    return ctx.hubs.events({
      hubId: input.hubId,
      types: input.types,
      fromVersion: input.fromVersion,
      page: input.page,
    });
  });
