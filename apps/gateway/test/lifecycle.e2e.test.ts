import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/rest/openapi.ts";
import { contract, schemaErrors } from "./support/contract.ts";
import { useSystem } from "./support/system.ts";

// The lifecycle routes and mutations through the real gateway, hub-service and registry emulator,
// as a partner's client meets them; bodies checked with ajv against the contract's schemas.
const e2e = useSystem();
const admin = () => e2e.current.token({ role: "admin" }, { subject: "admin-1" });
const USER = randomUUID();

type Json = Record<string, any>;

/** The organization's manage key unless `headers` say otherwise; `x-api-key: ""` sends none. */
function withCredentials(headers: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = { "x-api-key": e2e.current.manageApiKey, ...headers };
  if (all["x-api-key"] === "") delete all["x-api-key"];
  return all;
}
const asAdmin = () => ({ authorization: `Bearer ${admin()}`, "x-api-key": "" });

async function rest(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${e2e.current.gatewayUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...withCredentials(headers) },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}
const command = (name: string, hubId: string, body: Json, headers?: Record<string, string>) =>
  rest(`/hubs/${hubId}/${name}`, { hubId, ...body }, headers);

async function status(
  hubId: string,
  headers: Record<string, string> = { "x-api-key": e2e.current.manageApiKey },
) {
  const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hubId}/status`, { headers });
  return { status: response.status, body: (await response.json()) as Json };
}

async function graphql(query: string, variables: Json, headers: Record<string, string> = {}) {
  const response = await fetch(`${e2e.current.gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...withCredentials(headers) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Json; errors?: Json[] };
}

/** The contract's response schema of a route, or (for our extensions) the served document's. */
function responseSchema(name: string, code: string): object {
  const path = `/hubs/{id}/${name}`;
  const fromContract = (contract.paths[path]?.post?.responses[code]?.content["application/json"]?.schema ??
    undefined) as object | undefined;
  if (fromContract) return fromContract;
  const ours = (openApiDocument.paths as Record<string, any>)[path]?.post?.responses[code];
  const schema = ours?.content?.["application/json"]?.schema;
  return schema?.$ref ? openApiDocument.components.schemas.Error : schema;
}

/** A hub provisioned by the e2e organization whose device is online. */
async function onlineHub(online = true) {
  const hub = await e2e.current.newHub();
  if (online) await e2e.current.setConnected(hub.thingName, true);
  const provisioned = await rest(`/hubs/${hub.hubId}/ProvisionHub`, hub);
  expect(provisioned.status).toBe(201);
  return hub;
}

afterEach(() => e2e.current.setFault({ mode: "none" }));

