import { randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { waitForLogLine } from "@hub/test-support";
import jwt from "jsonwebtoken";
import { afterEach, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/rest/openapi.ts";
import { contractResponseSchema, schemaErrors } from "./support/contract.ts";
import { findCredentialsInLogs, useSystem } from "./support/system.ts";

const e2e = useSystem();
const service = () => e2e.current.token({ role: "service" }, { subject: "manufacturing-line-7" });
const admin = () => e2e.current.token({ role: "admin" }, { subject: "admin-1" });

type Hub = Awaited<ReturnType<typeof e2e.current.newHub>>;

/** The seed's request: both headers, JSON body, POST to /hubs/{id}/ProvisionHub. */
function provision(
  hub: Partial<Hub> & { hubId: string },
  init: { headers?: Record<string, string>; pathId?: string; body?: string } = {},
) {
  return fetch(`${e2e.current.gatewayUrl}/hubs/${init.pathId ?? hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${service()}`,
      "X-API-Key": e2e.current.apiKey,
      ...init.headers,
    },
    body: init.body ?? JSON.stringify(hub),
  });
}

async function graphql(
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${e2e.current.gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${service()}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

const PROVISION_MUTATION = /* GraphQL */ `
  mutation Provision($input: ProvisionHubInput!) {
    provisionHub(input: $input) {
      __typename
      ... on ProvisionHubSuccess { success aggregateId version event { type data { hubId serial model thingName vendorName provisionedAt } } }
      ... on ValidationError { message details { field message } }
      ... on ConflictError { message field }
      ... on ThingNotFoundError { message thingName }
      ... on UnavailableError { message retryAfterSeconds }
    }
  }`;

const HUB_QUERY = /* GraphQL */ `
  query Hub($id: ID!) { hub(id: $id) { id serial status version events { edges { node { type version metadata } } } } }`;

/** The hub's stored events through the admin API; an unknown hub has none. A failed query fails the test. */
async function storedEvents(hubId: string) {
  const { status, body } = await graphql(HUB_QUERY, { id: hubId }, { authorization: `Bearer ${admin()}` });
  if (status !== 200 || body.errors || !body.data) {
    throw new Error(`admin hub query failed (${status}): ${JSON.stringify(body).slice(0, 300)}`);
  }
  const hub = body.data.hub as {
    events: { edges: { node: { type: string; version: number; metadata: string } }[] };
  } | null;
  return hub ? hub.events.edges.map((edge) => edge.node) : [];
}

async function expectError(response: Response, status: number) {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(schemaErrors(contractResponseSchema("400"), body)).toEqual([]);
  expect(body).toMatchObject({ success: false, code: status });
  expect(JSON.stringify(body)).not.toMatch(/at .+\.ts:\d+|stack|prisma|ECONN/i);
  return body as { error: string; message: string; details?: { field: string; message: string }[] };
}

afterEach(async () => {
  await e2e.current.setFault({ mode: "none" });
});

describe("REST POST /hubs/{id}/ProvisionHub", () => {
  it("provisions with the seed's request (201, contract body), then answers the identical repeat with 200 and event null", async () => {
    const hub = await e2e.current.newHub();
    const first = await provision(hub);
    expect(first.status).toBe(201);
    const created = await first.json();
    expect(schemaErrors(contractResponseSchema("201"), created)).toEqual([]);
    expect(created).toMatchObject({
      success: true,
      aggregateId: hub.hubId,
      version: 1,
      event: { type: "HubProvisioned", data: hub },
    });
    expect(first.headers.get("x-request-id")).toBeTruthy();

    const repeat = await provision(hub);
    expect(repeat.status).toBe(200);
    const again = await repeat.json();
    expect(schemaErrors(contractResponseSchema("200"), again)).toEqual([]);
    expect(again).toEqual({ success: true, aggregateId: hub.hubId, version: 1, event: null });

    const events = await storedEvents(hub.hubId);
    expect(events).toHaveLength(1);
    const metadata = JSON.parse(events[0]?.metadata ?? "null");
    expect(metadata).toMatchObject({
      actor: { id: "manufacturing-line-7" },
      orgId: e2e.current.orgId,
      source: "rest",
    });
    expect(metadata.requestId).toBe(first.headers.get("x-request-id"));
  });

  it("rejects the seed's own sample values with field details (400)", async () => {
    const body = await expectError(
      await provision(
        { hubId: "example_string" },
        {
          body: JSON.stringify({
            hubId: "example_string",
            serial: "example_string",
            model: "example_string",
            thingName: "John Doe",
            vendorName: "John Doe",
          }),
        },
      ),
      400,
    );
    expect(body.details?.map((d) => d.field)).toEqual(expect.arrayContaining(["hubId", "thingName"]));
  });

  it("requires the path id to equal the body hubId (400)", async () => {
    const hub = await e2e.current.newHub();
    const body = await expectError(await provision(hub, { pathId: randomUUID() }), 400);
    expect(body.details).toEqual([{ field: "hubId", message: "must equal the path id" }]);
  });

  it("rejects unknown fields and malformed JSON (400) with a clear message", async () => {
    const hub = await e2e.current.newHub();
    const unknown = await expectError(
      await provision(hub, { body: JSON.stringify({ ...hub, color: "red" }) }),
      400,
    );
    expect(unknown.details).toEqual([{ field: "color", message: "unknown field" }]);
    const malformed = await expectError(await provision(hub, { body: '{"hubId": ' }), 400);
    expect(malformed.message).toMatch(/not valid JSON/);
  });

  it("answers 401 without credentials and with a bad credential next to a good one", async () => {
    const hub = await e2e.current.newHub();
    const none = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(hub),
    });
    await expectError(none, 401);
    await expectError(await provision(hub, { headers: { "X-API-Key": "hub_nonexistent000_secret" } }), 401);
    await expectError(await provision(hub, { headers: { Authorization: "Bearer not.a.jwt" } }), 401);
    expect(await storedEvents(hub.hubId)).toEqual([]);
  });

  it("answers 403 for a plain user", async () => {
    const hub = await e2e.current.newHub();
    const user = e2e.current.token({}, { subject: "user-1" });
    await expectError(
      await provision(hub, {
        headers: { Authorization: `Bearer ${user}`, "X-API-Key": e2e.current.readOnlyApiKey },
      }),
      403,
    );
  });

  it("answers 409 for a different payload or a serial used by another hub, writing nothing", async () => {
    const hub = await e2e.current.newHub();
    expect((await provision(hub)).status).toBe(201);
    await expectError(await provision({ ...hub, model: "OTHER" }), 409);
    const other = await e2e.current.newHub({ serial: hub.serial });
    const body = await expectError(await provision(other), 409);
    expect(body.message).toMatch(/serial/);
    expect(await storedEvents(other.hubId)).toEqual([]);
  });

  it("answers 413 for a body over 1 MiB and 415 for another content type", async () => {
    const hub = await e2e.current.newHub();
    await expectError(
      await provision(hub, { body: JSON.stringify({ ...hub, model: "x".repeat(2 * 1024 * 1024) }) }),
      413,
    );
    await expectError(await provision(hub, { headers: { "Content-Type": "text/plain" } }), 415);
  });

  it("answers 422 when the IoT Thing does not exist", async () => {
    const hubId = randomUUID();
    const body = await expectError(
      await provision({ hubId, serial: `S-${hubId}`, model: "M", thingName: "never-created" }),
      422,
    );
    expect(body.message).toMatch(/never-created/);
  });

  it("answers 503 with Retry-After when the registry is unavailable, writing nothing", async () => {
    const hub = await e2e.current.newHub();
    await e2e.current.setFault({ mode: "unavailable" });
    const response = await provision(hub);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectError(response, 503);
    await e2e.current.setFault({ mode: "none" });
    expect(await storedEvents(hub.hubId)).toEqual([]);
  });

  it("answers 404 for an unknown route", async () => {
    await expectError(await fetch(`${e2e.current.gatewayUrl}/hubs/x/Nope`, { method: "POST" }), 404);
  });

  it("answers 429 with Retry-After past the rate limit", async () => {
    const limited = await e2e.current.startGateway({
      RATE_LIMIT_POINTS: "2",
      RATE_LIMIT_WINDOW_SECONDS: "60",
    });
    const hub = await e2e.current.newHub();
    const send = () =>
      fetch(`${limited.url}/hubs/${hub.hubId}/ProvisionHub`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${service()}` },
        body: JSON.stringify(hub),
      });
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(200);
    const third = await send();
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectError(third, 429);
  });

  it("serves the OpenAPI 3.1 document the routes are described by", async () => {
    const response = await fetch(`${e2e.current.gatewayUrl}/openapi.json`);
    const doc = await response.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });
});

describe("GraphQL provisionHub", () => {
  it("gives the same outcomes as data, and shares hubs with REST", async () => {
    const hub = await e2e.current.newHub();
    expect((await provision(hub)).status).toBe(201);
    const repeat = await graphql(PROVISION_MUTATION, { input: hub });
    expect(repeat.body.data.provisionHub).toEqual({
      __typename: "ProvisionHubSuccess",
      success: true,
      aggregateId: hub.hubId,
      version: 1,
      event: null,
    });

    const fresh = await e2e.current.newHub();
    const created = await graphql(PROVISION_MUTATION, { input: { ...fresh, vendorName: null } });
    expect(created.body.data.provisionHub).toMatchObject({
      __typename: "ProvisionHubSuccess",
      version: 1,
      event: { type: "HubProvisioned" },
    });
    expect(created.body.data.provisionHub.event.data.vendorName).toBeNull();

    const conflict = await graphql(PROVISION_MUTATION, { input: { ...hub, model: "OTHER" } });
    expect(conflict.body.data.provisionHub).toMatchObject({ __typename: "ConflictError", field: "model" });

    const invalid = await graphql(PROVISION_MUTATION, { input: { ...hub, thingName: "John Doe" } });
    expect(invalid.body.data.provisionHub.__typename).toBe("ValidationError");
    expect(invalid.body.data.provisionHub.details.map((d: { field: string }) => d.field)).toContain(
      "thingName",
    );

    const missing = await graphql(PROVISION_MUTATION, {
      input: { hubId: randomUUID(), serial: `S-${randomUUID()}`, model: "M", thingName: "absent" },
    });
    expect(missing.body.data.provisionHub).toMatchObject({
      __typename: "ThingNotFoundError",
      thingName: "absent",
    });

    const unreachable = await e2e.current.newHub();
    await e2e.current.setFault({ mode: "unavailable" });
    const down = await graphql(PROVISION_MUTATION, { input: unreachable });
    expect(down.body.data.provisionHub.__typename).toBe("UnavailableError");
  });

  it("reports authentication failures as errors with extensions.code and the HTTP status", async () => {
    const hub = await e2e.current.newHub();
    const anonymous = await graphql(PROVISION_MUTATION, { input: hub }, { authorization: "" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const user = await graphql(
      PROVISION_MUTATION,
      { input: hub },
      { authorization: `Bearer ${e2e.current.token({}, { subject: "u" })}` },
    );
    expect(user.status).toBe(403);
    expect(user.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const notAdmin = await graphql(`{ hubs(first: 1) { edges { cursor } } }`, {});
    expect(notAdmin.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("GET /openapi.json", () => {
  it("serves a document whose error schema every real error body satisfies, as the contract's 400 and 401 schemas do", async () => {
    const served = await fetch(`${e2e.current.gatewayUrl}/openapi.json`);
    expect(served.status).toBe(200);
    const document = (await served.json()) as {
      components: { schemas: { Error: object } };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const errorSchema = document.components.schemas.Error;
    const hub = await e2e.current.newHub();
    const user = e2e.current.token({}, { subject: "plain-user" });
    const cases: [number, Promise<Response>][] = [
      [400, provision({ ...hub, serial: "" })],
      [401, provision(hub, { headers: { Authorization: "Bearer not-a-jwt" } })],
      [
        403,
        provision(hub, {
          headers: { Authorization: `Bearer ${user}`, "X-API-Key": e2e.current.readOnlyApiKey },
        }),
      ],
      [409, provision(hub).then(() => provision({ ...hub, model: "OTHER" }))],
      [415, provision(hub, { headers: { "Content-Type": "text/plain" } })],
      [
        422,
        provision({ ...hub, hubId: randomUUID(), serial: `SN-${randomUUID()}`, thingName: "no-such-thing" }),
      ],
    ];
    const statuses = Object.keys(document.paths["/hubs/{id}/ProvisionHub"]?.post?.responses ?? {});
    for (const [status, response] of cases) {
      const body = await expectError(await response, status);
      expect(statuses).toContain(String(status));
      expect(schemaErrors(errorSchema, body), `${status} against the served Error schema`).toEqual([]);
      expect(
        schemaErrors(contractResponseSchema("401"), body),
        `${status} against the contract's 401`,
      ).toEqual([]);
    }
  });
});

