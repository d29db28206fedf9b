import { z } from "zod";
import {
  type CommissionDeviceBody,
  commissionDeviceBodySchema,
  deviceCommandResultSchema,
  hubCommandFailedDataSchema,
  hubCommandRejectedDataSchema,
  hubCommandSentDataSchema,
  hubCommandSucceededDataSchema,
  hubCommandTimedOutDataSchema,
  hubConnectedDataSchema,
  hubDisconnectedDataSchema,
  type SendHubCommandBody,
  type ShadowCommand,
  sendHubCommandBodySchema,
} from "./device-commands.ts";
import { boundedText, hubIdBodyField, hubProvisionedDataSchema, strictBody } from "./hub-schemas.ts";
import type { HubEventType } from "./vocabulary.ts";

/*
 * The hub lifecycle commands after ProvisionHub: bodies as clients send them and event data
 * exactly per the contract's JSON Schemas (`commands`, `events`). ResumeHub/HubResumed and
 * DecommissionHub are this project's extensions (marked so in docs/contract). Every lifecycle
 * command answers 200 `{success, aggregateId, version, event}`, `event: null` when its effect
 * already held.
 */

/** Lower-cased, as the database prints them, so ids compare equal however a client spelled them. */
const uuid = (label: string) =>
  z.uuid({ error: `${label} must be a UUID` }).transform((id) => id.toLowerCase());

export const claimHubBodySchema = strictBody({
  hubId: hubIdBodyField,
  /** An organization claims into itself (omit it or send its own id); admins and services name it. */
  orgId: uuid("orgId")
    .optional()
    .describe("Omit to claim into your own organization; admins and services name it"),
  siteId: boundedText("siteId"),
  userId: boundedText("userId").describe("The user claiming the hub"),
});
export const reClaimHubBodySchema = strictBody({
  hubId: hubIdBodyField,
  newOrgId: uuid("newOrgId"),
  newSiteId: boundedText("newSiteId"),
  reason: boundedText("reason"),
  userId: boundedText("userId"),
});
export const setHubRoleBodySchema = strictBody({
  hubId: hubIdBodyField,
  isPrimary: z.boolean({ error: "isPrimary must be a boolean" }),
  userId: uuid("userId").describe("The user setting the role (a UUID)"),
});
export const suspendHubBodySchema = strictBody({
  hubId: hubIdBodyField,
  reason: boundedText("reason"),
  userId: boundedText("userId"),
});
export const resumeHubBodySchema = strictBody({
  hubId: hubIdBodyField,
  reason: boundedText("reason").optional(),
  userId: boundedText("userId"),
});
export const decommissionHubBodySchema = strictBody({
  hubId: hubIdBodyField,
  reason: boundedText("reason"),
  userId: boundedText("userId"),
});

export const hubClaimedDataSchema = z.strictObject({
  hubId: z.string(),
  orgId: z.string(),
  siteId: z.string(),
  claimedBy: z.string(),
  claimedAt: z.number(),
});
export const hubReClaimedDataSchema = z.strictObject({
  hubId: z.string(),
  previousOrgId: z.string(),
  previousSiteId: z.string(),
  newOrgId: z.string(),
  newSiteId: z.string(),
  reclaimedBy: z.string(),
  reason: z.string(),
  reclaimedAt: z.number(),
});
export const hubRoleSetDataSchema = z.strictObject({
  hubId: z.string(),
  isPrimary: z.boolean(),
  setBy: z.string(),
  setAt: z.number(),
});
export const hubSuspendedDataSchema = z.strictObject({
  hubId: z.string(),
  reason: z.string(),
  suspendedBy: z.string(),
  suspendedAt: z.number(),
});
export const hubResumedDataSchema = z.strictObject({
  hubId: z.string(),
  resumedBy: z.string(),
  resumedAt: z.number(),
  reason: z.string().optional(),
});
export const hubDecommissionedDataSchema = z.strictObject({
  hubId: z.string(),
  reason: z.string(),
  decommissionedBy: z.string(),
  decommissionedAt: z.number(),
});

