import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postGraphql } from "./support/graphql.ts";
import { useSystem } from "./support/system.ts";
import { startTrpcProxy } from "./support/trpc-proxy.ts";

// Organization.hubCount through the real gateway and hub-service: each organization's key
// provisions hubs over REST, and a page of organizations is counted in one hub-service call.
const e2e = useSystem({ RATE_LIMIT_POINTS: "100000" });
const asAdmin = () => ({
  authorization: `Bearer ${e2e.current.token({ role: "admin" }, { subject: "admin-counts" })}`,
});

type Org = { id: string; key: string };

async function organizationWithKey(): Promise<Org> {
  const created = await postGraphql(
    e2e.current.gatewayUrl,
    `mutation O($name: String!) { createOrganization(name: $name) { __typename ... on Organization { id } } }`,
    { name: `Counted ${randomUUID()}` },
    asAdmin(),
  );
  const id = created.data?.createOrganization.id as string;
  const issued = await postGraphql(
    e2e.current.gatewayUrl,
    `mutation I($input: IssueApiKeyInput!) { issueApiKey(input: $input) { __typename ... on IssuedApiKey { key } } }`,
    { input: { orgId: id, name: "line", permissions: ["HUBS_PROVISION", "HUBS_READ"] } },
    asAdmin(),
  );
  const key = issued.data?.issueApiKey.key as string;
  expect(key, issued.text).toMatch(/^hub_/);
  return { id, key: e2e.current.remember(key) };
}

async function provisionWith(key: string) {
  const hub = await e2e.current.newHub();
  const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify(hub),
  });
  expect(response.status, await response.text()).toBe(201);
}

describe("Organization.hubCount", { timeout: 60_000 }, () => {
  const procedures: string[][] = [];
  let proxy: Awaited<ReturnType<typeof startTrpcProxy>> | undefined;
  let gatewayUrl = "";
  const orgs: Org[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) orgs.push(await organizationWithKey());
    const [first, second] = orgs as [Org, Org, Org];
    await provisionWith(first.key);
    await provisionWith(first.key);
    await provisionWith(second.key);
    // Counts the tRPC calls a second gateway makes to hub-service.
    proxy = await startTrpcProxy(e2e.current.system.hubService.url, (names) => procedures.push(names));
    gatewayUrl = (await e2e.current.startGateway({ HUB_SERVICE_URL: proxy.url })).url;
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it("counts the hubs each organization owns, for a whole page in one hub-service call", async () => {
    procedures.length = 0;
    const answer = await postGraphql(
      gatewayUrl,
      `query { organizations(first: 100) { edges { node { id name hubCount } } } }`,
      {},
      asAdmin(),
    );
    expect(answer.errors, answer.text).toBeUndefined();
    const counts = new Map(
      (answer.data?.organizations.edges as { node: { id: string; hubCount: number } }[]).map(({ node }) => [
        node.id,
        node.hubCount,
      ]),
    );
    expect(orgs.map((org) => counts.get(org.id))).toEqual([2, 1, 0]);
    expect(procedures.flat().sort()).toEqual(["organizations.hubCounts", "organizations.list"]);
  });

  it("lets an organization's key count its own organization", async () => {
    const [first] = orgs as [Org];
    const answer = await postGraphql(
      e2e.current.gatewayUrl,
      `query O($id: ID!) { organization(id: $id) { id hubCount } }`,
      { id: first.id },
      { "x-api-key": first.key },
    );
    expect(answer.errors, answer.text).toBeUndefined();
    expect(answer.data?.organization).toEqual({ id: first.id, hubCount: 2 });
  });
});
