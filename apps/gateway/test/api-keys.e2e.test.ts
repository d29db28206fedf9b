import { randomUUID } from "node:crypto";
import { hasPostgres, waitUntil, withDatabase } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { type GraphqlAnswer, postGraphql } from "./support/graphql.ts";
import { useSystem } from "./support/system.ts";

// Onboarding a partner through GraphQL and REST as an operator and the partner meet it: the real
// gateway (API_KEY_CACHE_TTL_MS=1000), hub-service and registry emulator as processes, over HTTP.
const e2e = useSystem({ RATE_LIMIT_POINTS: "100000" });

type Json = Record<string, any>;
type Answer = GraphqlAnswer;

const asAdmin = () => ({
  authorization: `Bearer ${e2e.current.token({ role: "admin" }, { subject: "admin-keys" })}`,
});
const asKey = (key: string) => ({ "x-api-key": e2e.current.remember(key) });

const graphql = (query: string, variables: Json, headers: Record<string, string>) =>
  postGraphql(e2e.current.gatewayUrl, query, variables, headers);

const KEY = /* GraphQL */ `id orgId prefix name permissions status createdAt lastUsedAt expiresAt revokedAt
  rotatedAt replacedById organization { id name }`;
const FAILURES = /* GraphQL */ `
  ... on ValidationError { message } ... on NotFoundError { message } ... on ForbiddenError { message }
  ... on ConflictError { message }`;
const CREATE_ORG = `mutation O($name: String!) {
  createOrganization(name: $name) { __typename ... on Organization { id name createdAt } ${FAILURES} } }`;
const ISSUE = `mutation I($input: IssueApiKeyInput!) {
  issueApiKey(input: $input) { __typename ... on IssuedApiKey { key apiKey { ${KEY} } } ${FAILURES} } }`;
const ROTATE = `mutation R($id: ID!, $overlapSeconds: Int!) {
  rotateApiKey(id: $id, overlapSeconds: $overlapSeconds) {
    __typename ... on RotatedApiKey { key previousKeyRetiresAt apiKey { ${KEY} } previous { ${KEY} } } ${FAILURES} } }`;
const REVOKE = `mutation V($id: ID!) { revokeApiKey(id: $id) { __typename ... on ApiKey { ${KEY} } ${FAILURES} } }`;
const LIST = `query L($orgId: ID!) { apiKeys(orgId: $orgId) { ${KEY} } }`;

/** Audit records in the test's database (PostgreSQL only: PGlite admits one process). */
async function auditCount(): Promise<number | undefined> {
  if (!hasPostgres()) return undefined;
  return withDatabase(e2e.current.databaseUrl, async (query) => {
    const [row] = await query<{ n: string }>("SELECT count(*)::text AS n FROM audit_records");
    return Number(row?.n);
  });
}

async function issue(headers: Record<string, string>, input: Json) {
  const answer = await graphql(ISSUE, { input }, headers);
  return { answer, result: answer.data?.issueApiKey as Json };
}

/** A hub provisioned with `key` over REST; the answer's status. */
async function provision(key: string): Promise<{ status: number; hubId: string }> {
  const hub = await e2e.current.newHub();
  const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: { "content-type": "application/json", ...asKey(key) },
    body: JSON.stringify(hub),
  });
  await response.text();
  return { status: response.status, hubId: hub.hubId };
}

