import { lifecycleProcedure } from "../lifecycle-procedure.ts";

/** SetHubRole → HubRoleSet: at most one primary hub per site (the database's unique index). */
export const setHubRoleProcedure = lifecycleProcedure("SetHubRole", "hub.manage");
