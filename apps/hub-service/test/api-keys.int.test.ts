import { randomUUID } from "node:crypto";
import { type AppRouter, createHubServiceClient, TRPCClientError } from "@hub/hub-client";
import { ConflictError, NotFoundError, ValidationError } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import {
  createOrganization,
  issueApiKey,
  listApiKeys,
  revokeApiKey,
  verifyApiKey,
} from "../src/api-keys/api-keys.ts";
import { useTestDatabase } from "./support/database.ts";
import { useHubService } from "./support/system.ts";

const statements: string[] = [];
const db = useTestDatabase({ onStatement: (sql) => statements.push(sql) });
const system = useHubService(db);
const prisma = () => db.current.prisma;
const NOW = new Date("2026-01-15T12:00:00.000Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);
const DAY = 86_400_000;
const actor = { principal: { kind: "admin" as const, id: "test-admin", permissions: [] } };

async function orgWithKey(
  permissions: ("hubs:provision" | "hubs:read")[] = ["hubs:provision"],
  expiresAt?: Date,
) {
  const org = await createOrganization(prisma(), `org-${randomUUID()}`, actor);
  const issued = await issueApiKey(prisma(), {
    organizationId: org.id,
    name: "line 1",
    permissions,
    now: NOW,
    actor,
    ...(expiresAt ? { expiresAt } : {}),
  });
  return { org, issued };
}

/** Same length and alphabet as the real secret, so only the hash comparison can refuse it. */
function withOtherSecret(key: string): string {
  const last = key.at(-1) === "A" ? "B" : "A";
  return `${key.slice(0, -1)}${last}`;
}

describe(`API keys (${testEngine()})`, () => {
  it("issues a key in the documented format that verifies to its organization with its permissions", async () => {
    const { org, issued } = await orgWithKey(["hubs:provision", "hubs:read"]);
    expect(issued.key).toMatch(/^hub_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(issued.key.startsWith(`hub_${issued.prefix}_`)).toBe(true);
    expect(await verifyApiKey(prisma(), issued.key, later(1000))).toEqual({
      kind: "organization",
      id: org.id,
      orgId: org.id,
      permissions: ["hubs:provision", "hubs:read"],
      apiKey: { id: issued.id, orgId: org.id, permissions: ["hubs:provision", "hubs:read"] },
    });
  });

  it("stores neither the key nor its secret, only the prefix and a hash", async () => {
    const { issued } = await orgWithKey();
    const secret = issued.key.slice(`hub_${issued.prefix}_`.length);
    const rows = await prisma().$queryRaw<
      Record<string, unknown>[]
    >`SELECT * FROM api_keys WHERE id = ${issued.id}::uuid`;
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0], (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    expect(stored).not.toContain(issued.key);
    expect(stored).not.toContain(secret);
    expect(rows[0]?.prefix).toBe(issued.prefix);
    expect(rows[0]?.hash).toMatch(/^sha256\$[A-Za-z0-9_-]{43}$/);
  });

  it("rejects a wrong secret, an unknown prefix and malformed keys", async () => {
    const { issued } = await orgWithKey();
    expect(await verifyApiKey(prisma(), withOtherSecret(issued.key), NOW)).toBeNull();
    const unknownPrefix = `hub_${"Z".repeat(12)}_${issued.key.slice(-43)}`;
    expect(await verifyApiKey(prisma(), unknownPrefix, NOW)).toBeNull();
    for (const malformed of [
      "",
      "hub_",
      issued.key.slice(0, -1),
      `${issued.key}x`,
      issued.key.replace("hub_", "bub_"),
      "x".repeat(10_000),
    ]) {
      expect(await verifyApiKey(prisma(), malformed, NOW)).toBeNull();
    }
  });

  it("never queries the database for a malformed key (statements counted on the real client)", async () => {
    const sentFor = async (key: string) => {
      const before = statements.length;
      expect(await verifyApiKey(prisma(), key, NOW)).toBeNull();
      return statements.length - before;
    };
    expect(await sentFor("not-a-key")).toBe(0);
    expect(await sentFor(`hub_short_${"a".repeat(43)}`)).toBe(0);
    // A well-formed unknown key is looked up, so the count above can see a query.
    expect(await sentFor(`hub_${"a".repeat(12)}_${"b".repeat(43)}`)).toBeGreaterThan(0);
  });

  it("rejects a revoked key, by id or by prefix, and keeps the first revocation time", async () => {
    const first = await orgWithKey();
    const revoked = await revokeApiKey(prisma(), first.issued.id, later(DAY), actor);
    expect(revoked.revokedAt).toEqual(later(DAY));
    expect(await verifyApiKey(prisma(), first.issued.key, later(2 * DAY))).toBeNull();
    const again = await revokeApiKey(prisma(), first.issued.prefix, later(3 * DAY), actor);
    expect(again.revokedAt).toEqual(later(DAY));

    const second = await orgWithKey();
    await revokeApiKey(prisma(), second.issued.prefix, later(DAY), actor);
    expect(await verifyApiKey(prisma(), second.issued.key, later(DAY))).toBeNull();
    await expect(revokeApiKey(prisma(), "nope", NOW, actor)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeApiKey(prisma(), randomUUID(), NOW, actor)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("accepts a key until its expiry and rejects it from then on", async () => {
    const { issued } = await orgWithKey(["hubs:read"], later(7 * DAY));
    expect(await verifyApiKey(prisma(), issued.key, later(7 * DAY - 1))).not.toBeNull();
    expect(await verifyApiKey(prisma(), issued.key, later(7 * DAY))).toBeNull();
    const expiredOnArrival = orgWithKey(["hubs:read"], NOW);
    await expect(expiredOnArrival).rejects.toBeInstanceOf(ValidationError);
  });

  it("lists an organization's keys without any hash, and validates what it issues", async () => {
    const { org, issued } = await orgWithKey(["hubs:read"]);
    const second = await issueApiKey(prisma(), {
      organizationId: org.id,
      name: "line 2",
      permissions: [],
      now: later(1),
      actor,
    });
    const keys = await listApiKeys(prisma(), org.id);
    expect(keys.map((k) => k.id)).toEqual([issued.id, second.id]);
    expect(keys[0]).toEqual({
      id: issued.id,
      organizationId: org.id,
      name: "line 1",
      prefix: issued.prefix,
      permissions: ["hubs:read"],
      createdAt: NOW,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      rotatedAt: null,
      replacedById: null,
    });
    expect(JSON.stringify(keys)).not.toContain("sha256$");

    await expect(
      issueApiKey(prisma(), { organizationId: randomUUID(), name: "x", permissions: [], now: NOW, actor }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      issueApiKey(prisma(), {
        organizationId: org.id,
        name: "x",
        permissions: ["hubs:everything" as never],
        now: NOW,
        actor,
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(createOrganization(prisma(), org.name, actor)).rejects.toBeInstanceOf(ConflictError);
  });

  describe("apiKeys.verify over tRPC (the real hub-service over HTTP)", () => {
    const anonymous = () =>
      createHubServiceClient({ url: system.current.url, serviceToken: "not-a-service-token" });

    it("answers the principal for a live key and null for a dead one", async () => {
      const { org, issued } = await orgWithKey(["hubs:provision"]);
      const client = system.current.client;
      expect(await client.apiKeys.verify.query({ key: issued.key })).toEqual({
        principal: {
          kind: "organization",
          id: org.id,
          orgId: org.id,
          permissions: ["hubs:provision"],
          apiKey: { id: issued.id, orgId: org.id, permissions: ["hubs:provision"] },
        },
        expiresAt: null,
      });
      expect(await client.apiKeys.verify.query({ key: withOtherSecret(issued.key) })).toEqual({
        principal: null,
        expiresAt: null,
      });
      expect(await client.apiKeys.verify.query({ key: "garbage" })).toEqual({
        principal: null,
        expiresAt: null,
      });
      const expiring = await orgWithKey(["hubs:read"], new Date(Date.now() + DAY));
      expect((await client.apiKeys.verify.query({ key: expiring.issued.key })).expiresAt).toBe(
        expiring.issued.summary.expiresAt?.getTime(),
      );
    });

    it("refuses a caller that is not an authenticated service", async () => {
      const { issued } = await orgWithKey();
      const error = await anonymous()
        .apiKeys.verify.query({ key: issued.key })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCClientError);
      expect((error as TRPCClientError<AppRouter>).data?.code).toBe("UNAUTHORIZED");
    });

    it("bounds the key length", async () => {
      const error = await system.current.client.apiKeys.verify
        .query({ key: "k".repeat(257) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCClientError);
      expect((error as TRPCClientError<AppRouter>).data?.code).toBe("BAD_REQUEST");
    });
  });
});
