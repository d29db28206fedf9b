import { randomUUID } from "node:crypto";
import { type AppRouter, appErrorFrom, TRPCClientError } from "@hub/hub-client";
import { ConflictError, type Permission, type RequestContext } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { readHubById } from "../src/hub/read-model.ts";
import { useTestDatabase } from "./support/database.ts";
import { useHubService } from "./support/system.ts";

// The lifecycle commands over real HTTP (tRPC) against the real registry emulator through the SDK.
const db = useTestDatabase();
const system = useHubService(db);
const client = () => system.current.client;

const ORG_A = randomUUID();
const ORG_B = randomUUID();
const USER = randomUUID();
const as = (principal: RequestContext["principal"]): RequestContext => ({
  principal,
  requestId: `req-${randomUUID()}`,
  correlationId: "corr-lifecycle",
  source: "trpc",
});
const org = (orgId: string, permissions: Permission[] = ["hubs:provision", "hubs:read", "hubs:manage"]) =>
  as({ kind: "organization", id: orgId, orgId, permissions });
const admin = as({ kind: "admin", id: "admin-1", permissions: [] });

beforeAll(async () => {
  await db.current.prisma.organization.createMany({
    data: [
      { id: ORG_A, name: `org A ${ORG_A}` },
      { id: ORG_B, name: `org B ${ORG_B}` },
    ],
  });
});
afterEach(() => system.current.emulator.faults.clear());

/** A hub provisioned by organization A whose Thing exists and whose device is online. */
async function provisionedHub(options: { online?: boolean; by?: RequestContext } = {}) {
  const hubId = randomUUID();
  const thingName = `thing-${hubId}`;
  await system.current.createThing(thingName);
  if (options.online ?? true) await system.current.setConnected(thingName, true);
  await client().hub.provision.mutate({
    caller: options.by ?? org(ORG_A),
    command: { hubId, serial: `SN-${hubId}`, model: "HUB-2", thingName },
  });
  return { hubId, thingName };
}

async function eventCount(hubId: string): Promise<number> {
  return db.current.prisma.hubEvent.count({ where: { streamId: hubId } });
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return { code: (error as TRPCClientError<AppRouter>).data?.code, app: appErrorFrom(error) };
}

/** The rejection a call meets, and that it wrote nothing. */
async function rejected(hubId: string, call: () => Promise<unknown>) {
  const before = await eventCount(hubId);
  const result = await failure(call());
  expect(await eventCount(hubId)).toBe(before);
  return result;
}

const claim = (hubId: string, caller = org(ORG_A), siteId = "site-1", orgId?: string) =>
  client().hub.claim.mutate({
    caller,
    command: { hubId, siteId, userId: "installer-7", ...(orgId ? { orgId } : {}) },
  });

