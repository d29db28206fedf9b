import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { hasPostgres, withDatabase } from "@hub/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphqlAnswer, postGraphql } from "./support/graphql.ts";
import { useSystem } from "./support/system.ts";

// Deleting a hub over real HTTP: the real gateway, hub-service and registry emulator as
// processes; the REST route with its dual credentials, both modes, and the audit trail in GraphQL.
const archiveDir = mkdtempSync(path.join(tmpdir(), "hub-archive-e2e-"));
const e2e = useSystem({ RATE_LIMIT_POINTS: "100000", HUB_ARCHIVE_DIR: archiveDir });
afterAll(() => rm(archiveDir, { recursive: true, force: true }));

type Json = Record<string, any>;
const adminToken = () => e2e.current.token({ role: "admin" }, { subject: "admin-ops" });
const asAdmin = () => ({ authorization: `Bearer ${adminToken()}` });
let operatorKey = "";

const graphql = (query: string, variables: Json, headers: Record<string, string>) =>
  postGraphql(e2e.current.gatewayUrl, query, variables, headers);

async function rest(method: string, url: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${e2e.current.gatewayUrl}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json, text };
}

const remove = (hubId: string, query: string, headers: Record<string, string>) =>
  rest("DELETE", `/admin/cleanup/hubs/${hubId}?${query}`, headers);
const both = () => ({ ...asAdmin(), "x-api-key": operatorKey });

/** A hub of the e2e organization, provisioned and (by default) claimed: active. */
async function hub(claimed = true) {
  const manage = { "x-api-key": e2e.current.manageApiKey };
  const body = await e2e.current.newHub();
  await e2e.current.setConnected(body.thingName, true);
  expect((await rest("POST", `/hubs/${body.hubId}/ProvisionHub`, manage, body)).status).toBe(201);
  if (claimed) {
    const claim = await rest("POST", `/hubs/${body.hubId}/ClaimHub`, manage, {
      hubId: body.hubId,
      siteId: `site-${body.hubId}`,
      userId: "installer",
    });
    expect(claim.status, claim.text).toBe(200);
  }
  return body;
}

/** Audit records in the test's database (PostgreSQL only: PGlite admits one process). */
async function auditCount(): Promise<number | undefined> {
  if (!hasPostgres()) return undefined;
  return withDatabase(e2e.current.databaseUrl, async (query) => {
    const [row] = await query<{ n: string }>("SELECT count(*)::text AS n FROM audit_records");
    return Number(row?.n);
  });
}

beforeAll(async () => {
  const org = await graphql(
    "mutation O($name: String!) { createOrganization(name: $name) { __typename ... on Organization { id } } }",
    { name: `Platform operators ${randomUUID()}` },
    asAdmin(),
  );
  const issued = await graphql(
    `mutation I($input: IssueApiKeyInput!) { issueApiKey(input: $input) { __typename ... on IssuedApiKey { key } } }`,
    { input: { orgId: org.data?.createOrganization.id, name: "operator", permissions: ["HUBS_DELETE"] } },
    asAdmin(),
  );
  operatorKey = e2e.current.remember(issued.data?.issueApiKey.key);
  expect(operatorKey, issued.text).toMatch(/^hub_/);
});

