import { assertCanRead, resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { hubListInput, hubListOutput } from "./hub-queries.types.ts";

/** A page of hubs (admin dashboard): filters, order, keyset cursors. */
export const hubListProcedure = serviceProcedure
  .input(hubListInput)
  .output(hubListOutput)
  .query(({ ctx, input }) => {
    assertCanRead(resolveCaller(ctx, ctx.service.id, input.caller));
    return ctx.hubs.list({ filter: input.filter, orderBy: input.orderBy, page: input.page });
  });
