import { lifecycleProcedure } from "../lifecycle-procedure.ts";

/** ReClaimHub → HubReClaimed: to another organization and site (clears the primary role). */
export const reClaimHubProcedure = lifecycleProcedure("ReClaimHub", "hub.reclaim");
