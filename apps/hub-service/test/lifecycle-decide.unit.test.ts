import { ConflictError, type ConflictReason, HubOfflineError, NotFoundError } from "@hub/shared";
import { describe, expect, it } from "vitest";
import { decide, type HubCommand } from "../src/hub/decide.ts";
import { evolve, type Hub, type HubEvent, initialState } from "../src/hub/hub.ts";

// Given events / when command / then events or a typed rejection, for every command × state.
const hubId = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
const ORG = "0b7e9c3e-5a3c-4a43-9d8e-1f2a3b4c5d6e";
const OTHER_ORG = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const USER = "3c2b1a09-8f7e-4d6c-9b5a-0a1b2c3d4e5f";
const NOW = 1_764_000_000_000;

const provisioned: HubEvent = {
  type: "HubProvisioned",
  data: { hubId, serial: "SN-1", model: "HUB-2", thingName: "thing-1", provisionedAt: NOW - 9000 },
  metadata: {
    actor: { kind: "organization", id: OTHER_ORG },
    orgId: OTHER_ORG,
    requestId: "r",
    correlationId: "r",
    source: "rest",
  },
};
const claimed: HubEvent = {
  type: "HubClaimed",
  data: { hubId, orgId: ORG, siteId: "site-a", claimedBy: "installer", claimedAt: NOW - 8000 },
};
const primary: HubEvent = {
  type: "HubRoleSet",
  data: { hubId, isPrimary: true, setBy: USER, setAt: NOW - 7000 },
};
const suspended: HubEvent = {
  type: "HubSuspended",
  data: { hubId, reason: "stolen", suspendedBy: "ops", suspendedAt: NOW - 6000 },
};
const decommissioned: HubEvent = {
  type: "HubDecommissioned",
  data: { hubId, reason: "end of life", decommissionedBy: "ops", decommissionedAt: NOW - 5000 },
};

const states: Record<string, HubEvent[]> = {
  none: [],
  provisioned: [provisioned],
  claimed: [provisioned, claimed],
  "claimed, primary": [provisioned, claimed, primary],
  "suspended (unclaimed)": [provisioned, suspended],
  "suspended (claimed)": [provisioned, claimed, suspended],
  "decommissioned (was primary)": [provisioned, claimed, primary, decommissioned],
};

const meta = (online = true) => ({ now: NOW, online });
const commands = {
  claim: (online = true, siteId = "site-a", orgId = ORG): HubCommand => ({
    type: "ClaimHub",
    data: { hubId, orgId, siteId, userId: "installer" },
    metadata: meta(online),
  }),
  reclaim: (online = true, newSiteId = "site-b", newOrgId = OTHER_ORG): HubCommand => ({
    type: "ReClaimHub",
    data: { hubId, newOrgId, newSiteId, reason: "moved", userId: "ops" },
    metadata: meta(online),
  }),
  primary: (online = true, isPrimary = true): HubCommand => ({
    type: "SetHubRole",
    data: { hubId, isPrimary, userId: USER },
    metadata: meta(online),
  }),
  suspend: (): HubCommand => ({
    type: "SuspendHub",
    data: { hubId, reason: "stolen", userId: "ops" },
    metadata: { now: NOW },
  }),
  resume: (): HubCommand => ({
    type: "ResumeHub",
    data: { hubId, reason: "found", userId: "ops" },
    metadata: { now: NOW },
  }),
  decommission: (): HubCommand => ({
    type: "DecommissionHub",
    data: { hubId, reason: "end of life", userId: "ops" },
    metadata: { now: NOW },
  }),
};

type Then = HubEvent["type"] | "no-op" | "not found" | "offline" | ConflictReason;

