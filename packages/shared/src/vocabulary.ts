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

/**
 * The commands the hub firmware knows, with the arguments it treats as secret. A secret argument
 * goes to the shadow and nowhere else (no event, log line, span, webhook, response or table): the
 * event records only that it was present. The contract forwards any command verbatim, so an
 * unknown command is sent too (the hub rejects what it does not know); `secretArgPattern` below
 * (device-commands.ts) covers secret-looking arguments of commands not listed here. Plain values
 * here so the console offers the same list.
 */
export const knownHubCommands = {
  get_nodes: { secretArgs: [], description: "Lists the devices commissioned on the hub" },
  server_info: { secretArgs: [], description: "Firmware version and uptime" },
  set_wifi_credentials: {
    secretArgs: ["credentials", "password", "psk"],
    description: "Joins a Wi-Fi network: { ssid, credentials }",
  },
  commission_with_code: {
    secretArgs: ["code"],
    description: "Commissions a Matter device with its setup code (CommissionDevice)",
  },
} as const satisfies Record<string, { secretArgs: readonly string[]; description: string }>;
