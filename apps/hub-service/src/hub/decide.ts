import {
  type ClaimHubBody,
  ConflictError,
  type DecommissionHubBody,
  HubOfflineError,
  NotFoundError,
  type ReClaimHubBody,
  type ResumeHubBody,
  type SetHubRoleBody,
  type SuspendHubBody,
} from "@hub/shared";
import type { Hub, HubEvent, ProvisionedHub } from "./hub.ts";

/**
 * Commands: imperative, readonly. Time and I/O facts arrive as metadata so `decide` stays pure:
 * `now` (epoch ms, the handler's clock) and, for the commands that need the hub online, `online`
 * (what the registry said). The pipeline first decides with `online: true` to learn whether the
 * command would change anything, and asks the registry only then.
 */
type Command<T extends string, D> = {
  readonly type: T;
  readonly data: D;
  readonly metadata: { readonly now: number; readonly online?: boolean };
};

export type ProvisionHub = Command<
  "ProvisionHub",
  {
    readonly hubId: string;
    readonly serial: string;
    readonly model: string;
    readonly thingName: string;
    readonly vendorName?: string;
  }
>;
/** `orgId` is resolved before deciding: the caller's own organization, or the one an admin named. */
export type ClaimHub = Command<"ClaimHub", ClaimHubBody & { readonly orgId: string }>;
export type ReClaimHub = Command<"ReClaimHub", ReClaimHubBody>;
export type SetHubRole = Command<"SetHubRole", SetHubRoleBody>;
export type SuspendHub = Command<"SuspendHub", SuspendHubBody>;
export type ResumeHub = Command<"ResumeHub", ResumeHubBody>;
export type DecommissionHub = Command<"DecommissionHub", DecommissionHubBody>;

export type HubCommand =
  | ProvisionHub
  | ClaimHub
  | ReClaimHub
  | SetHubRole
  | SuspendHub
  | ResumeHub
  | DecommissionHub;

/** An empty array is a valid decision: the command's effect already holds (idempotent repeat). */
export type Decision = readonly HubEvent[];

/** The commands that need the hub online before they may change it (DESIGN: "Hub lifecycle"). */
export const needsConnectivity: Readonly<Record<HubCommand["type"], boolean>> = {
  ProvisionHub: false,
  ClaimHub: true,
  ReClaimHub: true,
  SetHubRole: true,
  SuspendHub: false,
  ResumeHub: false,
  DecommissionHub: false,
};

export function provisionHub(command: ProvisionHub, state: Hub): Decision {
  const { hubId, serial, model, thingName, vendorName } = command.data;
  if (state.status === "Unprovisioned") {
    const data = {
      hubId,
      serial,
      model,
      thingName,
      ...(vendorName !== undefined ? { vendorName } : {}),
      provisionedAt: command.metadata.now,
    };
    return [{ type: "HubProvisioned", data }];
  }
  const existing = state.provisioning;
  const differing = (["serial", "model", "thingName", "vendorName"] as const).filter(
    (field) => existing[field] !== command.data[field],
  );
  if (differing.length === 0) return [];
  throw new ConflictError(
    `Hub ${hubId} is already provisioned with a different ${differing.join(", ")}`,
    differing[0],
    "DIFFERENT_PAYLOAD",
  );
}

function provisioned(state: Hub, hubId: string): ProvisionedHub {
  if (state.status === "Unprovisioned") throw new NotFoundError(`Hub ${hubId} does not exist`);
  return state;
}

/** Refusals every changing command shares: a decommissioned hub is terminal. */
function notDecommissioned(hub: ProvisionedHub, hubId: string): void {
  if (hub.status === "Decommissioned") {
    throw new ConflictError(`Hub ${hubId} is decommissioned`, undefined, "DECOMMISSIONED");
  }
}

function notSuspended(hub: ProvisionedHub, hubId: string): void {
  if (hub.status === "Suspended") {
    throw new ConflictError(`Hub ${hubId} is suspended: resume it first`, undefined, "SUSPENDED");
  }
}

function claimed(hub: ProvisionedHub, hubId: string) {
  if (!hub.claim) throw new ConflictError(`Hub ${hubId} is not claimed`, undefined, "NOT_CLAIMED");
  return hub.claim;
}

