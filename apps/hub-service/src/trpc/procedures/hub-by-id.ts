import { assertCanRead, resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { hubByIdInput, hubOutput } from "./hub-queries.types.ts";

export const hubByIdProcedure = serviceProcedure
  .input(hubByIdInput)
  .output(hubOutput)
  .query(({ ctx, input }) => {
    assertCanRead(resolveCaller(ctx, ctx.service.id, input.caller));
    return ctx.hubs.byId(input.hubId);
  });
