import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/rest/openapi.ts";
import { contract, schemaErrors } from "./support/contract.ts";
import { useSystem } from "./support/system.ts";
import { startTrpcProxy } from "./support/trpc-proxy.ts";

const e2e = useSystem();
const admin = () => e2e.current.token({ role: "admin" }, { subject: "admin-1" });
const service = () => e2e.current.token({ role: "service" }, { subject: "line-7" });
const user = () => e2e.current.token({}, { subject: "user-1" });

type Hub = { hubId: string; serial: string; model: string; thingName: string; vendorName: string };

const RUN = `E2E${randomUUID().slice(0, 6)}-`;
const hubs: Hub[] = [];

async function graphql(
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = { authorization: `Bearer ${admin()}` },
  url = e2e.current.gatewayUrl,
) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

beforeAll(async () => {
  for (let i = 0; i < 16; i++) {
    const hub = await e2e.current.newHub({
      serial: `${RUN}${String((i * 7) % 16).padStart(2, "0")}`,
      model: i % 2 === 0 ? "HUB-A" : "HUB-B",
      vendorName: i % 4 === 0 ? "Initech" : "Acme",
    });
    const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${service()}`,
        "x-request-id": `req-${i}`,
      },
      body: JSON.stringify(hub),
    });
    expect(response.status).toBe(201);
    hubs.push(hub);
  }
});

/** A hub provisioned with the organization's key alone: the organization owns it. */
async function hubOfTheOrganization() {
  const own = await e2e.current.newHub();
  const provisioned = await fetch(`${e2e.current.gatewayUrl}/hubs/${own.hubId}/ProvisionHub`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": e2e.current.apiKey },
    body: JSON.stringify(own),
  });
  expect(provisioned.status).toBe(201);
  return own;
}

const HUBS_QUERY = /* GraphQL */ `
  query Hubs($first: Int, $after: String, $last: Int, $before: String, $filter: HubFilter, $orderBy: HubOrder) {
    hubs(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      edges { cursor node { id serial model vendorName status provisionedAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`;

describe("GraphQL admin queries", () => {
  it("pages hubs by keyset cursors forwards and backwards, filtered and ordered", async () => {
    const filter = { serialPrefix: RUN, model: "HUB-A" };
    const orderBy = { field: "SERIAL", direction: "DESC" };
    const expected = hubs
      .filter((hub) => hub.model === "HUB-A")
      .map((hub) => hub.serial)
      .sort()
      .reverse();
    const forward: string[] = [];
    let after: string | undefined;
    for (;;) {
      const { body } = await graphql(HUBS_QUERY, { first: 3, after, filter, orderBy });
      expect(body.errors).toBeUndefined();
      forward.push(...body.data.hubs.edges.map((edge: { node: { serial: string } }) => edge.node.serial));
      if (!body.data.hubs.pageInfo.hasNextPage) break;
      after = body.data.hubs.pageInfo.endCursor;
    }
    expect(forward).toEqual(expected);
    const backward: string[] = [];
    let before: string | undefined;
    for (;;) {
      const { body } = await graphql(HUBS_QUERY, { last: 3, before, filter, orderBy });
      backward.unshift(...body.data.hubs.edges.map((edge: { node: { serial: string } }) => edge.node.serial));
      if (!body.data.hubs.pageInfo.hasPreviousPage) break;
      before = body.data.hubs.pageInfo.startCursor;
    }
    expect(backward).toEqual(expected);
  });

  it("refuses a cursor reused with another filter with a VALIDATION error", async () => {
    const { body: first } = await graphql(HUBS_QUERY, { first: 2, filter: { serialPrefix: RUN } });
    const cursor = first.data.hubs.pageInfo.endCursor;
    const { body } = await graphql(HUBS_QUERY, {
      first: 2,
      after: cursor,
      filter: { serialPrefix: RUN, model: "HUB-B" },
    });
    expect(body.data).toBeNull();
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/cursor was issued for a different filter or order/),
      extensions: { code: "VALIDATION" },
    });
    const { body: badPage } = await graphql(HUBS_QUERY, { first: 500 });
    expect(badPage.errors?.[0]?.extensions?.code).toBe("VALIDATION");
  });

  it("gives a hub's history as a connection with who caused each event, and its last event", async () => {
    const hub = hubs[5] as Hub;
    const { body } = await graphql(
      /* GraphQL */ `query One($id: ID!) { hub(id: $id) {
        events(first: 10, types: ["HubProvisioned"]) {
          edges { node { hubId type version data actor { kind id } source requestId recordedAt } }
          pageInfo { hasNextPage }
        }
        lastEvent { type version }
      } }`,
      { id: hub.hubId },
    );
    expect(body.errors).toBeUndefined();
    const [edge] = body.data.hub.events.edges;
    expect(edge.node).toMatchObject({
      hubId: hub.hubId,
      type: "HubProvisioned",
      version: 1,
      actor: { kind: "service", id: "line-7" },
      source: "rest",
      requestId: "req-5",
    });
    expect(edge.node.data).toMatchObject({ serial: hub.serial });
    expect(body.data.hub.events.pageInfo.hasNextPage).toBe(false);
    expect(body.data.hub.lastEvent).toEqual({ type: "HubProvisioned", version: 1 });
  });

  it("gives the global feed newest first", async () => {
    const { body } = await graphql(
      /* GraphQL */ `{ events(first: 3) { edges { node { hubId position } } pageInfo { hasNextPage } } }`,
      {},
    );
    expect(body.errors).toBeUndefined();
    const nodes = body.data.events.edges.map(
      (edge: { node: { hubId: string; position: string } }) => edge.node,
    );
    expect(nodes[0].hubId).toBe(hubs.at(-1)?.hubId);
    expect(BigInt(nodes[0].position)).toBeGreaterThan(BigInt(nodes[1].position));
  });

  it.each([
    ["a service token", () => ({ authorization: `Bearer ${service()}` })],
    ["a user token", () => ({ authorization: `Bearer ${user()}` })],
    ["an organization key with hubs:read", () => ({ "x-api-key": e2e.current.readOnlyApiKey })],
  ])(
    "refuses the reads across hubs (hubs, the feed, hubBySerial) to %s (FORBIDDEN)",
    async (_label, headers) => {
      for (const [query, variables] of [
        [HUBS_QUERY, { first: 2 }],
        [`{ events(first: 2) { edges { cursor } } }`, {}],
        [`query S($serial: String!) { hubBySerial(serial: $serial) { id } }`, { serial: hubs[0]?.serial }],
      ] as const) {
        const { status, body } = await graphql(query, variables, headers());
        expect(status).toBe(403);
        expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        expect(Object.values(body.data ?? {}).every((value) => value === null)).toBe(true);
      }
    },
  );

  it("hub(id): a service reads any hub, an organization only its own (another's is null), a user none", async () => {
    const query = `query H($id: ID!) { hub(id: $id) { id provisionedByOrgId } }`;
    const id = hubs[0]?.hubId;
    const asService = await graphql(query, { id }, { authorization: `Bearer ${service()}` });
    expect(asService.body).toEqual({ data: { hub: { id, provisionedByOrgId: null } } });
    // hubs[0] was provisioned by a service: no organization owns it.
    const asOrg = await graphql(query, { id }, { "x-api-key": e2e.current.readOnlyApiKey });
    expect(asOrg.body).toEqual({ data: { hub: null } });
    const own = await hubOfTheOrganization();
    const ownRead = await graphql(query, { id: own.hubId }, { "x-api-key": e2e.current.readOnlyApiKey });
    expect(ownRead.body).toEqual({ data: { hub: { id: own.hubId, provisionedByOrgId: e2e.current.orgId } } });
    const asUser = await graphql(query, { id }, { authorization: `Bearer ${user()}` });
    expect(asUser.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("no N+1: a page of hubs with their last events", () => {
  const procedures: string[][] = [];
  let proxy: Awaited<ReturnType<typeof startTrpcProxy>> | undefined;
  let gatewayUrl = "";

  beforeAll(async () => {
    // Counts the tRPC calls a second gateway makes to hub-service.
    proxy = await startTrpcProxy(e2e.current.system.hubService.url, (names) => procedures.push(names));
    gatewayUrl = (await e2e.current.startGateway({ HUB_SERVICE_URL: proxy.url })).url;
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it("makes one hub.list and one hub.lastEvents call for 16 hubs", async () => {
    procedures.length = 0;
    const { body } = await graphql(
      /* GraphQL */ `query { hubs(first: 50, filter: { serialPrefix: "${RUN}" }) {
        edges { node { id lastEvent { type version hubId } } }
      } }`,
      {},
      { authorization: `Bearer ${admin()}` },
      gatewayUrl,
    );
    expect(body.errors).toBeUndefined();
    const edges = body.data.hubs.edges as {
      node: { id: string; lastEvent: { hubId: string; version: number } };
    }[];
    expect(edges).toHaveLength(16);
    for (const { node } of edges) expect(node.lastEvent).toMatchObject({ hubId: node.id, version: 1 });
    expect(procedures.flat().sort()).toEqual(["hub.lastEvents", "hub.list"]);
  });
});

describe("REST GET /hubs/{id}/status", () => {
  const statusOf = (id: string, headers: Record<string, string>) =>
    fetch(`${e2e.current.gatewayUrl}/hubs/${id}/status`, { headers });
  const contract404 = (
    contract.paths["/hubs/{id}/status"]?.get as unknown as {
      responses: Record<string, { content: Record<string, { schema: object }> }>;
    }
  ).responses["404"]?.content["application/json"]?.schema as object;

  it.each([
    ["an admin token", () => ({ authorization: `Bearer ${admin()}` })],
    ["a service token", () => ({ authorization: `Bearer ${service()}` })],
  ])("answers %s with the hub's status (200)", async (_label, headers) => {
    const hub = hubs[2] as Hub;
    const response = await statusOf(hub.hubId, headers());
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      hubId: hub.hubId,
      serial: hub.serial,
      model: hub.model,
      thingName: hub.thingName,
      status: "Provisioned",
      provisionedAt: expect.any(Number),
      // Never heard from (no presence event, no server_info): offline, and no lastSeen/version/uptime.
      online: false,
    });
    expect(schemaErrors(openApiDocument.components.schemas.HubStatus, body)).toEqual([]);
  });

  it("answers an organization key with hubs:read for its own hub (200) and another's as unknown (404)", async () => {
    const own = await hubOfTheOrganization();
    const reader = { "x-api-key": e2e.current.readOnlyApiKey };
    const mine = await statusOf(own.hubId, reader);
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({ hubId: own.hubId, status: "Provisioned" });
    const theirs = await statusOf(hubs[2]?.hubId ?? "", reader);
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toEqual({
      success: false,
      errors: [{ code: 404, message: "Hub not found" }],
    });
  });

  it("answers 404 with the contract's body for an unknown hub and for an id that is not a UUID", async () => {
    for (const id of [randomUUID(), "not-a-uuid"]) {
      const response = await statusOf(id, { authorization: `Bearer ${admin()}` });
      expect(response.status).toBe(404);
      const body = await response.json();
      expect(body).toEqual({ success: false, errors: [{ code: 404, message: "Hub not found" }] });
      expect(schemaErrors(contract404, body)).toEqual([]);
    }
  });

  it("answers 401 without or with bad credentials, 403 to callers without hubs:read, 405 to other methods", async () => {
    const id = hubs[0]?.hubId ?? "";
    expect((await statusOf(id, {})).status).toBe(401);
    expect((await statusOf(id, { authorization: "Bearer not.a.jwt" })).status).toBe(401);
    const forbidden = await statusOf(id, { authorization: `Bearer ${user()}` });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ success: false, code: 403 });
    expect((await statusOf(id, { "x-api-key": e2e.current.apiKey })).status).toBe(403);
    const post = await fetch(`${e2e.current.gatewayUrl}/hubs/${id}/status`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin()}` },
    });
    expect(post.status).toBe(405);
  });
});
