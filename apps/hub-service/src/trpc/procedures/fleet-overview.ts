import { authorizedProcedure } from "../trpc.ts";
import { fleetOverviewInput, fleetOverviewOutput } from "./fleet-overview.types.ts";

/** The admin console's overview (a read across hubs: admins, and services for themselves). */
export const fleetOverviewProcedure = authorizedProcedure(fleetOverviewInput, "hubs.browse")
  .output(fleetOverviewOutput)
  .query(({ ctx }) => ctx.hubs.overview());