/** Whether the gateway accepts `key` now (a read of a hub of its organization). */
async function accepted(key: string, hubId: string): Promise<boolean> {
  const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hubId}/status`, { headers: asKey(key) });
  await response.text();
  if (response.status !== 200 && response.status !== 401) throw new Error(`unexpected ${response.status}`);
  return response.status === 200;
}

describe("organizations and API keys through GraphQL", { timeout: 60_000 }, () => {
  it("onboards a partner: organization, key, provisioning, last use, rotation with overlap, revocation, expiry", async () => {
    const name = `Partner ${randomUUID()}`;
    const created = await graphql(CREATE_ORG, { name }, asAdmin());
    const org = created.data?.createOrganization;
    expect(org?.__typename, created.text).toBe("Organization");
    expect((await graphql(CREATE_ORG, { name }, asAdmin())).data?.createOrganization.__typename).toBe(
      "ConflictError",
    );

    // The partner's own key manager, issued by an admin.
    const manager = await issue(asAdmin(), {
      orgId: org.id,
      name: "partner admin",
      permissions: ["KEYS_MANAGE", "HUBS_PROVISION", "HUBS_READ"],
    });
    expect(manager.result.__typename, manager.answer.text).toBe("IssuedApiKey");
    const managerKey = manager.result.key as string;
    expect(managerKey).toMatch(/^hub_/);

    // The partner issues its line's key with part of its own permissions.
    const line = await issue(asKey(managerKey), {
      orgId: org.id,
      name: "line 1",
      permissions: ["HUBS_PROVISION", "HUBS_READ"],
    });
    expect(line.result.__typename, line.answer.text).toBe("IssuedApiKey");
    expect(line.result.apiKey).toMatchObject({
      orgId: org.id,
      status: "ACTIVE",
      lastUsedAt: null,
      organization: { id: org.id, name },
    });
    const lineKey = line.result.key as string;

    const { status, hubId } = await provision(lineKey);
    expect(status).toBe(201);
    const hub = await graphql(
      `query H($id: ID!) { hub(id: $id) { provisionedByOrgId provisionedByOrganization { id name } } }`,
      { id: hubId },
      asAdmin(),
    );
    expect(hub.data?.hub.provisionedByOrganization, hub.text).toEqual({ id: org.id, name });

    // Last use: written by hub-service's verification (not per request), shown in the list.
    let listed: Answer | undefined;
    await waitUntil(
      async () => {
        listed = await graphql(LIST, { orgId: org.id }, asKey(managerKey));
        const keys = listed.data?.apiKeys as Json[] | undefined;
        return keys?.find((k) => k.id === line.result.apiKey.id)?.lastUsedAt != null;
      },
      "lastUsedAt of the line's key",
      { intervalMs: 100 },
    );
    for (const secret of [managerKey, lineKey]) expect(listed?.text).not.toContain(secret);

    // Rotation with a 2 s overlap: both keys work, then only the new one.
    const rotatedAnswer = await graphql(
      ROTATE,
      { id: line.result.apiKey.id, overlapSeconds: 2 },
      asKey(managerKey),
    );
    const rotated = rotatedAnswer.data?.rotateApiKey;
    expect(rotated?.__typename, rotatedAnswer.text).toBe("RotatedApiKey");
    expect(rotated.previous).toMatchObject({ status: "RETIRING", replacedById: rotated.apiKey.id });
    expect(rotated.apiKey).toMatchObject({ name: "line 1", permissions: ["HUBS_PROVISION", "HUBS_READ"] });
    const newKey = rotated.key as string;
    expect(await accepted(lineKey, hubId)).toBe(true);
    expect(await accepted(newKey, hubId)).toBe(true);
    expect((await provision(lineKey)).status).toBe(201);
    await waitUntil(async () => !(await accepted(lineKey, hubId)), "the rotated key refused", {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    // The gateway's cache stops at the key's end: refused no later than about the retirement time.
    expect(Date.now()).toBeLessThan(rotated.previousKeyRetiresAt + 1000);
    expect(await accepted(newKey, hubId)).toBe(true);
    const afterRotation = await graphql(LIST, { orgId: org.id }, asAdmin());
    const statuses = Object.fromEntries(
      (afterRotation.data?.apiKeys as Json[]).map((k) => [k.id as string, k.status as string]),
    );
    expect(statuses[line.result.apiKey.id]).toBe("EXPIRED");
    expect(statuses[rotated.apiKey.id]).toBe("ACTIVE");

    // Revocation: refused within the cache's TTL (1 s here).
    const revoked = await graphql(REVOKE, { id: rotated.apiKey.id }, asKey(managerKey));
    expect(revoked.data?.revokeApiKey).toMatchObject({ __typename: "ApiKey", status: "REVOKED" });
    await waitUntil(async () => !(await accepted(newKey, hubId)), "the revoked key refused", {
      timeoutMs: 5_000,
      intervalMs: 100,
    });

    // Expiry.
    const shortLived = await issue(asKey(managerKey), {
      orgId: org.id,
      name: "short",
      permissions: ["HUBS_READ"],
      expiresAt: Date.now() + 2_000,
    });
    expect(shortLived.result.__typename, shortLived.answer.text).toBe("IssuedApiKey");
    expect(await accepted(shortLived.result.key, hubId)).toBe(true);
    await waitUntil(async () => !(await accepted(shortLived.result.key, hubId)), "the expired key refused", {
      timeoutMs: 6_000,
      intervalMs: 100,
    });

    // Secrets are in the issue and rotate answers only.
    const finalList = await graphql(LIST, { orgId: org.id }, asAdmin());
    for (const secret of [managerKey, lineKey, newKey, shortLived.result.key as string]) {
      expect(finalList.text).not.toContain(secret);
      expect(finalList.text).not.toContain(secret.slice(-43));
    }
    expect(finalList.text).not.toContain("sha256$");
  });

  it("confines a keys:manage key: no more permissions than its own (403), no other organization's keys (404), no audit record for a refusal", async () => {
    const created = await graphql(CREATE_ORG, { name: `Confined ${randomUUID()}` }, asAdmin());
    const org = created.data?.createOrganization;
    const manager = await issue(asAdmin(), {
      orgId: org.id,
      name: "manager",
      permissions: ["KEYS_MANAGE", "HUBS_READ"],
    });
    const managerKey = manager.result.key as string;
    const revokedOwn = await issue(asKey(managerKey), { orgId: org.id, name: "gone", permissions: [] });
    await graphql(REVOKE, { id: revokedOwn.result.apiKey.id }, asKey(managerKey));
    const other = e2e.current.otherOrg;
    const otherKeys = (await graphql(LIST, { orgId: other.id }, asAdmin())).data?.apiKeys as Json[];
    const otherKeyId = otherKeys[0]?.id as string;
    expect(otherKeyId).toBeDefined();

    const before = await auditCount();
    const more = await issue(asKey(managerKey), {
      orgId: org.id,
      name: "more",
      permissions: ["HUBS_READ", "HUBS_MANAGE"],
    });
    expect(more.result.__typename, more.answer.text).toBe("ForbiddenError");
    expect(more.result.message).toMatch(/hubs:manage/);
    const elsewhere = await issue(asKey(managerKey), { orgId: other.id, name: "x", permissions: [] });
    expect(elsewhere.result.__typename).toBe("NotFoundError");
    const revokeOther = await graphql(REVOKE, { id: otherKeyId }, asKey(managerKey));
    expect(revokeOther.data?.revokeApiKey.__typename).toBe("NotFoundError");
    const rotateOther = await graphql(ROTATE, { id: otherKeyId, overlapSeconds: 0 }, asKey(managerKey));
    expect(rotateOther.data?.rotateApiKey.__typename).toBe("NotFoundError");
    const listOther = await graphql(LIST, { orgId: other.id }, asKey(managerKey));
    expect(listOther.errors?.[0]?.extensions?.code, listOther.text).toBe("NOT_FOUND");
    const rotateRevoked = await graphql(
      ROTATE,
      { id: revokedOwn.result.apiKey.id, overlapSeconds: 60 },
      asKey(managerKey),
    );
    expect(rotateRevoked.data?.rotateApiKey).toMatchObject({ __typename: "ConflictError" });
    expect(rotateRevoked.data?.rotateApiKey.message).toMatch(/revoked/);
    const tooLong = await graphql(
      ROTATE,
      { id: manager.result.apiKey.id, overlapSeconds: 604_801 },
      asKey(managerKey),
    );
    expect(tooLong.data?.rotateApiKey.__typename).toBe("ValidationError");
    const createOrg = await graphql(CREATE_ORG, { name: `Nope ${randomUUID()}` }, asKey(managerKey));
    expect(createOrg.data?.createOrganization.__typename).toBe("ForbiddenError");
    // A key without keys:manage manages nothing.
    const reader = await issue(asAdmin(), { orgId: org.id, name: "reader", permissions: ["HUBS_READ"] });
    const readerList = await graphql(LIST, { orgId: org.id }, asKey(reader.result.key));
    expect(readerList.errors?.[0]?.extensions?.code, readerList.text).toBe("FORBIDDEN");
    if (before !== undefined) expect(await auditCount()).toBe(before + 1); // the reader key only

    // An organization's key reads its own organization only.
    const orgs = await graphql(
      `query { organizations(first: 10) { edges { node { id name } } pageInfo { hasNextPage } } }`,
      {},
      asKey(managerKey),
    );
    expect(
      orgs.data?.organizations.edges.map((e: Json) => e.node.id),
      orgs.text,
    ).toEqual([org.id]);
    const otherOrg = await graphql(
      `query Q($id: ID!) { organization(id: $id) { id } }`,
      { id: other.id },
      asKey(managerKey),
    );
    expect(otherOrg.data?.organization, otherOrg.text).toBeNull();
  });
});