/** Every hub event's data schema, by event type. */
export const hubEventDataSchemas = {
  HubProvisioned: hubProvisionedDataSchema,
  HubClaimed: hubClaimedDataSchema,
  HubReClaimed: hubReClaimedDataSchema,
  HubRoleSet: hubRoleSetDataSchema,
  HubSuspended: hubSuspendedDataSchema,
  HubResumed: hubResumedDataSchema,
  HubDecommissioned: hubDecommissionedDataSchema,
  HubCommandSent: hubCommandSentDataSchema,
  HubCommandSucceeded: hubCommandSucceededDataSchema,
  HubCommandFailed: hubCommandFailedDataSchema,
  HubCommandRejected: hubCommandRejectedDataSchema,
  HubCommandTimedOut: hubCommandTimedOutDataSchema,
  HubConnected: hubConnectedDataSchema,
  HubDisconnected: hubDisconnectedDataSchema,
} as const satisfies Record<HubEventType, z.ZodType>;
export type HubEventData<T extends HubEventType> = z.infer<(typeof hubEventDataSchemas)[T]>;

/** `{success, aggregateId, version, event: {type, data} | null}` for one command's event type. */
export function commandResultSchema<T extends HubEventType>(eventType: T) {
  return z.object({
    success: z.literal(true),
    aggregateId: z.string(),
    version: z.number().int(),
    event: z.object({ type: z.literal(eventType), data: hubEventDataSchemas[eventType] }).nullable(),
  });
}

/**
 * What the policy checks for a lifecycle command (its action; the permission an organization's
 * key needs follows from it in hub-service's policy).
 */
export type LifecycleCommandAction = "hub.claim" | "hub.reclaim" | "hub.manage";

type CommandSpec<
  P extends string,
  B extends z.ZodType,
  E extends HubEventType,
  A extends LifecycleCommandAction,
> = {
  /** hub-service's procedure `hub.<procedure>`. */
  readonly procedure: P;
  /** The body as clients send it, on every surface (REST route, GraphQL input, tRPC input). */
  readonly body: B;
  /** The one event type the command appends. */
  readonly event: E;
  readonly action: A;
  /** Whether the hub must be online (the registry asked) before the command may change it. */
  readonly needsOnline: boolean;
  /** Not in the public contract: this backend's own (marked `x-extension` in OpenAPI). */
  readonly extension: boolean;
  /** The GraphQL mutation's field name and description. */
  readonly graphql: { readonly field: string; readonly description: string };
  /** OpenAPI summary of `POST /hubs/{id}/<Command>`. */
  readonly summary: string;
};

/** One registry entry, with its result schema derived from its event type. */
function command<
  const P extends string,
  B extends z.ZodType,
  const E extends HubEventType,
  const A extends LifecycleCommandAction,
>(spec: CommandSpec<P, B, E, A>) {
  return { ...spec, result: commandResultSchema(spec.event), shadow: undefined };
}

/**
 * One entry of a command to the hub itself: what it writes into the hub's Device Shadow
 * (`shadow`), tracked to a result; it answers the contract's body with `event: null` and the
 * command's id and state. It always appends HubCommandSent (then the hub's outcome).
 */
function deviceCommand<const P extends string, B extends z.ZodType, const A extends LifecycleCommandAction>(
  spec: Omit<CommandSpec<P, B, "HubCommandSent", A>, "event" | "needsOnline"> & {
    readonly shadow: (body: z.infer<B>) => ShadowCommand;
  },
) {
  return { ...spec, event: "HubCommandSent" as const, needsOnline: false, result: deviceCommandResultSchema };
}

/**
 * The lifecycle commands, one entry each, and the only list of them: every surface derives its
 * slice from here (the REST route `POST /hubs/{id}/<name>` and its OpenAPI path, hub-service's
 * procedure `hub.<procedure>` with its input, output and policy action, the GraphQL mutation with
 * its input and result union, and whether the pipeline asks the registry first). A new command is
 * an entry here, its decide and evolve entries and its projection in hub-service, and its tests.
 */
