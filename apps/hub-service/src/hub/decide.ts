import {
  type ClaimHubBody,
  ConflictError,
  type DeviceCommandName,
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
export type HubCommandData = Omit<
  { [N in LifecycleCommandName]: LifecycleCommandBody<N> },
  "ClaimHub" | DeviceCommandName
> & {
  readonly ClaimHub: ClaimHubBody & { readonly orgId: string };
  /** Device commands are decided as what they write into the shadow (see SentCommandData). */
  readonly SendHubCommand: SentCommandData;
  readonly CommissionDevice: SentCommandData;
  /** A command found in the hub's shadow that this service had not recorded (a crash in between). */
  readonly AdoptHubCommand: SentCommandData & { readonly sentAt: number };
  /** What the hub reported for a command (from the shadow's update documents or a read of it). */
  readonly CompleteHubCommand: {
    readonly hubId: string;
    readonly commandId: string;
    readonly outcome: "SUCCEEDED" | "FAILED" | "REJECTED";
    readonly result?: Record<string, unknown>;
    readonly reason?: string;
  };
  /** The command's deadline passed with nothing reported. */
  readonly TimeOutHubCommand: { readonly hubId: string; readonly commandId: string };
  /** An AWS IoT lifecycle (presence) event of the hub's Thing. */
  readonly RecordPresence: {
    readonly hubId: string;
    readonly connected: boolean;
    readonly versionNumber: number;
    /** When it happened (epoch ms, AWS's timestamp). */
    readonly at: number;
    readonly disconnectReason?: string;
    readonly sessionIdentifier?: string;
  };
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

/**
 * A device command as recorded: the shadow's command name, its arguments without the secret ones
 * (`secretArgs` names those present), a keyed digest of the whole payload (secrets included) to
 * tell a retry from a reuse of the id, and how long the hub has to report.
 */
export type SentCommandData = {
  readonly hubId: string;
  readonly commandId: string;
  readonly command: string;
  readonly args?: Record<string, unknown>;
  readonly secretArgs?: string[];
  readonly payloadDigest: string;
  readonly timeoutMs: number;
};

/** An empty array is a valid decision: the command's effect already holds (idempotent repeat). */
export type Decision = readonly HubEvent[];

/**
 * The commands that need the hub online before they may change it, as the command list says:
 * claiming, re-claiming and setting a role prove physical possession; suspending and
 * decommissioning must work on a lost, offline hub (README, "Hub lifecycle").
 */
export const needsConnectivity: Readonly<Record<HubCommandType, boolean>> = {
  ProvisionHub: false,
  AdoptHubCommand: false,
  CompleteHubCommand: false,
  TimeOutHubCommand: false,
  RecordPresence: false,
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

/**
 * A device command: the same id again answers the command already sent when the payload is the
 * same (no second shadow write) and is a conflict when it is not, whatever the hub's state now.
 * A suspended or decommissioned hub takes no new command.
 */
function sendCommand(command: HubCommandOf<"SendHubCommand" | "CommissionDevice">, state: Hub): Decision {
  const { hubId, commandId } = command.data;
  const hub = provisioned(state, hubId);
  if (alreadySent(hub, command.data)) return [];
  notDecommissioned(hub, hubId);
  notSuspended(hub, hubId);
  return [sent(command.data, command.metadata.now)];
}

function alreadySent(hub: ProvisionedHub, data: SentCommandData): boolean {
  const known = hub.commands.get(data.commandId);
  if (!known) return false;
  if (known.payloadDigest === data.payloadDigest) return true;
  throw new ConflictError(
    `commandId ${data.commandId} was already used for another command`,
    "commandId",
    "COMMAND_ID_REUSED",
  );
}

function sent(data: SentCommandData, sentAt: number): HubEvent {
  const { hubId, commandId, command, args, secretArgs, payloadDigest, timeoutMs } = data;
  return {
    type: "HubCommandSent",
    data: {
      hubId,
      commandId,
      command,
      ...(args !== undefined ? { args } : {}),
      ...(secretArgs !== undefined ? { secretArgs } : {}),
      payloadDigest,
      sentAt,
      timeoutAt: sentAt + timeoutMs,
    },
  };
}

/** Recorded as sent when the shadow wrote it, whatever the hub's state now; once. */
function adoptCommand(command: HubCommandOf<"AdoptHubCommand">, state: Hub): Decision {
  const hub = provisioned(state, command.data.hubId);
  if (hub.commands.has(command.data.commandId)) return [];
  return [sent(command.data, command.data.sentAt)];
}

/** A command moves out of SENT once; later reports of it (redelivered, reordered) change nothing. */
function pending(state: Hub, hubId: string, commandId: string) {
  if (state.status === "Unprovisioned") return undefined;
  const tracked = state.commands.get(commandId);
  return tracked?.state === "SENT" ? tracked : undefined;
}

function completeCommand(command: HubCommandOf<"CompleteHubCommand">, state: Hub): Decision {
  const { hubId, commandId, outcome, result, reason } = command.data;
  const tracked = pending(state, hubId, commandId);
  if (!tracked) return [];
  const ref = { hubId, commandId, command: tracked.command };
  const completedAt = command.metadata.now;
  if (outcome === "SUCCEEDED") {
    return [{ type: "HubCommandSucceeded", data: { ...ref, ...(result ? { result } : {}), completedAt } }];
  }
  const type = outcome === "FAILED" ? "HubCommandFailed" : "HubCommandRejected";
  return [{ type, data: { ...ref, reason: reason ?? "no reason given", completedAt } }];
}

function timeOutCommand(command: HubCommandOf<"TimeOutHubCommand">, state: Hub): Decision {
  const { hubId, commandId } = command.data;
  const tracked = pending(state, hubId, commandId);
  if (!tracked) return [];
  return [
    {
      type: "HubCommandTimedOut",
      data: { hubId, commandId, command: tracked.command, timedOutAt: command.metadata.now },
    },
  ];
}

/**
 * One event per change of presence: a duplicate, an older event (a lower `versionNumber`, arriving
 * late) or one that changes nothing is no event.
 */
function recordPresence(command: HubCommandOf<"RecordPresence">, state: Hub): Decision {
  const { hubId, connected, versionNumber, at, disconnectReason, sessionIdentifier } = command.data;
  const hub = provisioned(state, hubId);
  const last = hub.presence;
  if (last && (versionNumber <= last.versionNumber || last.online === connected)) return [];
  if (connected) {
    return [
      {
        type: "HubConnected",
        data: {
          hubId,
          connectedAt: at,
          versionNumber,
          ...(sessionIdentifier !== undefined ? { sessionIdentifier } : {}),
        },
      },
    ];
  }
  return [
    {
      type: "HubDisconnected",
      data: { hubId, disconnectedAt: at, versionNumber, disconnectReason: disconnectReason ?? "UNKNOWN" },
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
  SendHubCommand: sendCommand,
  CommissionDevice: sendCommand,
  AdoptHubCommand: adoptCommand,
  CompleteHubCommand: completeCommand,
  TimeOutHubCommand: timeOutCommand,
  RecordPresence: recordPresence,
};

export function decide(command: HubCommand, state: Hub): Decision {
  // The table is keyed by the command's type, so its entry takes this very command.
  const decider = deciders[command.type] as (command: HubCommand, state: Hub) => Decision;
  return decider(command, state);
}
