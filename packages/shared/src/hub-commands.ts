import { z } from "zod";
import { boundedText, hubIdBodyField, hubProvisionedDataSchema, strictBody } from "./hub-schemas.ts";

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
} as const;
export type HubEventType = keyof typeof hubEventDataSchemas;
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
 * The lifecycle commands, one entry each: what every surface derives its slice from (the REST
 * route `POST /hubs/{id}/<name>`, hub-service's procedure `hub.<procedure>` with its input and
 * output, the GraphQL mutation's input and result). Adding a command here, with its decide
 * function in hub-service, is most of the work.
 */
export const lifecycleCommands = {
  ClaimHub: {
    procedure: "claim",
    body: claimHubBodySchema,
    result: commandResultSchema("HubClaimed"),
    summary: "Claim hub into an organization and site",
  },
  ReClaimHub: {
    procedure: "reClaim",
    body: reClaimHubBodySchema,
    result: commandResultSchema("HubReClaimed"),
    summary: "Move a claimed hub to another organization and site",
  },
  SetHubRole: {
    procedure: "setRole",
    body: setHubRoleBodySchema,
    result: commandResultSchema("HubRoleSet"),
    summary: "Set whether a hub is its site's primary",
  },
  SuspendHub: {
    procedure: "suspend",
    body: suspendHubBodySchema,
    result: commandResultSchema("HubSuspended"),
    summary: "Suspend a hub (lost or stolen)",
  },
  ResumeHub: {
    procedure: "resume",
    body: resumeHubBodySchema,
    result: commandResultSchema("HubResumed"),
    summary: "Resume a suspended hub (extension)",
  },
  DecommissionHub: {
    procedure: "decommission",
    body: decommissionHubBodySchema,
    result: commandResultSchema("HubDecommissioned"),
    summary: "Decommission a hub for good (extension)",
  },
} as const;
export type LifecycleCommandName = keyof typeof lifecycleCommands;
export const lifecycleCommandNames = Object.keys(lifecycleCommands) as LifecycleCommandName[];
export type LifecycleCommandBody<N extends LifecycleCommandName> = z.infer<
  (typeof lifecycleCommands)[N]["body"]
>;
export type LifecycleCommandResult<N extends LifecycleCommandName> = z.infer<
  (typeof lifecycleCommands)[N]["result"]
>;

export type ClaimHubBody = z.infer<typeof claimHubBodySchema>;
export type ReClaimHubBody = z.infer<typeof reClaimHubBodySchema>;
export type SetHubRoleBody = z.infer<typeof setHubRoleBodySchema>;
export type SuspendHubBody = z.infer<typeof suspendHubBodySchema>;
export type ResumeHubBody = z.infer<typeof resumeHubBodySchema>;
export type DecommissionHubBody = z.infer<typeof decommissionHubBodySchema>;