/** The decision table (README: "Hub lifecycle"); the offline column is the same command offline. */
const table: [keyof typeof commands, string, Then, Then | undefined][] = [
  ["claim", "none", "not found", undefined],
  ["claim", "provisioned", "HubClaimed", "offline"],
  ["claim", "claimed", "no-op", "no-op"],
  ["claim", "claimed, primary", "no-op", "no-op"],
  ["claim", "suspended (unclaimed)", "SUSPENDED", "SUSPENDED"],
  ["claim", "suspended (claimed)", "SUSPENDED", "SUSPENDED"],
  ["claim", "decommissioned (was primary)", "DECOMMISSIONED", "DECOMMISSIONED"],
  ["reclaim", "none", "not found", undefined],
  ["reclaim", "provisioned", "NOT_CLAIMED", "NOT_CLAIMED"],
  ["reclaim", "claimed", "HubReClaimed", "offline"],
  ["reclaim", "claimed, primary", "HubReClaimed", "offline"],
  ["reclaim", "suspended (unclaimed)", "SUSPENDED", "SUSPENDED"],
  ["reclaim", "suspended (claimed)", "SUSPENDED", "SUSPENDED"],
  ["reclaim", "decommissioned (was primary)", "DECOMMISSIONED", "DECOMMISSIONED"],
  ["primary", "none", "not found", undefined],
  ["primary", "provisioned", "NOT_CLAIMED", "NOT_CLAIMED"],
  ["primary", "claimed", "HubRoleSet", "offline"],
  ["primary", "claimed, primary", "no-op", "no-op"],
  ["primary", "suspended (unclaimed)", "SUSPENDED", "SUSPENDED"],
  ["primary", "suspended (claimed)", "SUSPENDED", "SUSPENDED"],
  ["primary", "decommissioned (was primary)", "DECOMMISSIONED", "DECOMMISSIONED"],
  ["suspend", "none", "not found", undefined],
  ["suspend", "provisioned", "HubSuspended", undefined],
  ["suspend", "claimed", "HubSuspended", undefined],
  ["suspend", "claimed, primary", "HubSuspended", undefined],
  ["suspend", "suspended (unclaimed)", "no-op", undefined],
  ["suspend", "suspended (claimed)", "no-op", undefined],
  ["suspend", "decommissioned (was primary)", "DECOMMISSIONED", undefined],
  ["resume", "none", "not found", undefined],
  ["resume", "provisioned", "no-op", undefined],
  ["resume", "claimed", "no-op", undefined],
  ["resume", "claimed, primary", "no-op", undefined],
  ["resume", "suspended (unclaimed)", "HubResumed", undefined],
  ["resume", "suspended (claimed)", "HubResumed", undefined],
  ["resume", "decommissioned (was primary)", "DECOMMISSIONED", undefined],
  ["decommission", "none", "not found", undefined],
  ["decommission", "provisioned", "HubDecommissioned", undefined],
  ["decommission", "claimed", "HubDecommissioned", undefined],
  ["decommission", "claimed, primary", "HubDecommissioned", undefined],
  ["decommission", "suspended (unclaimed)", "HubDecommissioned", undefined],
  ["decommission", "suspended (claimed)", "HubDecommissioned", undefined],
  ["decommission", "decommissioned (was primary)", "no-op", undefined],
];

const given = (name: string): Hub => (states[name] ?? []).reduce(evolve, initialState());

function outcome(command: HubCommand, state: Hub): Then {
  try {
    const events = decide(command, state);
    if (events.length === 0) return "no-op";
    expect(events).toHaveLength(1);
    return (events[0] as HubEvent).type;
  } catch (error) {
    if (error instanceof NotFoundError) return "not found";
    if (error instanceof HubOfflineError) return "offline";
    if (error instanceof ConflictError && error.reason) return error.reason;
    throw error;
  }
}

describe("lifecycle deciders: every command in every state", () => {
  it("covers every command in every state", () => {
    for (const command of Object.keys(commands)) {
      expect(table.filter(([c]) => c === command).map(([, s]) => s)).toEqual(Object.keys(states));
    }
  });

  it.each(table)("%s, given %s → %s (offline: %s)", (command, state, online, offline) => {
    expect(outcome(commands[command](), given(state))).toBe(online);
    if (offline !== undefined) {
      const make = commands[command] as (online: boolean) => HubCommand;
      expect(outcome(make(false), given(state))).toBe(offline);
    }
  });
});

