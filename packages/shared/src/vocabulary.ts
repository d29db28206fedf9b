/*
 * The hub's statuses and event types as plain values, with no schema library behind them, so a
 * browser bundle (the admin console) can import them (`@hub/shared/vocabulary`) without zod. The
 * zod schemas are checked against these lists: an event type with no data schema, or a data schema
 * of no listed type, fails to compile.
 */

export const hubStatuses = ["Provisioned", "Claimed", "Suspended", "Decommissioned"] as const;
export type HubStatus = (typeof hubStatuses)[number];

/** Every event a hub's history can hold, in the order of its life. */
export const hubEventTypeNames = [
  "HubProvisioned",
  "HubClaimed",
  "HubReClaimed",
  "HubRoleSet",
  "HubSuspended",
  "HubResumed",
  "HubDecommissioned",
  "HubCommandSent",
  "HubCommandSucceeded",
  "HubCommandFailed",
  "HubCommandRejected",
  "HubCommandTimedOut",
  "HubConnected",
  "HubDisconnected",
] as const;
export type HubEventType = (typeof hubEventTypeNames)[number];

/**
 * A hub command's execution, as AWS IoT's command executions: SENT (written to the hub's shadow),
 * then one terminal state, from what the hub reports or from its deadline.
 */
export const hubCommandStates = ["SENT", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT"] as const;
export type HubCommandState = (typeof hubCommandStates)[number];
export type TerminalHubCommandState = Exclude<HubCommandState, "SENT">;
