import { randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/persisted-operations.ts";
import { useSystem } from "../support/system.ts";
import { adminToken, internalsIn, type Outcome, send, serviceToken } from "./support.ts";

const e2e = useSystem({ RATE_LIMIT_POINTS: "100000" });

type GraphQLBody = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

function post(body: unknown, gatewayUrl = e2e.current.gatewayUrl): Promise<Outcome> {
  return send(`${gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken(e2e.current)}` },
    body: JSON.stringify(body),
  });
}

/** Rejected before execution: an error naming the limit, no data, nothing internal. */
function expectRejected(outcome: Outcome, message: RegExp) {
  expect(outcome.status).toBeLessThan(500);
  const body = outcome.body as GraphQLBody;
  expect(body.errors?.map((e) => e.message)).toEqual([expect.stringMatching(message)]);
  expect(body.data ?? undefined).toBeUndefined();
  expect(internalsIn(outcome.text)).toBeUndefined();
}

const hubId = randomUUID();

async function allowList(documents: string[], tamper = false) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "persisted-"));
  const file = path.join(dir, "persisted-operations.json");
  const entries = documents.map((doc) => [tamper ? sha256(`${doc} `) : sha256(doc), doc]);
  await writeFile(file, JSON.stringify(Object.fromEntries(entries)));
  return file;
}

