import { authorizedProcedure } from "../trpc.ts";
import { hubByIdInput, hubOutput } from "./hub-queries.types.ts";

export const hubByIdProcedure = authorizedProcedure(hubByIdInput, "hub.read")
  .output(hubOutput)
  // An organization's call has read the row already, to decide who may see it.
  .query(({ ctx, input }) => (ctx.hub !== undefined ? ctx.hub : ctx.hubs.byId(input.hubId)));
