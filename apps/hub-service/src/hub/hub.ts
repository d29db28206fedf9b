import type { EventMetadata, HubProvisionedData, HubStatus } from "@hub/shared";

// Events: past tense, readonly, data exactly per the contract's event JSON Schemas.
export type HubProvisioned = {
  readonly type: "HubProvisioned";
  readonly data: HubProvisionedData;
  readonly metadata?: EventMetadata;
};
export type HubClaimed = {
  readonly type: "HubClaimed";
  readonly data: { hubId: string; orgId: string; siteId: string; claimedBy: string; claimedAt: number };
  readonly metadata?: EventMetadata;
};
export type HubSuspended = {
  readonly type: "HubSuspended";
  readonly data: { hubId: string; reason: string; suspendedBy: string; suspendedAt: number };
  readonly metadata?: EventMetadata;
};
export type HubDecommissioned = {
  readonly type: "HubDecommissioned";
  readonly data: { hubId: string; reason: string; decommissionedBy: string; decommissionedAt: number };
  readonly metadata?: EventMetadata;
};

export type HubEvent = HubProvisioned | HubClaimed | HubSuspended | HubDecommissioned;
export const hubEventTypes = ["HubProvisioned", "HubClaimed", "HubSuspended", "HubDecommissioned"] as const;

export type Hub =
  | { readonly status: "Unprovisioned" }
  | {
      readonly status: HubStatus;
      readonly provisioning: HubProvisionedData;
      readonly orgId?: string;
      readonly siteId?: string;
    };

export const initialState = (): Hub => ({ status: "Unprovisioned" });

export function evolve(state: Hub, event: HubEvent): Hub {
  switch (event.type) {
    case "HubProvisioned":
      return { status: "Provisioned", provisioning: event.data };
    case "HubClaimed":
      if (state.status === "Unprovisioned") return state;
      return { ...state, status: "Claimed", orgId: event.data.orgId, siteId: event.data.siteId };
    case "HubSuspended":
      return state.status === "Unprovisioned" ? state : { ...state, status: "Suspended" };
    case "HubDecommissioned":
      return state.status === "Unprovisioned" ? state : { ...state, status: "Decommissioned" };
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
export function foldHub(events: readonly { type: string; data: unknown }[]): Hub {
  return events.reduce<Hub>(
    (state, event) => (isHubEvent(event) ? evolve(state, event as HubEvent) : state),
    initialState(),
  );
}
