import {
  type EventMetadata,
  type HubCommandState,
  type HubEventData,
  type HubEventType,
  type HubProvisionedData,
  hubEventTypeNames,
} from "@hub/shared";

// Events: past tense, readonly, data exactly per the contract's event JSON Schemas. The types
// derive from the event data schemas (@hub/shared): a new event is an entry there and here in
// `evolvers`, not a union member.
export type HubEventOf<T extends HubEventType> = {
  readonly type: T;
  readonly data: HubEventData<T>;
  readonly metadata?: EventMetadata;
};
export type HubEvent = { [T in HubEventType]: HubEventOf<T> }[HubEventType];

export const hubEventTypes: readonly HubEventType[] = hubEventTypeNames;

/** Where a hub is claimed into; absent until its first HubClaimed. */
export type Claim = { readonly orgId: string; readonly siteId: string; readonly claimedAt: number };

/** A command sent to the hub: enough to answer a retry with the same id and to move it once. */
export type TrackedCommand = {
  readonly command: string;
  readonly payloadDigest: string;
  readonly state: HubCommandState;
};

/** The hub's last connect or disconnect, by AWS IoT's lifecycle `versionNumber`. */
export type Presence = { readonly online: boolean; readonly versionNumber: number };

export type ProvisionedHub = {
  readonly status: "Provisioned" | "Claimed" | "Suspended" | "Decommissioned";
  readonly provisioning: HubProvisionedData;
  /** The organization whose key provisioned it (from the event's metadata), if any. */
  readonly provisionedByOrgId: string | undefined;
  readonly claim: Claim | undefined;
  readonly isPrimary: boolean;
  /** Every command ever sent to it, by command id. */
  readonly commands: ReadonlyMap<string, TrackedCommand>;
  readonly presence: Presence | undefined;
};

export type Hub = { readonly status: "Unprovisioned" } | ProvisionedHub;

export const initialState = (): Hub => ({ status: "Unprovisioned" });

/** The status a hub returns to when resumed: claimed or not. */
export const activeStatus = (hub: ProvisionedHub): "Provisioned" | "Claimed" =>
  hub.claim ? "Claimed" : "Provisioned";

/** How each event after the first changes a provisioned hub. */
const evolvers: {
  [T in Exclude<HubEventType, "HubProvisioned">]: (hub: ProvisionedHub, event: HubEventOf<T>) => Hub;
} = {
  HubClaimed: (hub, { data }) => ({
    ...hub,
    status: "Claimed",
    claim: { orgId: data.orgId, siteId: data.siteId, claimedAt: data.claimedAt },
  }),
  HubReClaimed: (hub, { data }) => ({
    ...hub,
    claim: { orgId: data.newOrgId, siteId: data.newSiteId, claimedAt: data.reclaimedAt },
    isPrimary: false,
  }),
  HubRoleSet: (hub, { data }) => ({ ...hub, isPrimary: data.isPrimary }),
  HubSuspended: (hub) => ({ ...hub, status: "Suspended" }),
  HubResumed: (hub) => ({ ...hub, status: activeStatus(hub) }),
  HubDecommissioned: (hub) => ({ ...hub, status: "Decommissioned", isPrimary: false }),
  HubCommandSent: (hub, { data }) =>
    withCommand(hub, data.commandId, {
      command: data.command,
      payloadDigest: data.payloadDigest,
      state: "SENT",
    }),
  HubCommandSucceeded: (hub, { data }) => finished(hub, data.commandId, "SUCCEEDED"),
  HubCommandFailed: (hub, { data }) => finished(hub, data.commandId, "FAILED"),
  HubCommandRejected: (hub, { data }) => finished(hub, data.commandId, "REJECTED"),
  HubCommandTimedOut: (hub, { data }) => finished(hub, data.commandId, "TIMED_OUT"),
  HubConnected: (hub, { data }) => ({
    ...hub,
    presence: { online: true, versionNumber: data.versionNumber },
  }),
  HubDisconnected: (hub, { data }) => ({
    ...hub,
    presence: { online: false, versionNumber: data.versionNumber },
  }),
};

function withCommand(hub: ProvisionedHub, commandId: string, command: TrackedCommand): ProvisionedHub {
  const commands = new Map(hub.commands);
  commands.set(commandId, command);
  return { ...hub, commands };
}

function finished(hub: ProvisionedHub, commandId: string, state: HubCommandState): ProvisionedHub {
  const tracked = hub.commands.get(commandId);
  return tracked ? withCommand(hub, commandId, { ...tracked, state }) : hub;
}

export function evolve(state: Hub, event: HubEvent): Hub {
  if (event.type === "HubProvisioned") {
    return {
      status: "Provisioned",
      provisioning: event.data,
      provisionedByOrgId: event.metadata?.orgId,
      claim: undefined,
      isPrimary: false,
      commands: new Map(),
      presence: undefined,
    };
  }
  if (state.status === "Unprovisioned") return state;
  // The table is keyed by the event's type, so its entry takes this very event.
  const apply = evolvers[event.type] as (hub: ProvisionedHub, event: HubEvent) => Hub;
  return apply(state, event);
}

export function isHubEvent(event: { type: string }): event is HubEvent {
  return (hubEventTypes as readonly string[]).includes(event.type);
}

/** Folds a stream into state; events of types this version does not know are skipped. */
export function foldHub(events: readonly { type: string; data: unknown; metadata?: unknown }[]): Hub {
  return events.reduce<Hub>(
    (state, event) => (isHubEvent(event) ? evolve(state, event as HubEvent) : state),
    initialState(),
  );
}

/** The organization a hub belongs to in `state`: the one it is claimed into, else its provisioner. */
export function ownerOfHub(state: Hub): string | undefined {
  if (state.status === "Unprovisioned") return undefined;
  return state.claim?.orgId ?? state.provisionedByOrgId;
}

/**
 * Who receives an event (README, "Event delivery"): the hub's owner just before it and just after
 * it, as lower-case ids. HubClaimed reaches the provisioner and the claimer, HubReClaimed the old
 * and the new owner. Returns the state after the event too, for the next event of a decision.
 */
export function eventRecipients(
  state: Hub,
  event: { type: string; data: unknown; metadata?: unknown },
): { orgIds: string[]; after: Hub } {
  const after = isHubEvent(event) ? evolve(state, event as HubEvent) : state;
  const owners = [ownerOfHub(state), ownerOfHub(after)].filter((id): id is string => id !== undefined);
  return { orgIds: [...new Set(owners.map((id) => id.toLowerCase()))], after };
}