export const lifecycleCommands = {
  ClaimHub: command({
    procedure: "claim",
    body: claimHubBodySchema,
    event: "HubClaimed",
    action: "hub.claim",
    needsOnline: true,
    extension: false,
    graphql: {
      field: "claimHub",
      description:
        "Claims an online hub into an organization and site (organizations: into themselves; admins and services name it).",
    },
    summary: "Claim hub into an organization and site",
  }),
  ReClaimHub: command({
    procedure: "reClaim",
    body: reClaimHubBodySchema,
    event: "HubReClaimed",
    action: "hub.reclaim",
    needsOnline: true,
    extension: false,
    graphql: {
      field: "reClaimHub",
      description: "Moves an online, claimed hub to another organization and site; clears its primary role.",
    },
    summary: "Move a claimed hub to another organization and site",
  }),
  SetHubRole: command({
    procedure: "setRole",
    body: setHubRoleBodySchema,
    event: "HubRoleSet",
    action: "hub.manage",
    needsOnline: true,
    extension: false,
    graphql: {
      field: "setHubRole",
      description: "Makes an online, claimed hub its site's primary, or not (at most one primary per site).",
    },
    summary: "Set whether a hub is its site's primary",
  }),
  SuspendHub: command({
    procedure: "suspend",
    body: suspendHubBodySchema,
    event: "HubSuspended",
    action: "hub.manage",
    needsOnline: false,
    extension: false,
    graphql: { field: "suspendHub", description: "Suspends a hub (lost or stolen); it need not be online." },
    summary: "Suspend a hub (lost or stolen)",
  }),
  ResumeHub: command({
    procedure: "resume",
    body: resumeHubBodySchema,
    event: "HubResumed",
    action: "hub.manage",
    needsOnline: false,
    extension: true,
    graphql: { field: "resumeHub", description: "Resumes a suspended hub (extension of the contract)." },
    summary: "Resume a suspended hub (extension)",
  }),
  DecommissionHub: command({
    procedure: "decommission",
    body: decommissionHubBodySchema,
    event: "HubDecommissioned",
    action: "hub.manage",
    needsOnline: false,
    extension: true,
    graphql: {
      field: "decommissionHub",
      description: "Decommissions a hub for good; frees its site's primary slot (extension of the contract).",
    },
    summary: "Decommission a hub for good (extension)",
  }),
  SendHubCommand: deviceCommand({
    procedure: "sendCommand",
    body: sendHubCommandBodySchema,
    action: "hub.manage",
    extension: false,
    shadow: (body: SendHubCommandBody) => ({
      command: body.command,
      ...(body.args !== undefined ? { args: body.args } : {}),
    }),
    graphql: {
      field: "sendHubCommand",
      description:
        "Sends a command to the hub through its Device Shadow and tracks it to a result (see hubCommand).",
    },
    summary: "Send hub command",
  }),
  CommissionDevice: deviceCommand({
    procedure: "commissionDevice",
    body: commissionDeviceBodySchema,
    action: "hub.manage",
    extension: false,
    shadow: (body: CommissionDeviceBody) => ({
      command: "commission_with_code",
      args: { code: body.commissioningCode },
    }),
    graphql: {
      field: "commissionDevice",
      description:
        "Commissions a Matter device on the hub with its setup code; its result names the new node.",
    },
    summary: "Commission device on hub",
  }),
} as const;
export type LifecycleCommandName = keyof typeof lifecycleCommands;
export const lifecycleCommandNames = Object.keys(lifecycleCommands) as LifecycleCommandName[];
export type LifecycleCommandBody<N extends LifecycleCommandName> = z.infer<
  (typeof lifecycleCommands)[N]["body"]
>;
export type LifecycleCommandResult<N extends LifecycleCommandName> = z.infer<
  (typeof lifecycleCommands)[N]["result"]
>;
/** The commands to the hub itself (written into its Device Shadow), as the list marks them. */
export type DeviceCommandName = {
  [N in LifecycleCommandName]: (typeof lifecycleCommands)[N]["shadow"] extends undefined ? never : N;
}[LifecycleCommandName];
export const deviceCommandNames = lifecycleCommandNames.filter(
  (name) => lifecycleCommands[name].shadow !== undefined,
) as DeviceCommandName[];
export function isDeviceCommand(name: LifecycleCommandName): name is DeviceCommandName {
  return lifecycleCommands[name].shadow !== undefined;
}
/** The shadow command of a device command's body. */
export function shadowCommandOf<N extends DeviceCommandName>(
  name: N,
  body: LifecycleCommandBody<N>,
): ShadowCommand {
  return (lifecycleCommands[name].shadow as (body: LifecycleCommandBody<N>) => ShadowCommand)(body);
}

/** hub-service's procedure name of a command (`hub.<procedure>`). */
export type LifecycleProcedureName<N extends LifecycleCommandName = LifecycleCommandName> =
  (typeof lifecycleCommands)[N]["procedure"];

export type ClaimHubBody = z.infer<typeof claimHubBodySchema>;
export type ReClaimHubBody = z.infer<typeof reClaimHubBodySchema>;
export type SetHubRoleBody = z.infer<typeof setHubRoleBodySchema>;
export type SuspendHubBody = z.infer<typeof suspendHubBodySchema>;
export type ResumeHubBody = z.infer<typeof resumeHubBodySchema>;
export type DecommissionHubBody = z.infer<typeof decommissionHubBodySchema>;
