import { assertCanRead, resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { hubLastEventsInput, hubLastEventsOutput } from "./hub-queries.types.ts";

/** The last event of each hub of a page, in one SQL statement (no N+1 behind `Hub.lastEvent`). */
export const hubLastEventsProcedure = serviceProcedure
  .input(hubLastEventsInput)
  .output(hubLastEventsOutput)
  .query(({ ctx, input }) => {
    assertCanRead(resolveCaller(ctx, ctx.service.id, input.caller));
    return ctx.hubs.lastEvents(input.hubIds);
  });
