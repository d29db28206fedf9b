import { authorizedProcedure } from "../trpc.ts";
import { hubListInput, hubListOutput } from "./hub-queries.types.ts";

/** A page of hubs (admin dashboard): filters, order, keyset cursors. */
export const hubListProcedure = authorizedProcedure(hubListInput, "hubs.browse")
  .output(hubListOutput)
  .query(({ ctx, input }) => {
    return ctx.hubs.list({ filter: input.filter, orderBy: input.orderBy, page: input.page });
  });
