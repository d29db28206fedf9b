import { authorizedProcedure } from "../trpc.ts";
import { hubLastEventsInput, hubLastEventsOutput } from "./hub-queries.types.ts";

/** The last event of each hub of a page, in one SQL statement (no N+1 behind `Hub.lastEvent`). */
export const hubLastEventsProcedure = authorizedProcedure(hubLastEventsInput, "hubs.browse")
  .output(hubLastEventsOutput)
  .query(({ ctx, input }) => {
    return ctx.hubs.lastEvents(input.hubIds);
  });
