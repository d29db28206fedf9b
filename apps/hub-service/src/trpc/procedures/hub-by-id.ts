import { authorizedProcedure } from "../trpc.ts";
import { hubByIdInput, hubOutput } from "./hub-queries.types.ts";

export const hubByIdProcedure = authorizedProcedure(hubByIdInput, "hub.read")
  .output(hubOutput)
  .query(({ ctx, input }) => {
    return ctx.hubs.byId(input.hubId);
  });
