import { describe, expect, it } from "vitest";
import { eventRecipients, foldHub, type Hub, initialState } from "../src/hub/hub.ts";

// Who receives each event (README, "Event delivery"): the hub's owner just before and just after it.
const hubId = "7b7f2a52-3c4f-4bd4-9d55-1f2a1e0c9d11";
const MAKER = "A0000000-0000-4000-8000-000000000001";
const BUYER = "b0000000-0000-4000-8000-000000000002";
const NEXT = "c0000000-0000-4000-8000-000000000003";
const provisioned = {
  type: "HubProvisioned",
  data: { hubId, serial: "SN-1", model: "HUB-2", thingName: "t", provisionedAt: 1 },
  metadata: { orgId: MAKER },
};
const claimed = { type: "HubClaimed", data: { hubId, orgId: BUYER, siteId: "s", userId: "u", claimedAt: 2 } };
const reclaimed = {
  type: "HubReClaimed",
  data: { hubId, newOrgId: NEXT, newSiteId: "s2", reason: "r", userId: "u", reclaimedAt: 3 },
};
const suspended = { type: "HubSuspended", data: { hubId, reason: "r", suspendedBy: "u", suspendedAt: 4 } };

function recipientsAlong(events: { type: string; data: unknown; metadata?: unknown }[]): string[][] {
  let state: Hub = initialState();
  return events.map((event) => {
    const { orgIds, after } = eventRecipients(state, event);
    state = after;
    return orgIds;
  });
}

describe("eventRecipients", () => {
  it("follows the owner: provisioner, then provisioner and claimer, then old and new owner, then the new", () => {
    expect(recipientsAlong([provisioned, claimed, suspended, reclaimed, suspended])).toEqual([
      [MAKER.toLowerCase()],
      [MAKER.toLowerCase(), BUYER],
      [BUYER],
      [BUYER, NEXT],
      [NEXT],
    ]);
  });

  it("a hub provisioned by a service has no owner until claimed", () => {
    const byService = { ...provisioned, metadata: {} };
    expect(recipientsAlong([byService, suspended, claimed])).toEqual([[], [], [BUYER]]);
  });

  it("the state after is the fold's", () => {
    const { after } = eventRecipients(foldHub([provisioned]), claimed);
    expect(after).toEqual(foldHub([provisioned, claimed]));
  });
});