describe("REST lifecycle routes", () => {
  it("each command through its route: 200 with the contract's body, the identical retry 200 with event null, /status with the claim fields", async () => {
    const { hubId } = await onlineHub();
    const steps: [string, Json, string][] = [
      ["ClaimHub", { siteId: "lobby", userId: "installer-1" }, "HubClaimed"],
      ["SetHubRole", { isPrimary: true, userId: USER }, "HubRoleSet"],
      ["SuspendHub", { reason: "stolen", userId: "ops" }, "HubSuspended"],
      ["ResumeHub", { reason: "found", userId: "ops" }, "HubResumed"],
      [
        "ReClaimHub",
        { newOrgId: e2e.current.orgId, newSiteId: "roof", reason: "moved", userId: "ops" },
        "HubReClaimed",
      ],
      ["DecommissionHub", { reason: "end of life", userId: "ops" }, "HubDecommissioned"],
    ];
    let version = 1;
    for (const [name, body, eventType] of steps) {
      const first = await command(name, hubId, body);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(schemaErrors(responseSchema(name, "200"), first.body), name).toEqual([]);
      version++;
      expect(first.body).toMatchObject({
        success: true,
        aggregateId: hubId,
        version,
        event: { type: eventType },
      });
      const contractEvent = contract.events[eventType] as object;
      expect(schemaErrors(contractEvent, first.body.event.data), eventType).toEqual([]);
      const retry = await command(name, hubId, body);
      expect(retry).toMatchObject({
        status: 200,
        body: { success: true, aggregateId: hubId, version, event: null },
      });
      if (name === "ClaimHub") {
        const claimed = await status(hubId);
        expect(claimed.status).toBe(200);
        // Claimed: the contract's whole status body, claim fields included.
        const statusSchema = contract.paths["/hubs/{id}/status"]?.get?.responses["200"]?.content[
          "application/json"
        ]?.schema as object;
        expect(schemaErrors(statusSchema, claimed.body)).toEqual([]);
        expect(claimed.body).toMatchObject({
          orgId: e2e.current.orgId,
          siteId: "lobby",
          isPrimary: false,
          status: "Claimed",
        });
      }
    }
    expect((await status(hubId)).body).toMatchObject({
      status: "Decommissioned",
      siteId: "roof",
      isPrimary: false,
    });
  });

  it("errors in the contract's shapes: 404 unknown hub, 409 with a reason, 502 offline, 400 validation, 503 registry down; nothing written", async () => {
    const unknown = randomUUID();
    const notFound = await command("SuspendHub", unknown, { reason: "x", userId: "ops" });
    expect(notFound.status).toBe(404);
    expect(schemaErrors(responseSchema("SuspendHub", "404"), notFound.body)).toEqual([]);

    const offline = await onlineHub(false);
    const refused = await command("ClaimHub", offline.hubId, { siteId: "s", userId: "u" });
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ success: false, error: "Bad Gateway", code: 502 });
    expect(refused.body.message).toMatch(/offline/);
    expect(schemaErrors(responseSchema("ClaimHub", "502"), refused.body)).toEqual([]);

    const hub = await onlineHub();
    // The provisioning organization may not change a hub not claimed into it (403); an admin meets the state.
    expect((await command("SetHubRole", hub.hubId, { isPrimary: true, userId: USER })).status).toBe(403);
    const unclaimed = await command("SetHubRole", hub.hubId, { isPrimary: true, userId: USER }, asAdmin());
    expect(unclaimed.status).toBe(409);
    expect(unclaimed.body).toMatchObject({ success: false, code: 409, reason: "NOT_CLAIMED" });
    expect(schemaErrors(openApiDocument.components.schemas.Error, unclaimed.body)).toEqual([]);

    const invalid = await command("SetHubRole", hub.hubId, { isPrimary: "yes", userId: "not-a-uuid" });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.map((d: Json) => d.field).sort()).toEqual(["isPrimary", "userId"]);
    const mismatch = await rest(`/hubs/${hub.hubId}/SuspendHub`, {
      hubId: randomUUID(),
      reason: "x",
      userId: "u",
    });
    expect(mismatch.status).toBe(400);

    await e2e.current.setFault({ mode: "unavailable" });
    const down = await command("ClaimHub", hub.hubId, { siteId: "s", userId: "u" });
    expect(down.status).toBe(503);
    expect(Number(down.headers.get("retry-after"))).toBeGreaterThan(0);
    await e2e.current.setFault({ mode: "none" });

    expect((await status(hub.hubId)).body).toMatchObject({ status: "Provisioned" });
    expect((await status(hub.hubId)).body).not.toHaveProperty("orgId");
    expect((await status(offline.hubId)).body).toMatchObject({ status: "Provisioned" });
  });

  it("organization B can neither read (404) nor change (404) organization A's hub; A claims into itself only (403)", async () => {
    const hub = await onlineHub();
    const asB = { "x-api-key": e2e.current.otherOrg.apiKey };
    expect((await status(hub.hubId, asB)).status).toBe(404);
    const intoB = await command("ClaimHub", hub.hubId, {
      orgId: e2e.current.otherOrg.id,
      siteId: "s",
      userId: "u",
    });
    expect(intoB.status).toBe(403);
    expect((await command("ClaimHub", hub.hubId, { siteId: "s", userId: "u" })).status).toBe(200);
    for (const [name, body] of [
      ["SuspendHub", { reason: "x", userId: "u" }],
      ["DecommissionHub", { reason: "x", userId: "u" }],
      ["ClaimHub", { siteId: "b", userId: "u" }],
    ] as const) {
      const outcome = await command(name, hub.hubId, body, asB);
      expect(outcome.status, name).toBe(404);
    }
    // The same through GraphQL: another organization's hub is not found there either.
    const viaGraphql = await graphql(
      mutation("suspendHub", "SuspendHubInput"),
      { input: { hubId: hub.hubId, reason: "x", userId: "u" } },
      asB,
    );
    expect(viaGraphql.data?.suspendHub.__typename).toBe("NotFoundError");
    const read = await graphql(`query H($id: ID!) { hub(id: $id) { id } }`, { id: hub.hubId }, asB);
    expect(read.data).toEqual({ hub: null });
    const stillA = await status(hub.hubId);
    expect(stillA.body).toMatchObject({ status: "Claimed", orgId: e2e.current.orgId, siteId: "s" });
  });
});