function online(command: { metadata: { online?: boolean } }, hubId: string): void {
  if (command.metadata.online !== true) throw new HubOfflineError(hubId);
}

export function claimHub(command: ClaimHub, state: Hub): Decision {
  const { hubId, orgId, siteId, userId } = command.data;
  const hub = provisioned(state, hubId);
  notDecommissioned(hub, hubId);
  notSuspended(hub, hubId);
  if (hub.claim) {
    if (hub.claim.orgId === orgId && hub.claim.siteId === siteId) return [];
    throw new ConflictError(
      `Hub ${hubId} is already claimed into another organization or site`,
      undefined,
      "CLAIMED_ELSEWHERE",
    );
  }
  online(command, hubId);
  return [
    {
      type: "HubClaimed",
      data: { hubId, orgId, siteId, claimedBy: userId, claimedAt: command.metadata.now },
    },
  ];
}

export function reClaimHub(command: ReClaimHub, state: Hub): Decision {
  const { hubId, newOrgId, newSiteId, reason, userId } = command.data;
  const hub = provisioned(state, hubId);
  notDecommissioned(hub, hubId);
  notSuspended(hub, hubId);
  const claim = claimed(hub, hubId);
  if (claim.orgId === newOrgId && claim.siteId === newSiteId) return [];
  online(command, hubId);
  return [
    {
      type: "HubReClaimed",
      data: {
        hubId,
        previousOrgId: claim.orgId,
        previousSiteId: claim.siteId,
        newOrgId,
        newSiteId,
        reclaimedBy: userId,
        reason,
        reclaimedAt: command.metadata.now,
      },
    },
  ];
}

/** "Another hub is the site's primary" is the database's to say (a unique index, same transaction). */
export function setHubRole(command: SetHubRole, state: Hub): Decision {
  const { hubId, isPrimary, userId } = command.data;
  const hub = provisioned(state, hubId);
  notDecommissioned(hub, hubId);
  notSuspended(hub, hubId);
  claimed(hub, hubId);
  if (hub.isPrimary === isPrimary) return [];
  online(command, hubId);
  return [{ type: "HubRoleSet", data: { hubId, isPrimary, setBy: userId, setAt: command.metadata.now } }];
}

export function suspendHub(command: SuspendHub, state: Hub): Decision {
  const { hubId, reason, userId } = command.data;
  const hub = provisioned(state, hubId);
  notDecommissioned(hub, hubId);
  if (hub.status === "Suspended") return [];
  return [
    { type: "HubSuspended", data: { hubId, reason, suspendedBy: userId, suspendedAt: command.metadata.now } },
  ];
}

export function resumeHub(command: ResumeHub, state: Hub): Decision {
  const { hubId, reason, userId } = command.data;
  const hub = provisioned(state, hubId);
  notDecommissioned(hub, hubId);
  if (hub.status !== "Suspended") return [];
  return [
    {
      type: "HubResumed",
      data: {
        hubId,
        resumedBy: userId,
        resumedAt: command.metadata.now,
        ...(reason !== undefined ? { reason } : {}),
      },
    },
  ];
}

export function decommissionHub(command: DecommissionHub, state: Hub): Decision {
  const { hubId, reason, userId } = command.data;
  const hub = provisioned(state, hubId);
  if (hub.status === "Decommissioned") return [];
  return [
    {
      type: "HubDecommissioned",
      data: { hubId, reason, decommissionedBy: userId, decommissionedAt: command.metadata.now },
    },
  ];
}

export function decide(command: HubCommand, state: Hub): Decision {
  switch (command.type) {
    case "ProvisionHub":
      return provisionHub(command, state);
    case "ClaimHub":
      return claimHub(command, state);
    case "ReClaimHub":
      return reClaimHub(command, state);
    case "SetHubRole":
      return setHubRole(command, state);
    case "SuspendHub":
      return suspendHub(command, state);
    case "ResumeHub":
      return resumeHub(command, state);
    case "DecommissionHub":
      return decommissionHub(command, state);
    default: {
      const unknownCommand: never = command;
      throw new Error(`unknown command ${String((unknownCommand as { type: string }).type)}`);
    }
  }
}