describe("logs", () => {
  it("never contain a credential, good or bogus, once the lines of those requests are on disk", async () => {
    const token = service();
    const hub = await e2e.current.newHub();
    const good = await provision(hub, { headers: { Authorization: `Bearer ${token}` } });
    expect(good.status).toBe(201);
    // Bogus credentials of the real shapes (a JWT signed with another secret, an unknown key with a
    // valid format), remembered: the scan looks for these exact values and for their shapes.
    const bogusJwt = e2e.current.remember(
      jwt.sign({ role: "service" }, "another-secret-0123456789abcdef0123456789", {
        issuer: "hub-platform-dev",
        audience: "hub-api",
        subject: "intruder",
      }),
    );
    const bogusKey = e2e.current.remember(`hub_${"Z".repeat(12)}_${"s".repeat(43)}`);
    const bogus = await provision(hub, {
      headers: { Authorization: `Bearer ${bogusJwt}`, "X-API-Key": bogusKey },
    });
    expect(bogus.status).toBe(401);
    const gatewayLog = e2e.current.system.gateway.logFile;
    // pino writes asynchronously: wait until the line of each request is on disk, then scan.
    for (const response of [good, bogus]) {
      await waitForLogLine(
        gatewayLog,
        `"requestId":"${response.headers.get("x-request-id")}"`,
        '"msg":"request"',
      );
    }
    const secrets = new Set([token, e2e.current.apiKey, bogusJwt, bogusKey]);
    expect(await findCredentialsInLogs(e2e.current.system.logDir, secrets)).toEqual([]);
    // The scan can fail: a log line holding the bogus key is found, by value and by shape.
    const leaked = `${gatewayLog}.leak-probe.log`;
    await writeFile(leaked, `{"msg":"oops","key":"${bogusKey}"}\n`);
    try {
      expect(await findCredentialsInLogs(e2e.current.system.logDir, new Set([bogusKey]))).toHaveLength(2);
    } finally {
      await rm(leaked);
    }
  });
});
