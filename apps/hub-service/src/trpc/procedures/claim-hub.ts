import { claimOrgId } from "../../policy/policy.ts";
import { lifecycleProcedure } from "../lifecycle-procedure.ts";

/** ClaimHub → HubClaimed: into the caller's own organization, or the one an admin or service names. */
export const claimHubProcedure = lifecycleProcedure("ClaimHub", "hub.claim", (body, caller) => ({
  ...body,
  orgId: claimOrgId(caller.principal, body.orgId),
}));
