import { lifecycleProcedure } from "../lifecycle-procedure.ts";

/** ResumeHub → HubResumed (extension): back to the state before suspension. */
export const resumeHubProcedure = lifecycleProcedure("ResumeHub", "hub.manage");