describe(`hub lifecycle over tRPC (${testEngine()})`, () => {
  it("claim, primary, suspend, resume, re-claim, decommission: each event per the contract, the read model with it, each repeat 200/null", async () => {
    const { hubId } = await provisionedHub();
    expect(await readHubById(db.current.prisma, hubId)).toMatchObject({
      provisionedByOrgId: ORG_A,
      orgId: null,
    });

    const claimed = await claim(hubId);
    expect(claimed).toMatchObject({
      success: true,
      aggregateId: hubId,
      version: 2,
      event: { type: "HubClaimed" },
    });
    expect(claimed.event?.data).toEqual({
      hubId,
      orgId: ORG_A,
      siteId: "site-1",
      claimedBy: "installer-7",
      claimedAt: expect.any(Number),
    });
    expect(await claim(hubId)).toEqual({ success: true, aggregateId: hubId, version: 2, event: null });
    expect(await readHubById(db.current.prisma, hubId)).toMatchObject({
      status: "Claimed",
      orgId: ORG_A,
      siteId: "site-1",
      claimedAt: claimed.event?.data.claimedAt,
      version: 2,
    });

    const role = { caller: org(ORG_A), command: { hubId, isPrimary: true, userId: USER } };
    expect((await client().hub.setRole.mutate(role)).event?.data).toMatchObject({
      isPrimary: true,
      setBy: USER,
    });
    expect((await client().hub.setRole.mutate(role)).event).toBeNull();

    const suspend = { caller: org(ORG_A), command: { hubId, reason: "stolen", userId: "ops" } };
    expect((await client().hub.suspend.mutate(suspend)).event?.type).toBe("HubSuspended");
    expect((await client().hub.suspend.mutate(suspend)).event).toBeNull();
    expect(await readHubById(db.current.prisma, hubId)).toMatchObject({
      status: "Suspended",
      isPrimary: true,
    });

    const resume = { caller: org(ORG_A), command: { hubId, userId: "ops" } };
    expect((await client().hub.resume.mutate(resume)).event?.data).toEqual({
      hubId,
      resumedBy: "ops",
      resumedAt: expect.any(Number),
    });
    expect((await client().hub.resume.mutate(resume)).event).toBeNull();
    expect((await readHubById(db.current.prisma, hubId))?.status).toBe("Claimed");

    const reclaim = {
      caller: admin,
      command: { hubId, newOrgId: ORG_B, newSiteId: "site-9", reason: "sold", userId: "ops" },
    };
    expect((await client().hub.reClaim.mutate(reclaim)).event?.data).toMatchObject({
      previousOrgId: ORG_A,
      previousSiteId: "site-1",
      newOrgId: ORG_B,
      newSiteId: "site-9",
    });
    expect((await client().hub.reClaim.mutate(reclaim)).event).toBeNull();
    expect(await readHubById(db.current.prisma, hubId)).toMatchObject({
      orgId: ORG_B,
      siteId: "site-9",
      isPrimary: false,
    });

    const decommission = { caller: org(ORG_B), command: { hubId, reason: "end of life", userId: "ops" } };
    expect((await client().hub.decommission.mutate(decommission)).event?.type).toBe("HubDecommissioned");
    expect((await client().hub.decommission.mutate(decommission)).event).toBeNull();
    const final = await readHubById(db.current.prisma, hubId);
    expect(final).toMatchObject({ status: "Decommissioned", version: 7 });
    const stored = await db.current.prisma.hubEvent.findMany({
      where: { streamId: hubId },
      orderBy: { version: "asc" },
    });
    expect(stored.map((event) => event.type)).toEqual([
      "HubProvisioned",
      "HubClaimed",
      "HubRoleSet",
      "HubSuspended",
      "HubResumed",
      "HubReClaimed",
      "HubDecommissioned",
    ]);
    expect(stored[5]?.metadata).toMatchObject({ actor: { kind: "admin", id: "admin-1" }, source: "trpc" });
  });

  it("rejects by state with a typed conflict and a reason, writing nothing", async () => {
    const { hubId } = await provisionedHub();
    const reason = async (call: () => Promise<unknown>) => {
      const { code, app } = await rejected(hubId, call);
      expect(code).toBe("CONFLICT");
      return (app as ConflictError).reason;
    };
    expect(
      await reason(() =>
        client().hub.setRole.mutate({ caller: admin, command: { hubId, isPrimary: true, userId: USER } }),
      ),
    ).toBe("NOT_CLAIMED");
    expect(
      await reason(() =>
        client().hub.reClaim.mutate({
          caller: admin,
          command: { hubId, newOrgId: ORG_B, newSiteId: "s", reason: "r", userId: "u" },
        }),
      ),
    ).toBe("NOT_CLAIMED");
    await claim(hubId);
    expect(await reason(() => claim(hubId, org(ORG_A), "site-2"))).toBe("CLAIMED_ELSEWHERE");
    expect(await reason(() => claim(hubId, admin, "site-1", ORG_B))).toBe("CLAIMED_ELSEWHERE");
    await client().hub.suspend.mutate({ caller: admin, command: { hubId, reason: "lost", userId: "ops" } });
    expect(await reason(() => claim(hubId))).toBe("SUSPENDED");
    await client().hub.decommission.mutate({
      caller: admin,
      command: { hubId, reason: "gone", userId: "ops" },
    });
    for (const call of [
      () => client().hub.suspend.mutate({ caller: admin, command: { hubId, reason: "x", userId: "ops" } }),
      () => client().hub.resume.mutate({ caller: admin, command: { hubId, userId: "ops" } }),
    ]) {
      expect(await reason(call)).toBe("DECOMMISSIONED");
    }
  });

  it("an unknown hub is NOT_FOUND for every command", async () => {
    const hubId = randomUUID();
    for (const call of [
      () => claim(hubId),
      () => client().hub.suspend.mutate({ caller: admin, command: { hubId, reason: "x", userId: "ops" } }),
      () =>
        client().hub.decommission.mutate({ caller: admin, command: { hubId, reason: "x", userId: "ops" } }),
    ]) {
      expect((await rejected(hubId, call)).code).toBe("NOT_FOUND");
    }
  });

  it("an offline hub: ClaimHub is BAD_GATEWAY (502) and writes nothing; SuspendHub does not ask", async () => {
    const { hubId } = await provisionedHub({ online: false });
    const { code, app } = await rejected(hubId, () => claim(hubId));
    expect(code).toBe("BAD_GATEWAY");
    expect(app?.kind).toBe("HUB_OFFLINE");
    expect(
      (
        await client().hub.suspend.mutate({
          caller: admin,
          command: { hubId, reason: "lost", userId: "ops" },
        })
      ).event?.type,
    ).toBe("HubSuspended");
  });

  it("the registry down: 503 with retry-after and nothing written; a no-op or a rejection by state never asks it", async () => {
    const { hubId } = await provisionedHub();
    system.current.emulator.faults.setFault({ mode: "unavailable" });
    const { code, app } = await rejected(hubId, () => claim(hubId));
    expect(code).toBe("SERVICE_UNAVAILABLE");
    expect(app).toMatchObject({ kind: "UNAVAILABLE", retryAfterSeconds: 2 });
    system.current.emulator.faults.clear();
    await claim(hubId);
    // Now the registry hangs; the repeat (no-op) and a conflict answer without asking it.
    system.current.emulator.faults.setFault({ mode: "hang" });
    const asked = system.current.emulator.requests().received;
    expect((await claim(hubId)).event).toBeNull();
    expect((await failure(claim(hubId, org(ORG_A), "site-2"))).code).toBe("CONFLICT");
    expect(system.current.emulator.requests().received).toBe(asked);
  });

  it("32 concurrent ClaimHub of one hub by two organizations: exactly one HubClaimed, the winner's repeats 200/null, the other 409 (or 404 once the claim is visible)", async () => {
    const { hubId } = await provisionedHub({ by: admin });
    const outcomes = await Promise.all(
      Array.from({ length: 32 }, (_, i) => {
        const [who, site] = i % 2 === 0 ? [ORG_A, "site-a"] : [ORG_B, "site-b"];
        return claim(hubId, org(who), site).then(
          (result) => ({ who, result, code: undefined }),
          async (error: unknown) => ({
            who,
            result: undefined,
            code: (await failure(Promise.reject(error))).code,
          }),
        );
      }),
    );
    const events = await db.current.prisma.hubEvent.findMany({
      where: { streamId: hubId, type: "HubClaimed" },
    });
    expect(events).toHaveLength(1);
    const winner = (events[0]?.data as { orgId: string }).orgId;
    for (const outcome of outcomes) {
      if (outcome.who === winner) expect(outcome.result?.success).toBe(true);
      else expect(["CONFLICT", "NOT_FOUND"]).toContain(outcome.code);
    }
    expect(outcomes.filter((o) => o.result?.event).length).toBe(1);
  });

  it("32 concurrent SetHubRole{isPrimary:true} on different hubs of one site: exactly one primary, the others 409 SITE_HAS_PRIMARY naming the site", async () => {
    const hubs = await Promise.all(Array.from({ length: 32 }, () => provisionedHub()));
    const site = `site-${randomUUID()}`;
    for (const { hubId } of hubs) await claim(hubId, org(ORG_A), site);
    const outcomes = await Promise.all(
      hubs.map(({ hubId }) =>
        client()
          .hub.setRole.mutate({ caller: org(ORG_A), command: { hubId, isPrimary: true, userId: USER } })
          .then(
            () => undefined,
            (error: unknown) => appErrorFrom(error),
          ),
      ),
    );
    const primaries = await db.current.prisma.hub.count({ where: { siteId: site, isPrimary: true } });
    expect(primaries).toBe(1);
    const refused = outcomes.filter((o): o is ConflictError => o instanceof ConflictError);
    expect(refused).toHaveLength(31);
    for (const error of refused) {
      expect(error.reason).toBe("SITE_HAS_PRIMARY");
      expect(error.message).toContain(site);
    }
    const roleEvents = await db.current.prisma.hubEvent.count({
      where: { streamId: { in: hubs.map((h) => h.hubId) }, type: "HubRoleSet" },
    });
    expect(roleEvents).toBe(1);
    // Decommissioning the primary frees the slot.
    const primary = await db.current.prisma.hub.findFirst({ where: { siteId: site, isPrimary: true } });
    await client().hub.decommission.mutate({
      caller: admin,
      command: { hubId: primary?.id ?? "", reason: "x", userId: "ops" },
    });
    const next = hubs.find((h) => h.hubId !== primary?.id)?.hubId ?? "";
    expect(
      (
        await client().hub.setRole.mutate({
          caller: org(ORG_A),
          command: { hubId: next, isPrimary: true, userId: USER },
        })
      ).event,
    ).not.toBeNull();
  });
});