const CLAIM = /* GraphQL */ `
  mutation Claim($input: ClaimHubInput!) {
    claimHub(input: $input) {
      __typename
      ... on CommandSuccess { success aggregateId version event { type data } }
      ... on ConflictError { message reason }
      ... on HubOfflineError { message hubId }
      ... on NotFoundError { message }
      ... on ValidationError { message details { field message } }
    }
  }`;
const mutation = (field: string, input: string) => /* GraphQL */ `
  mutation M($input: ${input}!) {
    ${field}(input: $input) {
      __typename
      ... on CommandSuccess { version event { type data } }
      ... on ConflictError { reason }
      ... on NotFoundError { message }
    }
  }`;

describe("GraphQL lifecycle mutations", () => {
  it("each mutation: CommandSuccess with the typed event data, then null on the retry", async () => {
    const { hubId } = await onlineHub();
    const claimed = await graphql(CLAIM, { input: { hubId, siteId: "hall", userId: "installer" } });
    expect(claimed.data?.claimHub).toMatchObject({
      __typename: "CommandSuccess",
      success: true,
      version: 2,
      event: {
        type: "HubClaimed",
        data: { hubId, orgId: e2e.current.orgId, siteId: "hall", claimedBy: "installer" },
      },
    });
    expect(
      (await graphql(CLAIM, { input: { hubId, siteId: "hall", userId: "installer" } })).data?.claimHub.event,
    ).toBeNull();
    const steps: [string, string, Json, string][] = [
      ["setHubRole", "SetHubRoleInput", { isPrimary: true, userId: USER }, "HubRoleSet"],
      ["suspendHub", "SuspendHubInput", { reason: "lost", userId: "ops" }, "HubSuspended"],
      ["resumeHub", "ResumeHubInput", { userId: "ops" }, "HubResumed"],
      [
        "reClaimHub",
        "ReClaimHubInput",
        { newOrgId: e2e.current.orgId, newSiteId: "yard", reason: "r", userId: "ops" },
        "HubReClaimed",
      ],
      ["decommissionHub", "DecommissionHubInput", { reason: "eol", userId: "ops" }, "HubDecommissioned"],
    ];
    for (const [field, input, body, type] of steps) {
      const done = await graphql(mutation(field, input), { input: { hubId, ...body } });
      expect(done.data?.[field], field).toMatchObject({ __typename: "CommandSuccess", event: { type } });
      expect(schemaErrors(contract.events[type] as object, done.data?.[field].event.data)).toEqual([]);
      const again = await graphql(mutation(field, input), { input: { hubId, ...body } });
      expect(again.data?.[field]).toMatchObject({ __typename: "CommandSuccess", event: null });
    }
  });

  it("expected failures are union members; authorization failures are errors with extensions.code", async () => {
    const offline = await onlineHub(false);
    expect(
      (await graphql(CLAIM, { input: { hubId: offline.hubId, siteId: "s", userId: "u" } })).data?.claimHub,
    ).toMatchObject({
      __typename: "HubOfflineError",
      hubId: offline.hubId,
    });
    expect(
      (await graphql(CLAIM, { input: { hubId: randomUUID(), siteId: "s", userId: "u" } })).data?.claimHub
        .__typename,
    ).toBe("NotFoundError");
    const hub = await onlineHub();
    expect(
      (
        await graphql(
          mutation("setHubRole", "SetHubRoleInput"),
          { input: { hubId: hub.hubId, isPrimary: true, userId: USER } },
          asAdmin(),
        )
      ).data?.setHubRole,
    ).toEqual({ __typename: "ConflictError", reason: "NOT_CLAIMED" });
    expect(
      (await graphql(CLAIM, { input: { hubId: hub.hubId, siteId: "", userId: "u" } })).data?.claimHub
        .__typename,
    ).toBe("ValidationError");
    const intoOther = await graphql(CLAIM, {
      input: { hubId: hub.hubId, orgId: e2e.current.otherOrg.id, siteId: "s", userId: "u" },
    });
    expect(intoOther.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const reader = await graphql(
      CLAIM,
      { input: { hubId: hub.hubId, siteId: "s", userId: "u" } },
      {
        "x-api-key": e2e.current.readOnlyApiKey,
      },
    );
    expect(reader.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    // An admin names the organization.
    const byAdmin = await graphql(
      CLAIM,
      { input: { hubId: hub.hubId, orgId: e2e.current.otherOrg.id, siteId: "s", userId: "u" } },
      asAdmin(),
    );
    expect(byAdmin.data?.claimHub).toMatchObject({
      __typename: "CommandSuccess",
      event: { data: { orgId: e2e.current.otherOrg.id } },
    });
  });
});

// What needs no Device Shadow (that path is tested where the emulator's data plane is).
describe("talking to the hub: validation, not found and the rule's authentication end to end", () => {
  it("device commands: 400 for a bad code, commandId or field, 404 for an unknown hub, in the contract's shapes", async () => {
    const { hubId } = await onlineHub();
    for (const [name, body, field] of [
      ["CommissionDevice", { commissioningCode: "12345" }, "commissioningCode"],
      ["SendHubCommand", { command: "get_nodes", commandId: "not valid!" }, "commandId"],
      ["SendHubCommand", { command: "get_nodes", extra: true }, "extra"],
    ] as const) {
      const answer = await command(name, hubId, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(schemaErrors(responseSchema(name, "400"), answer.body)).toEqual([]);
      expect(answer.body.details.map((d: Json) => d.field)).toContain(field);
    }
    const unknown = randomUUID();
    for (const [name, body] of [
      ["SendHubCommand", { command: "server_info" }],
      ["CommissionDevice", { commissioningCode: "12345678901" }],
    ] as const) {
      const answer = await command(name, unknown, body, asAdmin());
      expect(answer.status, JSON.stringify(answer.body)).toBe(404);
      expect(schemaErrors(responseSchema(name, "404"), answer.body)).toEqual([]);
    }
    // Nothing was sent: the hub has no commands.
    const listed = await graphql(
      "query($id: ID!) { hub(id: $id) { online lastSeen firmwareVersion uptimeSeconds commands(first: 5) { edges { node { id } } } } }",
      { id: hubId },
      asAdmin(),
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data?.hub).toEqual({
      online: false,
      lastSeen: null,
      firmwareVersion: null,
      uptimeSeconds: null,
      commands: { edges: [] },
    });
  });

  it("GET /hubs/{id}/commands/{commandId}: 404 for no such command; /status has online and omits the unknown live fields", async () => {
    const { hubId } = await onlineHub();
    const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hubId}/commands/no-such-command`, {
      headers: { "x-api-key": e2e.current.manageApiKey },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      success: false,
      errors: [{ code: 404, message: "Command not found" }],
    });
    const { status: code, body } = await status(hubId);
    expect(code).toBe(200);
    expect(body.online).toBe(false);
    for (const field of ["lastSeen", "version", "uptimeSeconds"]) expect(body).not.toHaveProperty(field);
    const missing = await graphql('{ hubCommand(id: "no-such-command") { id } }', {}, asAdmin());
    expect(missing).toEqual({ data: { hubCommand: null } });
  });

  it("GraphQL: a device command on an unknown hub is NotFoundError, a bad code ValidationError", async () => {
    const unknown = randomUUID();
    const sent = await graphql(
      `mutation($input: SendHubCommandInput!) { sendHubCommand(input: $input) { __typename } }`,
      { input: { hubId: unknown, command: "server_info", args: { verbose: true } } },
      asAdmin(),
    );
    expect(sent.data?.sendHubCommand).toEqual({ __typename: "NotFoundError" });
    const badCode = await graphql(
      `mutation($input: CommissionDeviceInput!) { commissionDevice(input: $input) { __typename } }`,
      { input: { hubId: unknown, commissioningCode: "12345" } },
      asAdmin(),
    );
    expect(badCode.data?.commissionDevice).toEqual({ __typename: "ValidationError" });
  });

  it("POST /iot/rule: 401 without the rule's secret header or with a wrong one, whatever other credentials", async () => {
    const message = { clientId: "thing-x", timestamp: 1, eventType: "connected", versionNumber: 1 };
    for (const headers of [
      {},
      { "x-hub-rule-secret": "wrong" },
      { authorization: `Bearer ${admin()}` },
      { "x-api-key": e2e.current.manageApiKey },
    ]) {
      const response = await fetch(`${e2e.current.gatewayUrl}/iot/rule`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify([message]),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ success: false, code: 401 });
    }
  });
});
