import { ConflictError, type HubDeletionMode, NotFoundError } from "@hub/shared";
import type { Hub } from "./hub.ts";

export type DeletionRequest = {
  readonly hubId: string;
  readonly mode: HubDeletionMode;
  readonly force: boolean;
};

/** What a deletion does, decided from the hub's state folded from its (locked) stream. */
export type DeletionDecision = {
  /** The hub's events are archived and removed (DELETE_DO_AND_EVENTS), or kept and replayed. */
  readonly removeEvents: boolean;
  /** The hub was active and `force` was given for it. */
  readonly forced: boolean;
};

/**
 * Whether a hub may be deleted, pure: no stream is "not found" (404). DELETE_DO_ONLY rebuilds
 * the same state from the same events and loses nothing, so any hub may be repaired. Removing the
 * events of a claimed, active hub (status Claimed: neither suspended nor decommissioned) takes
 * `force` (409 HUB_ACTIVE without it); a provisioned-only, suspended or decommissioned hub is
 * deleted as asked.
 */
export function decideDeletion(state: Hub, request: DeletionRequest): DeletionDecision {
  if (state.status === "Unprovisioned") throw new NotFoundError(`Hub ${request.hubId} does not exist`);
  if (request.mode === "DELETE_DO_ONLY") return { removeEvents: false, forced: false };
  const active = state.status === "Claimed";
  if (active && !request.force) {
    throw new ConflictError(
      `Hub ${request.hubId} is claimed and active: decommission it first, or delete with force=true`,
      "force",
      "HUB_ACTIVE",
    );
  }
  return { removeEvents: true, forced: active };
}