describe("organization isolation", () => {
  it("organization B can neither read (NOT_FOUND) nor change (NOT_FOUND) organization A's hub; the provisioner reads its unclaimed hub but may not change it (FORBIDDEN)", async () => {
    const { hubId } = await provisionedHub();
    expect((await client().hub.byId.query({ caller: org(ORG_A), hubId }))?.hubId).toBe(hubId);
    expect(
      (
        await rejected(hubId, () =>
          client().hub.suspend.mutate({ caller: org(ORG_A), command: { hubId, reason: "x", userId: "u" } }),
        )
      ).code,
    ).toBe("FORBIDDEN");
    expect((await failure(client().hub.byId.query({ caller: org(ORG_B), hubId }))).code).toBe("NOT_FOUND");
    await claim(hubId);
    for (const call of [
      () => client().hub.suspend.mutate({ caller: org(ORG_B), command: { hubId, reason: "x", userId: "u" } }),
      () =>
        client().hub.setRole.mutate({
          caller: org(ORG_B),
          command: { hubId, isPrimary: true, userId: USER },
        }),
      () => claim(hubId, org(ORG_B), "site-b"),
      () => client().hub.events.query({ caller: org(ORG_B), hubId }),
    ]) {
      expect((await rejected(hubId, call)).code).toBe("NOT_FOUND");
    }
    // After a re-claim the previous owner sees nothing more.
    await client().hub.reClaim.mutate({
      caller: admin,
      command: { hubId, newOrgId: ORG_B, newSiteId: "b", reason: "sold", userId: "u" },
    });
    expect((await failure(client().hub.byId.query({ caller: org(ORG_A), hubId }))).code).toBe("NOT_FOUND");
    expect((await client().hub.byId.query({ caller: org(ORG_B), hubId }))?.orgId).toBe(ORG_B);
  });

  it("an organization claims into itself only; an admin must name the organization; a key without hubs:manage may not", async () => {
    const { hubId } = await provisionedHub();
    expect((await rejected(hubId, () => claim(hubId, org(ORG_A), "s", ORG_B))).code).toBe("FORBIDDEN");
    expect((await rejected(hubId, () => claim(hubId, admin, "s"))).code).toBe("BAD_REQUEST");
    expect((await rejected(hubId, () => claim(hubId, org(ORG_A, ["hubs:read"]), "s"))).code).toBe(
      "FORBIDDEN",
    );
    expect(
      (await rejected(hubId, () => claim(hubId, as({ kind: "user", id: "u", permissions: [] }), "s"))).code,
    ).toBe("FORBIDDEN");
    // An organization that does not exist is a validation error, and nothing is written.
    const unknownOrg = await rejected(hubId, () => claim(hubId, admin, "s", randomUUID()));
    expect(unknownOrg.code).toBe("BAD_REQUEST");
    expect(unknownOrg.app).toMatchObject({ details: [{ field: "orgId", message: "no such organization" }] });
    expect((await claim(hubId, admin, "s", ORG_B.toUpperCase())).event?.data).toMatchObject({ orgId: ORG_B });
    const moveToNowhere = () =>
      client().hub.reClaim.mutate({
        caller: admin,
        command: { hubId, newOrgId: randomUUID(), newSiteId: "x", reason: "typo", userId: "u" },
      });
    expect((await rejected(hubId, moveToNowhere)).app).toMatchObject({ details: [{ field: "newOrgId" }] });
  });
});