function byHash(gatewayUrl: string, hash: string, variables: Record<string, unknown>, token: string) {
  return send(`${gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
  });
}

describe("graphql-armor limits reject abusive documents (and accept the same shape under the limit)", () => {
  const nest = (levels: number) =>
    `{ hub(id: "${hubId}") { ${"... on Hub { ".repeat(levels)}id${" }".repeat(levels)} } }`;

  it("depth (max 10)", async () => {
    expect((await post({ query: nest(8) })).body).toEqual({ data: { hub: null } });
    expectRejected(await post({ query: nest(12) }), /depth limit of 10 exceeded/i);
    expectRejected(
      await post({
        query: `{ __type(name: "Hub") { ${"fields { type { ofType { ".repeat(3)}name${" } } }".repeat(3)} } }`,
      }),
      /depth limit/i,
    );
  });

  it("aliases (max 15; __typename is allow-listed)", async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: hub(id: "${hubId}") { id }`).join(" ")} }`;
    expect((await post({ query: aliases(15) })).status).toBe(200);
    expectRejected(await post({ query: aliases(16) }), /aliases limit of 15 exceeded/i);
  });

  it("directives (max 20)", async () => {
    const directives = (n: number) => `{ __typename ${"@include(if: true) ".repeat(n)}}`;
    expectRejected(await post({ query: directives(21) }), /directives limit of 20 exceeded/i);
  });

  it("tokens (max 2000)", async () => {
    const fields = (n: number) => `{ hub(id: "${hubId}") { ${"id ".repeat(n)}} }`;
    expect((await post({ query: fields(100) })).body).toEqual({ data: { hub: null } });
    expectRejected(await post({ query: fields(2100) }), /token limit of 2000 exceeded/i);
  });

  it("cost (max 5000), reached through fragments that fan out", async () => {
    const document = [
      `query { hub(id: "${hubId}") { ...F3 ...F3 ...F3 ...F3 } }`,
      "fragment F1 on Hub { id serial model status version thingName vendorName provisionedAt }",
      `fragment F2 on Hub { ${"...F1 ".repeat(8)}}`,
      `fragment F3 on Hub { ${"...F2 ".repeat(8)}}`,
    ].join("\n");
    expectRejected(await post({ query: document }), /cost limit of 5000 exceeded/i);
  });

  it("batching: up to 5 operations per request, more is refused as a whole", async () => {
    const one = { query: "{ __typename }" };
    const five = await post(Array.from({ length: 5 }, () => one));
    expect(five.body).toEqual(Array.from({ length: 5 }, () => ({ data: { __typename: "Query" } })));
    const six = await post(Array.from({ length: 6 }, () => one));
    expect(six.status).toBeGreaterThanOrEqual(400);
    expect(six.status).toBeLessThan(500);
    expect(JSON.stringify(six.body)).toMatch(/Batching is limited to 5 operations per request/);
  });
});

describe("production configuration (NODE_ENV=production, with an optional allow-list)", () => {
  it("has introspection off and no field suggestions, and still serves operations, by document or by hash", async () => {
    const lookup = "query Hub($id: ID!) { hub(id: $id) { id } }";
    const production = await e2e.current.startGateway({
      NODE_ENV: "production",
      GRAPHQL_PERSISTED_OPERATIONS_FILE: await allowList([lookup]),
    });
    for (const query of [
      "{ __schema { types { name } } }",
      '{ __type(name: "Hub") { name fields { name } } }',
    ]) {
      const outcome = await post({ query }, production.url);
      expect(outcome.status).toBeLessThan(500);
      expect((outcome.body as GraphQLBody).errors?.[0]?.message).toMatch(/introspection/i);
      expect(outcome.text).not.toMatch(/"Hub"|"provisionHub"/);
    }
    const typo = await post({ query: `{ hub(id: "${hubId}") { serail } }` }, production.url);
    expect(typo.text).not.toMatch(/Did you mean/);
    const works = await post({ query: `{ hub(id: "${hubId}") { id } }` }, production.url);
    expect(works.body).toEqual({ data: { hub: null } });
    // Optional allow-list (GRAPHQL_ALLOW_ARBITRARY_OPERATIONS defaults to true): hashes and documents.
    expect(
      (await byHash(production.url, sha256(lookup), { id: hubId }, adminToken(e2e.current))).body,
    ).toEqual({
      data: { hub: null },
    });
    // The development configuration keeps introspection (and the schema test relies on it).
    const dev = await post({ query: "{ __schema { queryType { name } } }" });
    expect(dev.body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });
});

describe("persisted operations (allow-list by sha256, GRAPHQL_PERSISTED_OPERATIONS_FILE)", () => {
  const provision = `mutation Provision($input: ProvisionHubInput!) {
  provisionHub(input: $input) { __typename ... on ProvisionHubSuccess { version event { type } } ... on Error { message } }
}`;
  const lookup = "query Hub($id: ID!) { hub(id: $id) { id serial } }";

  it("exclusive mode: listed operations run by hash, anything else is refused", async () => {
    const gateway = await e2e.current.startGateway({
      GRAPHQL_PERSISTED_OPERATIONS_FILE: await allowList([provision, lookup]),
      GRAPHQL_ALLOW_ARBITRARY_OPERATIONS: "false",
    });
    const hub = await e2e.current.newHub();
    const created = await byHash(gateway.url, sha256(provision), { input: hub }, serviceToken(e2e.current));
    expect(created.body).toEqual({
      data: {
        provisionHub: { __typename: "ProvisionHubSuccess", version: 1, event: { type: "HubProvisioned" } },
      },
    });
    const read = await byHash(gateway.url, sha256(lookup), { id: hub.hubId }, adminToken(e2e.current));
    expect(read.body).toEqual({ data: { hub: { id: hub.hubId, serial: hub.serial } } });

    const unknown = await byHash(gateway.url, sha256("{ __typename }"), {}, adminToken(e2e.current));
    expect(unknown.status).toBe(400);
    expect((unknown.body as GraphQLBody).errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    const arbitrary = await post({ query: lookup, variables: { id: hub.hubId } }, gateway.url);
    expect(arbitrary.status).toBe(400);
    expect((arbitrary.body as GraphQLBody).errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_ONLY");
    expect((arbitrary.body as GraphQLBody).data ?? undefined).toBeUndefined();
  });

  it("an allow-list whose key is not the sha256 of its document stops the gateway at start", async () => {
    await expect(
      e2e.current.startGateway({ GRAPHQL_PERSISTED_OPERATIONS_FILE: await allowList([lookup], true) }),
    ).rejects.toThrow(/exited with 1/);
  });
});
