import { randomUUID } from "node:crypto";
import { type AppRouter, TRPCClientError } from "@hub/hub-client";
import { ConflictError, type Permission, type Principal, ValidationError } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import {
  createOrganization,
  issueApiKey,
  revokeApiKey,
  rotateApiKey,
  verifyApiKey,
} from "../src/api-keys/api-keys.ts";
import { useTestDatabase } from "./support/database.ts";
import { useHubService } from "./support/system.ts";

const statements: string[] = [];
const db = useTestDatabase({ onStatement: (sql) => statements.push(sql) });
const system = useHubService(db);
const prisma = () => db.current.prisma;
const NOW = new Date("2026-03-01T08:00:00.000Z");
const at = (ms: number) => new Date(NOW.getTime() + ms);
const HOUR = 3_600_000;
const admin = { principal: { kind: "admin" as const, id: "test-admin", permissions: [] } };

async function orgWithKey(permissions: Permission[] = ["hubs:provision"], expiresAt?: Date) {
  const org = await createOrganization(prisma(), `org-${randomUUID()}`, admin);
  const issued = await issueApiKey(prisma(), {
    organizationId: org.id,
    name: "line 1",
    permissions,
    now: NOW,
    actor: admin,
    ...(expiresAt ? { expiresAt } : {}),
  });
  return { org, issued };
}

type AuditRow = { action: string; target_id: string; actor_id: string; details: Record<string, unknown> };
const auditOf = (targetId: string) =>
  prisma().$queryRaw<AuditRow[]>`
    SELECT action, target_id, actor_id, details FROM audit_records WHERE target_id = ${targetId}
    ORDER BY recorded_at, action`;
