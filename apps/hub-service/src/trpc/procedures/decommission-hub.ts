import { lifecycleProcedure } from "../lifecycle-procedure.ts";

/** DecommissionHub → HubDecommissioned (extension): terminal; frees the site's primary slot. */
export const decommissionHubProcedure = lifecycleProcedure("DecommissionHub", "hub.manage");