describe("lifecycle events: data exactly per the contract, time from the command", () => {
  it("ClaimHub → HubClaimed", () => {
    expect(decide(commands.claim(), given("provisioned"))).toEqual([
      {
        type: "HubClaimed",
        data: { hubId, orgId: ORG, siteId: "site-a", claimedBy: "installer", claimedAt: NOW },
      },
    ]);
  });

  it("ClaimHub into another organization or site of a claimed hub is CLAIMED_ELSEWHERE", () => {
    expect(outcome(commands.claim(true, "site-z"), given("claimed"))).toBe("CLAIMED_ELSEWHERE");
    expect(outcome(commands.claim(true, "site-a", OTHER_ORG), given("claimed"))).toBe("CLAIMED_ELSEWHERE");
  });

  it("ReClaimHub → HubReClaimed from the current claim; to the same org and site is a no-op", () => {
    expect(decide(commands.reclaim(), given("claimed, primary"))).toEqual([
      {
        type: "HubReClaimed",
        data: {
          hubId,
          previousOrgId: ORG,
          previousSiteId: "site-a",
          newOrgId: OTHER_ORG,
          newSiteId: "site-b",
          reclaimedBy: "ops",
          reason: "moved",
          reclaimedAt: NOW,
        },
      },
    ]);
    expect(outcome(commands.reclaim(true, "site-a", ORG), given("claimed"))).toBe("no-op");
  });

  it("SetHubRole → HubRoleSet, both ways", () => {
    expect(decide(commands.primary(), given("claimed"))).toEqual([
      { type: "HubRoleSet", data: { hubId, isPrimary: true, setBy: USER, setAt: NOW } },
    ]);
    expect(decide(commands.primary(true, false), given("claimed, primary"))).toEqual([
      { type: "HubRoleSet", data: { hubId, isPrimary: false, setBy: USER, setAt: NOW } },
    ]);
    expect(outcome(commands.primary(true, false), given("claimed"))).toBe("no-op");
  });

  it("SuspendHub, ResumeHub and DecommissionHub events", () => {
    expect(decide(commands.suspend(), given("claimed"))).toEqual([
      { type: "HubSuspended", data: { hubId, reason: "stolen", suspendedBy: "ops", suspendedAt: NOW } },
    ]);
    expect(decide(commands.resume(), given("suspended (claimed)"))).toEqual([
      { type: "HubResumed", data: { hubId, resumedBy: "ops", resumedAt: NOW, reason: "found" } },
    ]);
    expect(decide(commands.decommission(), given("suspended (claimed)"))).toEqual([
      {
        type: "HubDecommissioned",
        data: { hubId, reason: "end of life", decommissionedBy: "ops", decommissionedAt: NOW },
      },
    ]);
  });
});

describe("evolve", () => {
  it("resumes to the state before the suspension: claimed, or provisioned when unclaimed", () => {
    const resumed: HubEvent = { type: "HubResumed", data: { hubId, resumedBy: "ops", resumedAt: NOW } };
    expect([provisioned, claimed, suspended, resumed].reduce(evolve, initialState()).status).toBe("Claimed");
    expect([provisioned, suspended, resumed].reduce(evolve, initialState()).status).toBe("Provisioned");
  });

  it("records the provisioning organization, clears the primary role on ReClaim and Decommission", () => {
    const hub = given("claimed, primary");
    expect(hub).toMatchObject({ provisionedByOrgId: OTHER_ORG, isPrimary: true, claim: { orgId: ORG } });
    const moved: HubEvent = {
      type: "HubReClaimed",
      data: {
        hubId,
        previousOrgId: ORG,
        previousSiteId: "site-a",
        newOrgId: OTHER_ORG,
        newSiteId: "site-b",
        reclaimedBy: "ops",
        reason: "moved",
        reclaimedAt: NOW,
      },
    };
    expect(evolve(hub, moved)).toMatchObject({
      isPrimary: false,
      claim: { orgId: OTHER_ORG, siteId: "site-b" },
    });
    expect(given("decommissioned (was primary)")).toMatchObject({
      status: "Decommissioned",
      isPrimary: false,
    });
  });
});
