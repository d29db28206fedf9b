import { assertCanRead, resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { hubEventsInput, hubEventsOutput } from "./hub-queries.types.ts";

export const hubEventsProcedure = serviceProcedure
  .input(hubEventsInput)
  .output(hubEventsOutput)
  .query(({ ctx, input }) => {
    assertCanRead(resolveCaller(ctx, ctx.service.id, input.caller));
    return ctx.hubs.events(input.hubId, { fromVersion: input.fromVersion, limit: input.limit });
  });