describe("hub deletion over REST and GraphQL", { timeout: 60_000 }, () => {
  it("refuses without both credentials (401), without admin role or hubs:delete (403), a bad mode (400), an unknown hub (404), an active hub without force (409); none writes anything", async () => {
    const target = await hub();
    const before = await rest("GET", `/hubs/${target.hubId}/status`, asAdmin());
    const audits = await auditCount();
    const cases: [string, Record<string, string>, string, number][] = [
      ["no credentials", {}, "mode=DELETE_DO_AND_EVENTS&force=true", 401],
      ["the admin token alone", asAdmin(), "mode=DELETE_DO_AND_EVENTS&force=true", 401],
      ["the operator key alone", { "x-api-key": operatorKey }, "mode=DELETE_DO_AND_EVENTS&force=true", 401],
      [
        "an invalid token",
        { authorization: "Bearer not-a-token", "x-api-key": operatorKey },
        "mode=DELETE_DO_AND_EVENTS&force=true",
        401,
      ],
      [
        "an invalid key",
        { ...asAdmin(), "x-api-key": "hub_invalid_key_0123456789" },
        "mode=DELETE_DO_AND_EVENTS&force=true",
        401,
      ],
      [
        "a user token with the operator key",
        { authorization: `Bearer ${e2e.current.token({}, { subject: "user-1" })}`, "x-api-key": operatorKey },
        "mode=DELETE_DO_AND_EVENTS&force=true",
        403,
      ],
      [
        "the admin token with a key lacking hubs:delete",
        { ...asAdmin(), "x-api-key": e2e.current.manageApiKey },
        "mode=DELETE_DO_AND_EVENTS&force=true",
        403,
      ],
      ["a bad mode", both(), "mode=DELETE_EVERYTHING", 400],
      ["no mode", both(), "force=true", 400],
      ["an active hub without force", both(), "mode=DELETE_DO_AND_EVENTS", 409],
    ];
    for (const [name, headers, query, status] of cases) {
      const answer = await remove(target.hubId, query, headers);
      expect({ name, status: answer.status }, answer.text).toEqual({ name, status });
      expect(answer.body).toMatchObject({ success: false, error: expect.any(String) });
      if (status === 401) expect(answer.body.message).toEqual(expect.any(String));
      if (status === 409) expect(answer.body.reason).toBe("HUB_ACTIVE");
    }
    const unknown = await remove(randomUUID(), "mode=DELETE_DO_AND_EVENTS&force=true", both());
    expect(unknown.status, unknown.text).toBe(404);
    expect(await rest("GET", `/hubs/${target.hubId}/status`, asAdmin())).toEqual(before);
    expect(await auditCount()).toBe(audits);
  });

  it("DELETE_DO_ONLY: the contract's 200 body, and the hub reads the same afterwards", async () => {
    const target = await hub();
    const before = await rest("GET", `/hubs/${target.hubId}/status`, asAdmin());
    const answer = await remove(target.hubId, "mode=DELETE_DO_ONLY", both());
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({
      success: true,
      hubId: target.hubId,
      mode: "DELETE_DO_ONLY",
      operations: expect.any(Array),
      deletionSummary: expect.stringContaining("rebuilt"),
      auditLogPath: "",
      duration: expect.any(Number),
      errors: [],
      auditRecordId: expect.any(String),
      eventCount: 2,
      archiveSha256: null,
    });
    expect(await rest("GET", `/hubs/${target.hubId}/status`, asAdmin())).toEqual(before);
  });

  it("DELETE_DO_AND_EVENTS with force (key as X-Admin-API-Key): archive and digest, the hub gone, its serial free, the audit record in GraphQL", async () => {
    const target = await hub();
    const answer = await remove(target.hubId, "mode=DELETE_DO_AND_EVENTS&force=true", {
      ...asAdmin(),
      "x-admin-api-key": operatorKey,
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({
      success: true,
      hubId: target.hubId,
      mode: "DELETE_DO_AND_EVENTS",
      errors: [],
      eventCount: 2,
    });
    expect(answer.body.operations.map((o: Json) => o.operation)).toContain("deleteEvents");
    expect(path.dirname(answer.body.auditLogPath)).toBe(archiveDir);
    const content = await readFile(answer.body.auditLogPath);
    const digest = createHash("sha256").update(content).digest("hex");
    expect(answer.body.archiveSha256).toBe(digest);
    expect(await readFile(`${answer.body.auditLogPath}.sha256`, "utf8")).toBe(
      `${digest}  ${path.basename(answer.body.auditLogPath)}\n`,
    );
    expect(
      content
        .toString("utf8")
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line).type),
    ).toEqual(["HubProvisioned", "HubClaimed"]);

    expect((await rest("GET", `/hubs/${target.hubId}/status`, asAdmin())).status).toBe(404);
    const reprovisioned = { ...target, hubId: randomUUID() };
    const provisioned = await rest(
      "POST",
      `/hubs/${reprovisioned.hubId}/ProvisionHub`,
      { "x-api-key": e2e.current.manageApiKey },
      reprovisioned,
    );
    expect(provisioned.status, provisioned.text).toBe(201);

    const audit = await graphql(
      `query A($filter: AuditRecordFilter) { auditRecords(filter: $filter, first: 5) {
        edges { node { action targetType targetId actor { kind id apiKeyId } details } } } }`,
      { filter: { action: "HUB_DELETED", targetId: target.hubId } },
      asAdmin(),
    );
    expect(
      audit.data?.auditRecords.edges.map((edge: Json) => edge.node),
      audit.text,
    ).toEqual([
      {
        action: "HUB_DELETED",
        targetType: "hub",
        targetId: target.hubId,
        actor: { kind: "admin", id: "admin-ops", apiKeyId: expect.any(String) },
        details: {
          mode: "DELETE_DO_AND_EVENTS",
          force: true,
          forced: true,
          eventCount: 2,
          lastVersion: 2,
          archivePath: answer.body.auditLogPath,
          archiveSha256: digest,
        },
      },
    ]);
    // The trail is the admins': an organization's key is refused.
    const refused = await graphql(
      "{ auditRecords { edges { node { id } } } }",
      {},
      { "x-api-key": e2e.current.manageApiKey },
    );
    expect(refused.errors?.[0]?.extensions?.code, refused.text).toBe("FORBIDDEN");
  });

  it("GraphQL deleteHub: both credentials (either alone is UNAUTHENTICATED, a user token with the key FORBIDDEN); a decommissioned hub needs no force", async () => {
    const target = await hub();
    const decommission = await rest(
      "POST",
      `/hubs/${target.hubId}/DecommissionHub`,
      { "x-api-key": e2e.current.manageApiKey },
      { hubId: target.hubId, reason: "end of life", userId: "ops" },
    );
    expect(decommission.status, decommission.text).toBe(200);
    const DELETE = `mutation D($hubId: ID!, $mode: HubDeletionMode!) { deleteHub(hubId: $hubId, mode: $mode) {
      __typename ... on HubDeletion { hubId mode eventCount auditLogPath archiveSha256 }
      ... on ForbiddenError { message } ... on ConflictError { message reason } } }`;
    for (const headers of [asAdmin(), { "x-api-key": operatorKey }]) {
      const alone = await graphql(DELETE, { hubId: target.hubId, mode: "DELETE_DO_AND_EVENTS" }, headers);
      expect(alone.errors?.[0]?.extensions?.code, alone.text).toBe("UNAUTHENTICATED");
    }
    const user = {
      authorization: `Bearer ${e2e.current.token({}, { subject: "user-2" })}`,
      "x-api-key": operatorKey,
    };
    const forbidden = await graphql(DELETE, { hubId: target.hubId, mode: "DELETE_DO_AND_EVENTS" }, user);
    expect(forbidden.data?.deleteHub.__typename, forbidden.text).toBe("ForbiddenError");
    const deleted = await graphql(DELETE, { hubId: target.hubId, mode: "DELETE_DO_AND_EVENTS" }, both());
    expect(deleted.data?.deleteHub, deleted.text).toMatchObject({
      __typename: "HubDeletion",
      hubId: target.hubId,
      mode: "DELETE_DO_AND_EVENTS",
      eventCount: 3,
      archiveSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((await rest("GET", `/hubs/${target.hubId}/status`, asAdmin())).status).toBe(404);
  });
});
