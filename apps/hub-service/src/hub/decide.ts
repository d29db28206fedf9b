import {
  type ClaimHubBody,
  ConflictError,
  HubOfflineError,
  type LifecycleCommandBody,
  type LifecycleCommandName,
  lifecycleCommandNames,
  lifecycleCommands,
  NotFoundError,
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

/**
 * What each command carries: a lifecycle command its body as clients send it (from the command
 * list in @hub/shared), ClaimHub with its organization resolved (the caller's own, or the one an
 * admin named), ProvisionHub with its Thing name defaulted.
 */
export type HubCommandData = Omit<{ [N in LifecycleCommandName]: LifecycleCommandBody<N> }, "ClaimHub"> & {
  readonly ClaimHub: ClaimHubBody & { readonly orgId: string };
  readonly ProvisionHub: {
    readonly hubId: string;
    readonly serial: string;
    readonly model: string;
    readonly thingName: string;
    readonly vendorName?: string;
  };
};
export type HubCommandType = keyof HubCommandData;
export type HubCommandOf<T extends HubCommandType> = Command<T, HubCommandData[T]>;
export type HubCommand = { [T in HubCommandType]: HubCommandOf<T> }[HubCommandType];
export type ProvisionHub = HubCommandOf<"ProvisionHub">;

/** An empty array is a valid decision: the command's effect already holds (idempotent repeat). */
export type Decision = readonly HubEvent[];

/**
 * The commands that need the hub online before they may change it, as the command list says:
 * claiming, re-claiming and setting a role prove physical possession; suspending and
 * decommissioning must work on a lost, offline hub (README, "Hub lifecycle").
 */
export const needsConnectivity: Readonly<Record<HubCommandType, boolean>> = {
  ProvisionHub: false,
  ...(Object.fromEntries(
    lifecycleCommandNames.map((name) => [name, lifecycleCommands[name].needsOnline]),
  ) as Record<LifecycleCommandName, boolean>),
};

function provisionHub(command: ProvisionHub, state: Hub): Decision {
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

function claimHub(command: HubCommandOf<"ClaimHub">, state: Hub): Decision {
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

function reClaimHub(command: HubCommandOf<"ReClaimHub">, state: Hub): Decision {
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
function setHubRole(command: HubCommandOf<"SetHubRole">, state: Hub): Decision {
  const { hubId, isPrimary, userId } = command.data;
  const hub = provisioned(state, hubId);
  notDecommissioned(hub, hubId);
  notSuspended(hub, hubId);
  claimed(hub, hubId);
  if (hub.isPrimary === isPrimary) return [];
  online(command, hubId);
  return [{ type: "HubRoleSet", data: { hubId, isPrimary, setBy: userId, setAt: command.metadata.now } }];
}

function suspendHub(command: HubCommandOf<"SuspendHub">, state: Hub): Decision {
  const { hubId, reason, userId } = command.data;
  const hub = provisioned(state, hubId);
  notDecommissioned(hub, hubId);
  if (hub.status === "Suspended") return [];
  return [
    { type: "HubSuspended", data: { hubId, reason, suspendedBy: userId, suspendedAt: command.metadata.now } },
  ];
}

function resumeHub(command: HubCommandOf<"ResumeHub">, state: Hub): Decision {
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

function decommissionHub(command: HubCommandOf<"DecommissionHub">, state: Hub): Decision {
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

/** One pure decider per command, keyed by its type: a new command is one entry. */
const deciders: { [T in HubCommandType]: (command: HubCommandOf<T>, state: Hub) => Decision } = {
  ProvisionHub: provisionHub,
  ClaimHub: claimHub,
  ReClaimHub: reClaimHub,
  SetHubRole: setHubRole,
  SuspendHub: suspendHub,
  ResumeHub: resumeHub,
  DecommissionHub: decommissionHub,
};

export function decide(command: HubCommand, state: Hub): Decision {
  // The table is keyed by the command's type, so its entry takes this very command.
  const decider = deciders[command.type] as (command: HubCommand, state: Hub) => Decision;
  return decider(command, state);
}
