import { lifecycleProcedure } from "../lifecycle-procedure.ts";

/** SuspendHub → HubSuspended: a lost or stolen hub (does not ask the registry). */
export const suspendHubProcedure = lifecycleProcedure("SuspendHub", "hub.manage");
