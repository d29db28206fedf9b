import { ForbiddenError, NotFoundError, type Principal } from "@hub/shared";
import { describe, expect, it } from "vitest";
import {
  authorize,
  authorizeApiKey,
  authorizeKeyGrant,
  authorizeOrganization,
} from "../src/policy/policy.ts";

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

describe("organizations and API keys", () => {
  const ORG = "11111111-1111-4111-8111-111111111111";
  const OTHER = "22222222-2222-4222-8222-222222222222";
  const keyHolder = (permissions: Principal["permissions"]): Principal => ({
    kind: "organization",
    id: ORG,
    orgId: ORG,
    permissions,
    apiKey: { id: "33333333-3333-4333-8333-333333333333", orgId: ORG, permissions },
  });
  const admin: Principal = { kind: "admin", id: "a", permissions: [] };
  const outcome = (run: () => void) => {
    try {
      run();
      return "allowed";
    } catch (error) {
      if (error instanceof ForbiddenError) return "403";
      if (error instanceof NotFoundError) return "404";
      throw error;
    }
  };

  it("creating organizations is for admins and services only", () => {
    const create = (p: Principal) => () =>
      authorize("organizations.manage", p, undefined, { forwarded: true });
    expect(outcome(create(admin))).toBe("allowed");
    expect(outcome(create({ kind: "service", id: "s", permissions: [] }))).toBe("allowed");
    expect(outcome(create(keyHolder(["keys:manage"])))).toBe("403");
    expect(outcome(create({ kind: "user", id: "u", permissions: [] }))).toBe("403");
  });

  it("managing keys needs keys:manage, confined to the key's own organization (another is 404)", () => {
    const manage = (p: Principal) => () => authorize("keys.manage", p, undefined, { forwarded: true });
    expect(outcome(manage(keyHolder(["hubs:read"])))).toBe("403");
    expect(outcome(manage(keyHolder(["keys:manage"])))).toBe("allowed");
    expect(outcome(() => authorizeOrganization(keyHolder(["keys:manage"]), ORG))).toBe("allowed");
    expect(outcome(() => authorizeOrganization(keyHolder(["keys:manage"]), OTHER))).toBe("404");
    expect(outcome(() => authorizeApiKey(keyHolder(["keys:manage"]), OTHER))).toBe("404");
    expect(outcome(() => authorizeOrganization(admin, OTHER))).toBe("allowed");
  });

  it("never grants a permission the caller's own key lacks; admins grant anything", () => {
    const holder = keyHolder(["keys:manage", "hubs:read"]);
    expect(outcome(() => authorizeKeyGrant(holder, ["hubs:read"]))).toBe("allowed");
    expect(outcome(() => authorizeKeyGrant(holder, ["keys:manage", "hubs:read"]))).toBe("allowed");
    expect(outcome(() => authorizeKeyGrant(holder, ["hubs:read", "hubs:provision"]))).toBe("403");
    expect(outcome(() => authorizeKeyGrant(holder, ["hubs:delete"]))).toBe("403");
    // Permissions a token adds to the principal are not the key's: they grant nothing here.
    const withToken: Principal = { ...holder, permissions: [...holder.permissions, "hubs:manage"] };
    expect(outcome(() => authorizeKeyGrant(withToken, ["hubs:manage"]))).toBe("403");
    expect(outcome(() => authorizeKeyGrant(admin, ["hubs:delete", "keys:manage"]))).toBe("allowed");
  });
});