const auditCount = async () =>
  Number((await prisma().$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM audit_records`)[0]?.n);

describe(`API key rotation, last use and audit (${testEngine()})`, () => {
  it("rotates with an overlap: both keys work until the old one retires, then only the new one", async () => {
    const { issued } = await orgWithKey(["hubs:provision", "hubs:read"]);
    const rotated = await rotateApiKey(prisma(), {
      idOrPrefix: issued.id,
      overlapSeconds: 3600,
      now: at(1000),
      actor: admin,
    });
    expect(rotated.previousKeyRetiresAt).toEqual(at(1000 + HOUR));
    expect(rotated.previous).toMatchObject({
      id: issued.id,
      rotatedAt: at(1000),
      replacedById: rotated.current.id,
      expiresAt: at(1000 + HOUR),
    });
    expect(rotated.current).toMatchObject({
      organizationId: issued.summary.organizationId,
      name: "line 1",
      permissions: ["hubs:provision", "hubs:read"],
      expiresAt: null,
    });
    expect(rotated.key).not.toBe(issued.key);
    expect(await verifyApiKey(prisma(), issued.key, at(1000 + HOUR - 1))).not.toBeNull();
    expect(await verifyApiKey(prisma(), rotated.key, at(1000 + HOUR - 1))).not.toBeNull();
    expect(await verifyApiKey(prisma(), issued.key, at(1000 + HOUR))).toBeNull();
    expect(await verifyApiKey(prisma(), rotated.key, at(1000 + HOUR))).not.toBeNull();
  });

  it("never extends a key's life: the overlap ends at its own expiry when that is sooner; the new key keeps the expiry", async () => {
    const { issued } = await orgWithKey(["hubs:read"], at(10 * 60_000));
    const rotated = await rotateApiKey(prisma(), {
      idOrPrefix: issued.prefix,
      overlapSeconds: 7 * 86_400,
      now: NOW,
      actor: admin,
    });
    expect(rotated.previousKeyRetiresAt).toEqual(at(10 * 60_000));
    expect(rotated.current.expiresAt).toEqual(at(10 * 60_000));
  });

  it("refuses to rotate a rotated, revoked or expired key, or with an overlap over 7 days, writing nothing", async () => {
    const rotatedOnce = await orgWithKey();
    await rotateApiKey(prisma(), {
      idOrPrefix: rotatedOnce.issued.id,
      overlapSeconds: 0,
      now: NOW,
      actor: admin,
    });
    const revoked = await orgWithKey();
    await revokeApiKey(prisma(), revoked.issued.id, NOW, admin);
    const expired = await orgWithKey(["hubs:read"], at(1000));
    const before = await auditCount();
    for (const [id, reason] of [
      [rotatedOnce.issued.id, /already rotated/],
      [revoked.issued.id, /revoked/],
      [expired.issued.id, /expired/],
    ] as const) {
      const error = await rotateApiKey(prisma(), {
        idOrPrefix: id,
        overlapSeconds: 60,
        now: at(2000),
        actor: admin,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toMatch(reason);
    }
    await expect(
      rotateApiKey(prisma(), {
        idOrPrefix: expired.issued.id,
        overlapSeconds: 604_801,
        now: NOW,
        actor: admin,
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await auditCount()).toBe(before);
    expect(await prisma().apiKey.count({ where: { organizationId: expired.org.id } })).toBe(1);
  });

  it("lets exactly one of two concurrent rotations of a key succeed", async () => {
    const { org, issued } = await orgWithKey();
    const rotate = () =>
      rotateApiKey(prisma(), { idOrPrefix: issued.id, overlapSeconds: 60, now: at(1000), actor: admin });
    const outcomes = await Promise.allSettled([rotate(), rotate(), rotate()]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === "rejected")) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    }
    expect(await prisma().apiKey.count({ where: { organizationId: org.id } })).toBe(2);
    expect((await auditOf(issued.id)).filter((r) => r.action === "apiKey.rotated")).toHaveLength(1);
  });

  it("writes last use at most once a minute per key, and never fails verification for it", async () => {
    const { issued } = await orgWithKey();
    const writes: Promise<unknown>[] = [];
    const verify = async (when: Date) => {
      const before = writes.length;
      expect(
        await verifyApiKey(prisma(), issued.key, when, { onLastUsedWrite: (w) => writes.push(w) }),
      ).not.toBeNull();
      await Promise.all(writes);
      return writes.length - before;
    };
    const updates = () =>
      statements.filter((sql) => /UPDATE\s+api_keys\s+SET\s+last_used_at/i.test(sql)).length;
    const startUpdates = updates();
    expect(await verify(at(1000))).toBe(1);
    const lastUsed = async () =>
      (await prisma().apiKey.findUniqueOrThrow({ where: { id: issued.id } })).lastUsedAt;
    expect(await lastUsed()).toEqual(at(1000));
    expect(await verify(at(2000))).toBe(0);
    expect(await verify(at(60_999))).toBe(0);
    expect(await lastUsed()).toEqual(at(1000));
    expect(await verify(at(61_001))).toBe(1);
    expect(await lastUsed()).toEqual(at(61_001));
    expect(updates() - startUpdates).toBe(2);

    // Concurrent verifications that both see a stale value: the UPDATE's own condition writes once.
    await Promise.all([verify(at(200_000)), verify(at(200_000))]);
    expect(await lastUsed()).toEqual(at(200_000));

    // A failed write is reported, never thrown.
    const errors: unknown[] = [];
    const failing = await verifyApiKey(prisma(), issued.key, at(400_000), {
      onLastUsedError: (e) => errors.push(e),
      onLastUsedWrite: (w) => writes.push(w),
    });
    expect(failing).not.toBeNull();
  });

  it("writes each change's audit record in the change's own transaction, with no secret or hash", async () => {
    const { org, issued } = await orgWithKey(["hubs:read"]);
    const rotated = await rotateApiKey(prisma(), {
      idOrPrefix: issued.id,
      overlapSeconds: 30,
      now: at(1),
      actor: admin,
    });
    await revokeApiKey(prisma(), rotated.current.id, at(2), admin);
    await revokeApiKey(prisma(), rotated.current.id, at(3), admin); // already revoked: nothing new

    expect((await auditOf(org.id)).map((r) => r.action)).toEqual(["organization.created"]);
    expect((await auditOf(issued.id)).map((r) => r.action)).toEqual(["apiKey.issued", "apiKey.rotated"]);
    expect((await auditOf(rotated.current.id)).map((r) => r.action)).toEqual([
      "apiKey.issued",
      "apiKey.revoked",
    ]);
    const rotation = (await auditOf(issued.id))[1];
    expect(rotation?.actor_id).toBe("test-admin");
    expect(rotation?.details).toMatchObject({
      prefix: issued.prefix,
      overlapSeconds: 30,
      replacedById: rotated.current.id,
      retiresAt: at(30_001).toISOString(),
    });
    // Same transaction: the row written and its record carry the same transaction id.
    const [sameTx] = await prisma().$queryRaw<{ same: boolean }[]>`
      SELECT (SELECT xmin::text FROM organizations WHERE id = ${org.id}::uuid) =
             (SELECT xmin::text FROM audit_records WHERE target_id = ${org.id}) AS same`;
    expect(sameTx?.same).toBe(true);
    const hashes = await prisma().apiKey.findMany({
      where: { organizationId: org.id },
      select: { hash: true },
    });
    const all = JSON.stringify(await prisma().$queryRaw`SELECT details FROM audit_records`);
    for (const secret of [issued.key, rotated.key, ...hashes.map((h) => h.hash)])
      expect(all).not.toContain(secret);
    expect(all).not.toContain("sha256$");
  });

  it("keeps the audit trail append-only: UPDATE and DELETE are refused", async () => {
    const { org } = await orgWithKey();
    await expect(
      prisma().$executeRaw`UPDATE audit_records SET actor_id = 'someone else' WHERE target_id = ${org.id}`,
    ).rejects.toThrow(/never changed or deleted/);
    await expect(prisma().$executeRaw`DELETE FROM audit_records WHERE target_id = ${org.id}`).rejects.toThrow(
      /never changed or deleted/,
    );
    expect(await auditOf(org.id)).toHaveLength(1);
  });

  describe("over tRPC, as an organization's key", () => {
    const callerFor = (principal: Principal) => ({
      principal,
      requestId: `req-${randomUUID()}`,
      correlationId: "c",
      source: "graphql" as const,
    });
    async function manager(permissions: Permission[]) {
      const { org, issued } = await orgWithKey(permissions);
      const principal = await verifyApiKey(prisma(), issued.key, at(1));
      if (!principal) throw new Error("key did not verify");
      return { org, issued, caller: callerFor(principal) };
    }
    const codeOf = async (call: Promise<unknown>) => {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCClientError);
      return (error as TRPCClientError<AppRouter>).data?.code;
    };

    it("issues only permissions its own key holds (403 otherwise), and records the key as the actor", async () => {
      const { org, issued, caller } = await manager(["keys:manage", "hubs:read"]);
      const client = system.current.client;
      const before = await auditCount();
      expect(
        await codeOf(
          client.apiKeys.issue.mutate({
            caller,
            orgId: org.id,
            name: "more",
            permissions: ["hubs:provision"],
          }),
        ),
      ).toBe("FORBIDDEN");
      expect(await auditCount()).toBe(before);
      const ok = await client.apiKeys.issue.mutate({
        caller,
        orgId: org.id,
        name: "reader",
        permissions: ["hubs:read"],
      });
      expect(ok.apiKey).toMatchObject({ orgId: org.id, permissions: ["hubs:read"], status: "ACTIVE" });
      expect(ok.key).toMatch(/^hub_/);
      const [record] = await auditOf(ok.apiKey.id);
      expect(record).toMatchObject({ action: "apiKey.issued", actor_id: org.id });
      const [actorKey] = await prisma().$queryRaw<{ id: string | null }[]>`
        SELECT actor_api_key_id::text AS id FROM audit_records WHERE target_id = ${ok.apiKey.id}`;
      expect(actorKey?.id).toBe(issued.id);
      // The list never holds a secret.
      const listed = await client.apiKeys.list.query({ caller, orgId: org.id });
      expect(JSON.stringify(listed)).not.toContain(ok.key);
      expect(listed.map((k) => k.id)).toContain(ok.apiKey.id);
    });

    it("finds nothing of another organization (404), and needs keys:manage (403)", async () => {
      const { caller } = await manager(["keys:manage", "hubs:read"]);
      const other = await orgWithKey(["hubs:read"]);
      const reader = await manager(["hubs:read"]);
      const client = system.current.client;
      const before = await auditCount();
      expect(await codeOf(client.apiKeys.list.query({ caller, orgId: other.org.id }))).toBe("NOT_FOUND");
      expect(await codeOf(client.apiKeys.revoke.mutate({ caller, id: other.issued.id }))).toBe("NOT_FOUND");
      expect(
        await codeOf(client.apiKeys.rotate.mutate({ caller, id: other.issued.id, overlapSeconds: 0 })),
      ).toBe("NOT_FOUND");
      expect(
        await codeOf(
          client.apiKeys.issue.mutate({ caller, orgId: other.org.id, name: "x", permissions: [] }),
        ),
      ).toBe("NOT_FOUND");
      expect(await codeOf(client.organizations.byId.query({ caller, id: other.org.id }))).toBe("NOT_FOUND");
      expect(await client.organizations.byIds.query({ caller, ids: [other.org.id] })).toEqual([]);
      expect(await codeOf(client.organizations.create.mutate({ caller, name: "nope" }))).toBe("FORBIDDEN");
      expect(await codeOf(client.apiKeys.list.query({ caller: reader.caller, orgId: reader.org.id }))).toBe(
        "FORBIDDEN",
      );
      expect(await auditCount()).toBe(before);
    });

    it("rotates its own key only when it holds all that key's permissions", async () => {
      const { org, caller } = await manager(["keys:manage", "hubs:read"]);
      const powerful = await issueApiKey(prisma(), {
        organizationId: org.id,
        name: "powerful",
        permissions: ["hubs:provision", "hubs:read"],
        now: NOW,
        actor: admin,
      });
      const client = system.current.client;
      expect(await codeOf(client.apiKeys.rotate.mutate({ caller, id: powerful.id, overlapSeconds: 0 }))).toBe(
        "FORBIDDEN",
      );
      const modest = await client.apiKeys.issue.mutate({ caller, orgId: org.id, name: "m", permissions: [] });
      const rotated = await client.apiKeys.rotate.mutate({
        caller,
        id: modest.apiKey.id,
        overlapSeconds: 120,
      });
      expect(rotated.previous).toMatchObject({ status: "RETIRING", replacedById: rotated.apiKey.id });
      expect(rotated.previousKeyRetiresAt).toBe(rotated.previous.expiresAt);
      expect(
        await codeOf(client.apiKeys.rotate.mutate({ caller, id: modest.apiKey.id, overlapSeconds: 0 })),
      ).toBe("CONFLICT");
      const orgs = await client.organizations.list.query({ caller });
      expect(orgs.edges.map((e) => e.node.id)).toEqual([org.id]);
    });
  });
});
