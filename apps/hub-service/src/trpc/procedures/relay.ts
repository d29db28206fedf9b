import { serviceProcedure } from "../trpc.ts";
import {
  claimDeliveriesInput,
  claimDeliveriesOutput,
  reportDeliveriesInput,
  reportDeliveriesOutput,
} from "./webhooks.types.ts";

/** The relay leases due deliveries (signed here: the secrets never leave hub-service). */
export const claimDeliveriesProcedure = serviceProcedure
  .input(claimDeliveriesInput)
  .output(claimDeliveriesOutput)
  .mutation(({ ctx, input }) =>
    ctx.delivery.deliveries.claim(input.owner, input.limit, input.leaseMs, input.exclude),
  );

/** …and reports each attempt's outcome under the lease it holds. */
export const reportDeliveriesProcedure = serviceProcedure
  .input(reportDeliveriesInput)
  .output(reportDeliveriesOutput)
  .mutation(async ({ ctx, input }) => ({
    applied: await ctx.delivery.deliveries.report(input.owner, input.reports, {
      disableAfterMs: input.disableAfterMs,
    }),
  }));
