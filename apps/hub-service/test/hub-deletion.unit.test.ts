import { ConflictError, ForbiddenError, NotFoundError, type Principal } from "@hub/shared";
import { describe, expect, it } from "vitest";
import { decideDeletion } from "../src/hub/deletion.ts";
import { foldHub } from "../src/hub/hub.ts";
import { authorize } from "../src/policy/policy.ts";

const hubId = "5f0c7c1e-2a53-4c3e-9d0e-1f2a3b4c5d6e";
const provisioned = {
  type: "HubProvisioned",
  data: { hubId, serial: "SN-1", model: "HUB-2", thingName: "t-1", provisionedAt: 1 },
};
const claimed = {
  type: "HubClaimed",
  data: { hubId, orgId: "org-1", siteId: "s-1", claimedBy: "u", claimedAt: 2 },
};
const suspended = { type: "HubSuspended", data: { hubId, reason: "r", suspendedBy: "u", suspendedAt: 3 } };
const decommissioned = {
  type: "HubDecommissioned",
  data: { hubId, reason: "r", decommissionedBy: "u", decommissionedAt: 4 },
};
const state = (...events: { type: string; data: unknown }[]) => foldHub(events);

function outcome(run: () => unknown): string {
  try {
    return JSON.stringify(run());
  } catch (error) {
    if (error instanceof ConflictError) return `409 ${error.reason}`;
    if (error instanceof NotFoundError) return "404";
    if (error instanceof ForbiddenError) return "403";
    throw error;
  }
}

describe("decideDeletion", () => {
  const keep = JSON.stringify({ removeEvents: false, forced: false });
  const remove = JSON.stringify({ removeEvents: true, forced: false });
  const forced = JSON.stringify({ removeEvents: true, forced: true });
  it.each([
    ["no stream", [], "DELETE_DO_ONLY", false, "404"],
    ["no stream", [], "DELETE_DO_AND_EVENTS", true, "404"],
    ["provisioned", [provisioned], "DELETE_DO_AND_EVENTS", false, remove],
    ["claimed, active", [provisioned, claimed], "DELETE_DO_AND_EVENTS", false, "409 HUB_ACTIVE"],
    ["claimed, active", [provisioned, claimed], "DELETE_DO_AND_EVENTS", true, forced],
    ["claimed, active", [provisioned, claimed], "DELETE_DO_ONLY", false, keep],
    ["claimed, suspended", [provisioned, claimed, suspended], "DELETE_DO_AND_EVENTS", false, remove],
    ["decommissioned", [provisioned, claimed, decommissioned], "DELETE_DO_AND_EVENTS", false, remove],
    ["decommissioned", [provisioned, claimed, decommissioned], "DELETE_DO_ONLY", false, keep],
  ] as const)("%s, %s, force=%s → %s", (_name, events, mode, force, expected) => {
    expect(outcome(() => decideDeletion(state(...events), { hubId, mode, force }))).toBe(expected);
  });

  it("is pure: deciding twice on the same state gives the same answer and leaves the state as it was", () => {
    const hub = state(provisioned, claimed);
    const before = JSON.stringify(hub);
    const request = { hubId, mode: "DELETE_DO_AND_EVENTS", force: true } as const;
    expect(decideDeletion(hub, request)).toEqual(decideDeletion(hub, request));
    expect(JSON.stringify(hub)).toBe(before);
  });
});

describe("the policy of hub.delete", () => {
  const key = (permissions: Principal["permissions"]) => ({
    id: "7d3f1c2a-9b8e-4f6d-a5c4-3b2a1f0e9d8c",
    orgId: "ops",
    permissions,
  });
  const allowed = (principal: Principal, forwarded = true) =>
    outcome(() => authorize("hub.delete", principal, undefined, { forwarded }) ?? "allowed");
  it.each<[string, Principal, string]>([
    [
      "an admin token with a hubs:delete key",
      { kind: "admin", id: "a", permissions: [], apiKey: key(["hubs:delete"]) },
      '"allowed"',
    ],
    ["an admin token alone", { kind: "admin", id: "a", permissions: [] }, "403"],
    [
      "an admin token claiming hubs:delete itself",
      { kind: "admin", id: "a", permissions: ["hubs:delete"] },
      "403",
    ],
    [
      "an admin token with a key lacking it",
      { kind: "admin", id: "a", permissions: [], apiKey: key(["hubs:read"]) },
      "403",
    ],
    [
      "a hubs:delete key alone",
      {
        kind: "organization",
        id: "ops",
        orgId: "ops",
        permissions: ["hubs:delete"],
        apiKey: key(["hubs:delete"]),
      },
      "403",
    ],
    ["a service", { kind: "service", id: "gateway", permissions: [], apiKey: key(["hubs:delete"]) }, "403"],
    [
      "a user token with the key",
      { kind: "user", id: "u", permissions: [], apiKey: key(["hubs:delete"]) },
      "403",
    ],
  ])("%s → %s", (_name, principal, expected) => {
    expect(allowed(principal)).toBe(expected);
  });

  it("audit.read: admins, and services for themselves only", () => {
    const read = (principal: Principal, forwarded: boolean) =>
      outcome(() => authorize("audit.read", principal, undefined, { forwarded }) ?? "allowed");
    expect(read({ kind: "admin", id: "a", permissions: [] }, true)).toBe('"allowed"');
    expect(read({ kind: "service", id: "s", permissions: [] }, false)).toBe('"allowed"');
    expect(read({ kind: "service", id: "s", permissions: [] }, true)).toBe("403");
    expect(read({ kind: "organization", id: "o", orgId: "o", permissions: ["hubs:read"] }, true)).toBe("403");
  });
});
