import type { Principal } from "@hub/shared";
import { describe, expect, it } from "vitest";
import { authorize } from "../src/policy/policy.ts";

/** Whether the policy lets `principal` do `action` (ProvisionHub needs no hub row). */
const allows = (principal: Principal) => {
  try {
    authorize("hub.provision", principal, undefined, { forwarded: true });
    return true;
  } catch {
    return false;
  }
};

describe("provisioning permission", () => {
  it.each([
    [{ kind: "service", id: "s", permissions: [] }, true],
    [{ kind: "admin", id: "a", permissions: [] }, true],
    [{ kind: "organization", id: "o", permissions: ["hubs:provision"] }, true],
    [{ kind: "organization", id: "o", permissions: ["hubs:read"] }, false],
    [{ kind: "user", id: "u", permissions: ["hubs:provision"] }, false],
  ] as const)("%o may provision: %s", (principal, allowed) => {
    expect(allows({ ...principal, permissions: [...principal.permissions] })).toBe(allowed);
  });
});
