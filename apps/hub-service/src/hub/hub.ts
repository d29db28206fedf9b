import type { EventMetadata, HubEventData, HubEventType, HubProvisionedData } from "@hub/shared";

// Events: past tense, readonly, data exactly per the contract's event JSON Schemas.
type EventOf<T extends HubEventType> = {
  readonly type: T;
  readonly data: HubEventData<T>;
  readonly metadata?: EventMetadata;
};
export type HubProvisioned = EventOf<"HubProvisioned">;
export type HubClaimed = EventOf<"HubClaimed">;
export type HubReClaimed = EventOf<"HubReClaimed">;
export type HubRoleSet = EventOf<"HubRoleSet">;
export type HubSuspended = EventOf<"HubSuspended">;
export type HubResumed = EventOf<"HubResumed">;
export type HubDecommissioned = EventOf<"HubDecommissioned">;

export type HubEvent =
  | HubProvisioned
  | HubClaimed
  | HubReClaimed
  | HubRoleSet
  | HubSuspended
  | HubResumed
  | HubDecommissioned;

export const hubEventTypes = [
  "HubProvisioned",
  "HubClaimed",
  "HubReClaimed",
  "HubRoleSet",
  "HubSuspended",
  "HubResumed",
  "HubDecommissioned",
] as const satisfies readonly HubEventType[];

/** Where a hub is claimed into; absent until its first HubClaimed. */
export type Claim = { readonly orgId: string; readonly siteId: string; readonly claimedAt: number };

export type ProvisionedHub = {
  readonly status: "Provisioned" | "Claimed" | "Suspended" | "Decommissioned";
  readonly provisioning: HubProvisionedData;
  /** The organization whose key provisioned it (from the event's metadata), if any. */
  readonly provisionedByOrgId: string | undefined;
  readonly claim: Claim | undefined;
  readonly isPrimary: boolean;
};

export type Hub = { readonly status: "Unprovisioned" } | ProvisionedHub;

export const initialState = (): Hub => ({ status: "Unprovisioned" });

/** The status a hub returns to when resumed: claimed or not. */
export const activeStatus = (hub: ProvisionedHub): "Provisioned" | "Claimed" =>
  hub.claim ? "Claimed" : "Provisioned";

export function evolve(state: Hub, event: HubEvent): Hub {
  if (event.type === "HubProvisioned") {
    return {
      status: "Provisioned",
      provisioning: event.data,
      provisionedByOrgId: event.metadata?.orgId,
      claim: undefined,
      isPrimary: false,
    };
  }
  if (state.status === "Unprovisioned") return state;
  switch (event.type) {
    case "HubClaimed":
      return {
        ...state,
        status: "Claimed",
        claim: { orgId: event.data.orgId, siteId: event.data.siteId, claimedAt: event.data.claimedAt },
      };
    case "HubReClaimed":
      return {
        ...state,
        claim: {
          orgId: event.data.newOrgId,
          siteId: event.data.newSiteId,
          claimedAt: event.data.reclaimedAt,
        },
        isPrimary: false,
      };
    case "HubRoleSet":
      return { ...state, isPrimary: event.data.isPrimary };
    case "HubSuspended":
      return { ...state, status: "Suspended" };
    case "HubResumed":
      return { ...state, status: activeStatus(state) };
    case "HubDecommissioned":
      return { ...state, status: "Decommissioned", isPrimary: false };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
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
 * Who receives an event (DESIGN "Event delivery"): the hub's owner just before it and just after
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
