import { randomUUID } from "node:crypto";
import { GetThingShadowCommand, IoTDataPlaneClient } from "@aws-sdk/client-iot-data-plane";
import { emulatorControl, type HubBehaviour } from "@hub/iot-registry-emulator";
import { hasPostgres, NEEDS_POSTGRES, type Query, waitUntil, withDatabase } from "@hub/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/rest/openapi.ts";
import { contract, schemaErrors } from "./support/contract.ts";
import { useSystem } from "./support/system.ts";
import { type Receiver, startReceiver } from "./support/webhook-receiver.ts";

// Talking to the hub as a partner's client does: the real gateway, hub-service, registry emulator
// (Device Shadow data plane, simulated hubs, the topic rule posting to the gateway's /iot/rule) and
// event relay as processes, over real HTTP; bodies checked with ajv against the contract copy.
// Short settings keep it quick: a command times out after 2 s, the data plane's breaker opens
// after 2 consecutive failures and probes again after 1 s.
const e2e = useSystem(
  {
    HUB_COMMAND_TIMEOUT: "2",
    IOT_BREAKER_THRESHOLD: "2",
    IOT_BREAKER_COOLDOWN_MS: "1000",
    RATE_LIMIT_POINTS: "100000",
    // The gateway's deadline for hub-service: a retry blocked by a dead sender gives up sooner.
    HUB_SERVICE_TIMEOUT_MS: "5000",
  },
  { relay: { WEBHOOK_RETRY_SCHEDULE: "1s,1s,2s", WEBHOOK_LEASE_MS: "10000", WEBHOOK_TIMEOUT_MS: "1500" } },
);

type Json = Record<string, any>;
const TERMINAL = ["SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT"];
const control = () => emulatorControl(e2e.current.system.emulator.url);
let data: IoTDataPlaneClient;
beforeAll(() => {
  data = new IoTDataPlaneClient({
    endpoint: e2e.current.system.emulator.url,
    region: "us-east-1",
    credentials: { accessKeyId: "t", secretAccessKey: "t" },
  });
});
afterAll(() => data?.destroy());
afterEach(() => e2e.current.setFault({ mode: "none" }));

const poll = (what: string, done: () => Promise<boolean>, timeoutMs = 15_000) =>
  waitUntil(done, what, { timeoutMs, intervalMs: 50 });

const headersOf = (apiKey = e2e.current.manageApiKey) => ({
  "content-type": "application/json",
  "x-api-key": apiKey,
});

async function post(path: string, body: unknown, apiKey?: string) {
  const response = await fetch(`${e2e.current.gatewayUrl}${path}`, {
    method: "POST",
    headers: headersOf(apiKey),
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Json };
}
async function get(path: string, apiKey?: string) {
  const response = await fetch(`${e2e.current.gatewayUrl}${path}`, { headers: headersOf(apiKey) });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Json };
}
const sendCommand = (hubId: string, body: Json, apiKey?: string) =>
  post(`/hubs/${hubId}/SendHubCommand`, { hubId, ...body }, apiKey);
const commission = (hubId: string, body: Json, apiKey?: string) =>
  post(`/hubs/${hubId}/CommissionDevice`, { hubId, ...body }, apiKey);
const readCommand = (hubId: string, commandId: string, apiKey?: string) =>
  get(`/hubs/${hubId}/commands/${commandId}`, apiKey);

async function graphql(query: string, variables: Json = {}, apiKey?: string) {
  const response = await fetch(`${e2e.current.gatewayUrl}/graphql`, {
    method: "POST",
    headers: headersOf(apiKey),
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: Json; errors?: Json[] };
  expect(body.errors, text).toBeUndefined();
  return { text, data: body.data as Json };
}

const schemaOf = (path: string, method: "get" | "post", code: string) => {
  const schema = contract.paths[path]?.[method]?.responses[code]?.content["application/json"]?.schema;
  if (!schema) throw new Error(`the contract has no ${code} body for ${method} ${path}`);
  return schema;
};
const commandSchema = (name: "SendHubCommand" | "CommissionDevice", code: string) =>
  schemaOf(`/hubs/{id}/${name}`, "post", code);
const statusSchema = () => schemaOf("/hubs/{id}/status", "get", "200");
const commandReadSchema = () => schemaOf("/hubs/{id}/commands/{commandId}", "get", "200");
/** A 409 or 503 body: the served document's Error (the contract lists no such code for these routes). */
const errorSchema = () => openApiDocument.components.schemas.Error as object;

/** A hub the e2e organization provisioned and claimed, whose device connected after provisioning. */
async function claimedHub(behaviour?: HubBehaviour) {
  const hub = await e2e.current.newHub();
  expect((await post(`/hubs/${hub.hubId}/ProvisionHub`, hub)).status).toBe(201);
  await e2e.current.setConnected(hub.thingName, true);
  const claimed = await post(`/hubs/${hub.hubId}/ClaimHub`, {
    hubId: hub.hubId,
    siteId: "lobby",
    userId: "installer-1",
  });
  expect(claimed.status, claimed.text).toBe(200);
  if (behaviour) await control().setHubBehaviour(hub.thingName, behaviour);
  return hub;
}

/** Polls the command route until the command leaves SENT; answers its last body. */
async function terminal(hubId: string, commandId: string, timeoutMs = 15_000): Promise<Json> {
  let last: Json = {};
  await poll(
    `command ${commandId} to leave SENT`,
    async () => {
      const read = await readCommand(hubId, commandId);
      last = read.body;
      return read.status === 200 && TERMINAL.includes(read.body.state);
    },
    timeoutMs,
  );
  return last;
}

/** What is recorded of a hub: its stream's version (one per event), its events and its commands. */
async function recorded(hubId: string, apiKey?: string) {
  const { data } = await graphql(
    `query R($id: ID!) { hub(id: $id) {
      version
      events(first: 50) { edges { node { type version } } }
      commands(first: 20) { edges { node { id state } } }
    } }`,
    { id: hubId },
    apiKey,
  );
  const hub = data.hub as Json;
  return {
    version: hub.version as number,
    events: hub.events.edges.map((edge: Json) => edge.node) as Json[],
    commands: hub.commands.edges.map((edge: Json) => edge.node) as Json[],
  };
}

/** The hub Thing's classic shadow through the data plane SDK (none yet: version 0, nothing desired). */
async function shadow(thingName: string) {
  const answer = await data.send(new GetThingShadowCommand({ thingName })).catch((error: Error) => {
    if (error.name === "ResourceNotFoundException") return undefined;
    throw error;
  });
  if (!answer) return { text: "", version: 0, desired: {} as Json };
  const text = new TextDecoder().decode(answer.payload);
  const document = JSON.parse(text) as { version: number; state?: { desired?: { commands?: Json } } };
  return { text, version: document.version, desired: document.state?.desired?.commands ?? {} };
}

describe("hub commands through REST and GraphQL", { timeout: 60_000 }, () => {
  it("REST: server_info and CommissionDevice reach SUCCEEDED; bodies per the contract; /status has the live fields", async () => {
    const hub = await claimedHub({ mode: "answer", firmwareVersion: "3.1.4" });
    // The device connected after provisioning: its presence event made the hub online.
    await poll("the hub online", async () => (await get(`/hubs/${hub.hubId}/status`)).body.online === true);

    const sent = await sendCommand(hub.hubId, { command: "server_info" });
    expect(sent.status, sent.text).toBe(200);
    expect(schemaErrors(commandSchema("SendHubCommand", "200"), sent.body)).toEqual([]);
    expect(sent.body).toMatchObject({ success: true, aggregateId: hub.hubId, event: null, state: "SENT" });
    const done = await terminal(hub.hubId, sent.body.commandId);
    expect(schemaErrors(commandReadSchema(), done)).toEqual([]);
    expect(done).toMatchObject({
      commandId: sent.body.commandId,
      hubId: hub.hubId,
      command: "server_info",
      state: "SUCCEEDED",
      result: { firmwareVersion: "3.1.4", uptimeSeconds: expect.any(Number) },
      sentBy: { orgId: e2e.current.orgId },
    });

    const status = await get(`/hubs/${hub.hubId}/status`);
    expect(status.status).toBe(200);
    expect(schemaErrors(statusSchema(), status.body)).toEqual([]);
    expect(status.body).toMatchObject({
      hubId: hub.hubId,
      status: "Claimed",
      online: true,
      lastSeen: expect.any(Number),
      version: "3.1.4",
      uptimeSeconds: expect.any(Number),
    });

    const commissioned = await commission(hub.hubId, { commissioningCode: "34970112332" });
    expect(commissioned.status, commissioned.text).toBe(200);
    expect(schemaErrors(commandSchema("CommissionDevice", "200"), commissioned.body)).toEqual([]);
    const node = await terminal(hub.hubId, commissioned.body.commandId);
    expect(node).toMatchObject({ state: "SUCCEEDED", result: { nodeId: 1 }, secretArgs: ["code"] });
    expect(JSON.stringify(node)).not.toContain("34970112332");

    // 400 and 404 bodies of both routes, per the contract.
    const badCode = await commission(hub.hubId, { commissioningCode: "12345" });
    expect(badCode.status).toBe(400);
    expect(schemaErrors(commandSchema("CommissionDevice", "400"), badCode.body)).toEqual([]);
    const noCommand = await sendCommand(hub.hubId, { command: "" });
    expect(noCommand.status).toBe(400);
    expect(schemaErrors(commandSchema("SendHubCommand", "400"), noCommand.body)).toEqual([]);
    const unknown = randomUUID();
    for (const [name, answer] of [
      ["SendHubCommand", await sendCommand(unknown, { command: "server_info" })],
      ["CommissionDevice", await commission(unknown, { commissioningCode: "34970112332" })],
    ] as const) {
      expect(answer.status, name).toBe(404);
      expect(schemaErrors(commandSchema(name, "404"), answer.body), name).toEqual([]);
    }
  });

  it("GraphQL: sendHubCommand and commissionDevice with their result unions, hubCommand(id), hub.commands", async () => {
    const hub = await claimedHub({ mode: "answer", firmwareVersion: "5.0.1" });
    const RESULT = `__typename
      ... on DeviceCommandSent { success aggregateId commandId state version command { id state } }
      ... on ValidationError { message details { field message } }
      ... on NotFoundError { message }
      ... on ConflictError { message reason }
      ... on ShadowUpdateError { message hubId }
      ... on UnavailableError { message retryAfterSeconds }`;
    const sendMutation = `mutation S($input: SendHubCommandInput!) { sendHubCommand(input: $input) { ${RESULT} } }`;
    const commissionMutation = `mutation C($input: CommissionDeviceInput!) { commissionDevice(input: $input) { ${RESULT} } }`;
    const commandId = `gql-${randomUUID()}`;
    const sent = (
      await graphql(sendMutation, { input: { hubId: hub.hubId, command: "server_info", commandId } })
    ).data.sendHubCommand;
    expect(sent).toMatchObject({
      __typename: "DeviceCommandSent",
      success: true,
      aggregateId: hub.hubId,
      commandId,
      state: "SENT",
    });
    const commandQuery = `query Q($id: ID!, $hubId: ID) { hubCommand(id: $id, hubId: $hubId) {
      id hubId command state result reason secretArgs args sentAt timeoutAt completedAt sentBy { kind id orgId } } }`;
    let command: Json = {};
    await poll("hubCommand to leave SENT", async () => {
      command = (await graphql(commandQuery, { id: commandId, hubId: hub.hubId })).data.hubCommand;
      return TERMINAL.includes(command?.state);
    });
    expect(command).toMatchObject({
      id: commandId,
      hubId: hub.hubId,
      command: "server_info",
      state: "SUCCEEDED",
      result: { firmwareVersion: "5.0.1" },
      completedAt: expect.any(Number),
      sentBy: { orgId: e2e.current.orgId },
    });

    const commissioned = (
      await graphql(commissionMutation, {
        input: { hubId: hub.hubId, commissioningCode: "MT:Y.K9042C00KA0648G00" },
      })
    ).data.commissionDevice;
    expect(commissioned).toMatchObject({ __typename: "DeviceCommandSent", state: "SENT" });
    await poll("the commissioning to leave SENT", async () => {
      const read = await graphql(commandQuery, { id: commissioned.commandId });
      return read.data.hubCommand?.state === "SUCCEEDED";
    });

    // The error members of the unions.
    const invalid = (
      await graphql(commissionMutation, { input: { hubId: hub.hubId, commissioningCode: "12345" } })
    ).data.commissionDevice;
    expect(invalid.__typename).toBe("ValidationError");
    const missing = (await graphql(sendMutation, { input: { hubId: randomUUID(), command: "server_info" } }))
      .data.sendHubCommand;
    expect(missing.__typename).toBe("NotFoundError");
    const reused = (
      await graphql(sendMutation, { input: { hubId: hub.hubId, command: "get_nodes", commandId } })
    ).data.sendHubCommand;
    expect(reused).toMatchObject({ __typename: "ConflictError", reason: "COMMAND_ID_REUSED" });
    await control().setFault({ mode: "unavailable", operations: ["UpdateThingShadow"] });
    const shadowDown = (await graphql(sendMutation, { input: { hubId: hub.hubId, command: "get_nodes" } }))
      .data.sendHubCommand;
    await control().setFault({ mode: "none" });
    expect(shadowDown).toMatchObject({ __typename: "ShadowUpdateError", hubId: hub.hubId });

    const { data: read } = await graphql(
      `query H($id: ID!) { hub(id: $id) {
        online lastSeen firmwareVersion uptimeSeconds
        commands(first: 10) { edges { node { id command state } } }
        succeeded: commands(state: SUCCEEDED) { edges { node { id } } }
      } }`,
      { id: hub.hubId },
    );
    expect(read.hub).toMatchObject({
      online: true,
      lastSeen: expect.any(Number),
      firmwareVersion: "5.0.1",
      uptimeSeconds: expect.any(Number),
    });
    // Newest first; the refused sends are no commands.
    expect(read.hub.commands.edges.map((edge: Json) => edge.node.id)).toEqual([
      commissioned.commandId,
      commandId,
    ]);
    expect(read.hub.succeeded.edges).toHaveLength(2);
    // Another organization reads neither the command nor the hub.
    const other = e2e.current.otherOrg.apiKey;
    expect((await graphql(commandQuery, { id: commandId }, other)).data.hubCommand).toBeNull();
    expect((await readCommand(hub.hubId, commandId, other)).status).toBe(404);
  });

  it("every terminal state end to end: FAILED (the hub fails), REJECTED (unknown command), TIMED_OUT (silent hub)", async () => {
    const hub = await claimedHub({ mode: "fail", reason: "radio busy" });
    const failed = await sendCommand(hub.hubId, { command: "get_nodes" });
    expect(await terminal(hub.hubId, failed.body.commandId)).toMatchObject({
      state: "FAILED",
      reason: "radio busy",
      completedAt: expect.any(Number),
    });
    await control().setHubBehaviour(hub.thingName, { mode: "answer" });
    const rejected = await sendCommand(hub.hubId, { command: "self_destruct" });
    expect(await terminal(hub.hubId, rejected.body.commandId)).toMatchObject({
      state: "REJECTED",
      reason: expect.stringContaining("self_destruct"),
    });
    await control().setHubBehaviour(hub.thingName, { mode: "silent" });
    const silent = await sendCommand(hub.hubId, { command: "get_nodes" });
    const timedOut = await terminal(hub.hubId, silent.body.commandId);
    expect(timedOut).toMatchObject({ state: "TIMED_OUT", result: null });
    expect(schemaErrors(commandReadSchema(), timedOut)).toEqual([]);
    // A terminal command leaves `desired`.
    await poll(
      "the timed-out command to leave desired",
      async () => !(silent.body.commandId in (await shadow(hub.thingName)).desired),
    );
    const types = (await recorded(hub.hubId)).events.map((event) => event.type);
    for (const type of ["HubCommandFailed", "HubCommandRejected", "HubCommandTimedOut"]) {
      expect(
        types.filter((t) => t === type),
        type,
      ).toHaveLength(1);
    }
  });
});

describe("rejections over REST record nothing", { timeout: 60_000 }, () => {
  it("400 bad code and bad commandId, 404 unknown and another organization's hub, 409 commandId reused", async () => {
    const hub = await claimedHub({ mode: "silent" });
    const commandId = `first-${randomUUID()}`;
    expect((await sendCommand(hub.hubId, { command: "get_nodes", commandId })).status).toBe(200);
    const before = await recorded(hub.hubId);
    const shadowBefore = (await shadow(hub.thingName)).version;

    const badCode = await commission(hub.hubId, { commissioningCode: "12345" });
    expect(badCode.status).toBe(400);
    expect(schemaErrors(commandSchema("CommissionDevice", "400"), badCode.body)).toEqual([]);
    for (const bad of ["has space", "x".repeat(65), "semi;colon"]) {
      const refused = await sendCommand(hub.hubId, { command: "get_nodes", commandId: bad });
      expect(refused.status, bad).toBe(400);
      expect(schemaErrors(commandSchema("SendHubCommand", "400"), refused.body)).toEqual([]);
    }
    const unknown = await sendCommand(randomUUID(), { command: "get_nodes" });
    expect(unknown.status).toBe(404);
    const foreign = await sendCommand(hub.hubId, { command: "get_nodes" }, e2e.current.otherOrg.apiKey);
    expect(foreign.status).toBe(404);
    expect(schemaErrors(commandSchema("SendHubCommand", "404"), foreign.body)).toEqual([]);
    const foreignCommission = await commission(
      hub.hubId,
      { commissioningCode: "34970112332" },
      e2e.current.otherOrg.apiKey,
    );
    expect(foreignCommission.status).toBe(404);

    const reused = await sendCommand(hub.hubId, { command: "server_info", commandId });
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ success: false, code: 409, reason: "COMMAND_ID_REUSED" });
    expect(schemaErrors(errorSchema(), reused.body)).toEqual([]);
    // The identical retry is no rejection: the same command, no second write.
    const same = await sendCommand(hub.hubId, { command: "get_nodes", commandId });
    expect(same.body).toMatchObject({ commandId, version: before.version });

    expect(await recorded(hub.hubId)).toEqual(before);
    expect((await shadow(hub.thingName)).version).toBe(shadowBefore);
  });

  it("409 suspended and decommissioned: nothing written to the shadow, only the lifecycle events", async () => {
    const hub = await claimedHub();
    const shadowVersion = async () => (await shadow(hub.thingName)).version;
    const start = await shadowVersion();
    const suspended = await post(`/hubs/${hub.hubId}/SuspendHub`, {
      hubId: hub.hubId,
      reason: "lost",
      userId: "ops",
    });
    expect(suspended.status).toBe(200);
    const before = await recorded(hub.hubId);
    const refused = await sendCommand(hub.hubId, { command: "get_nodes" });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ success: false, reason: "SUSPENDED" });
    expect(schemaErrors(errorSchema(), refused.body)).toEqual([]);
    expect((await commission(hub.hubId, { commissioningCode: "34970112332" })).body).toMatchObject({
      reason: "SUSPENDED",
    });
    expect(await recorded(hub.hubId)).toEqual(before);

    expect((await post(`/hubs/${hub.hubId}/ResumeHub`, { hubId: hub.hubId, userId: "ops" })).status).toBe(
      200,
    );
    const gone = await post(`/hubs/${hub.hubId}/DecommissionHub`, {
      hubId: hub.hubId,
      reason: "eol",
      userId: "ops",
    });
    expect(gone.status, gone.text).toBe(200);
    const afterDecommission = await recorded(hub.hubId);
    const decommissioned = await sendCommand(hub.hubId, { command: "get_nodes" });
    expect(decommissioned.status).toBe(409);
    expect(decommissioned.body).toMatchObject({ reason: "DECOMMISSIONED" });
    expect(await recorded(hub.hubId)).toEqual(afterDecommission);
    expect(await shadowVersion()).toBe(start);
  });

  it("502 when the shadow update fails, 503 + Retry-After when throttled and when the breaker is open", async () => {
    const hub = await claimedHub({ mode: "silent" });
    const before = await recorded(hub.hubId);
    // Throttled by the data plane (its 429): 503 + Retry-After.
    await control().setFault({ mode: "throttle", operations: ["UpdateThingShadow"] });
    // However the SDK's own retries end (before or after the deadline), a throttled write is 503.
    const throttled = await sendCommand(hub.hubId, { command: "get_nodes" });
    expect(throttled.status, throttled.text).toBe(503);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(throttled.body).toMatchObject({ success: false, code: 503 });
    expect(schemaErrors(errorSchema(), throttled.body)).toEqual([]);
    expect(await recorded(hub.hubId)).toEqual(before);
    await control().setFault({ mode: "none" });
    expect((await sendCommand(hub.hubId, { command: "get_nodes" })).status).toBe(200);
    const afterThrottle = await recorded(hub.hubId);

    await control().setFault({ mode: "unavailable", operations: ["UpdateThingShadow"] });
    const down = await sendCommand(hub.hubId, { command: "get_nodes" });
    expect(down.status, down.text).toBe(502);
    expect(down.body).toMatchObject({ success: false, error: "Bad Gateway" });
    expect(schemaErrors(commandSchema("SendHubCommand", "502"), down.body)).toEqual([]);
    // The breaker opens after IOT_BREAKER_THRESHOLD (2) consecutive failed writes: then the answer
    // is a 503 with no shadow write reaching AWS IoT at all. (Only UpdateThingShadow is counted: the
    // time-out sweep's GetThingShadow and other background calls may reach the emulator meanwhile.)
    // The sweep also clears terminal commands from other hubs' shadows with UpdateThingShadow: such
    // a write can fail into the breaker and open it, and can reach the emulator while this send is
    // refused. A 503 whose window saw a write is therefore not evidence either way: look again.
    const writes = async () => (await e2e.current.registryRequests()).byOperation.UpdateThingShadow ?? 0;
    let open: Awaited<ReturnType<typeof sendCommand>> | undefined;
    for (let attempt = 0; attempt < 6 && !open; attempt++) {
      const writesBefore = await writes();
      const answer = await sendCommand(hub.hubId, { command: "get_nodes" });
      const reached = (await writes()) - writesBefore;
      if (answer.status === 503 && reached === 0) open = answer;
      else if (answer.status !== 503) expect(answer.status, answer.text).toBe(502);
    }
    expect(open, "the breaker never opened").toBeDefined();
    expect(Number(open?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(schemaErrors(errorSchema(), open?.body ?? {})).toEqual([]);

    await e2e.current.setFault({ mode: "none" });
    expect(await recorded(hub.hubId)).toEqual(afterThrottle);
    // The breaker closes again after its cool-down: a send goes through.
    await poll(
      "the breaker to close",
      async () => (await sendCommand(hub.hubId, { command: "get_nodes" })).status === 200,
    );
  });
});

describe("secrets: Wi-Fi credentials reach the shadow and nothing else", { timeout: 60_000 }, () => {
  let receiver: Receiver | undefined;
  afterAll(() => receiver?.close());

  it("no response, webhook, event or table holds the password; the shadow holds it until the command is terminal", async () => {
    receiver = await startReceiver();
    const created = (
      await graphql(
        `mutation W($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) {
          __typename ... on WebhookSecretResult { secret subscription { id } } } }`,
        { input: { url: receiver.url } },
      )
    ).data.createWebhookSubscription;
    expect(created.__typename).toBe("WebhookSecretResult");
    receiver.secrets.push(e2e.current.remember(created.secret));

    const hub = await claimedHub({ mode: "silent" });
    const password = e2e.current.remember(`wifi-pass-${randomUUID()}`);
    const texts: string[] = [];
    const sent = await sendCommand(hub.hubId, {
      command: "set_wifi_credentials",
      args: { ssid: "lobby", credentials: password },
    });
    expect(sent.status, sent.text).toBe(200);
    texts.push(sent.text);
    // The hub gets it: it is in the shadow's desired state while the command is SENT.
    expect((await shadow(hub.thingName)).text).toContain(password);
    const whileSent = await readCommand(hub.hubId, sent.body.commandId);
    expect(whileSent.body).toMatchObject({
      state: "SENT",
      args: { ssid: "lobby" },
      secretArgs: ["credentials"],
    });
    texts.push(whileSent.text);

    await control().setHubBehaviour(hub.thingName, { mode: "answer" });
    const done = await terminal(hub.hubId, sent.body.commandId);
    expect(done).toMatchObject({
      state: "SUCCEEDED",
      result: { ssid: "lobby" },
      secretArgs: ["credentials"],
    });
    texts.push(JSON.stringify(done));
    // Terminal: removed from desired, so the shadow no longer holds it either.
    await poll(
      "the password to leave the shadow",
      async () => !(await shadow(hub.thingName)).text.includes(password),
    );

    // The identical retry answers the command without echoing anything secret.
    const retry = await sendCommand(hub.hubId, {
      command: "set_wifi_credentials",
      args: { ssid: "lobby", credentials: password },
      commandId: sent.body.commandId,
    });
    expect(retry.body).toMatchObject({ commandId: sent.body.commandId, state: "SUCCEEDED" });
    texts.push(retry.text);
    texts.push((await get(`/hubs/${hub.hubId}/status`)).text);
    const { text: graphqlText, data: read } = await graphql(
      `query H($id: ID!, $command: ID!) {
        hub(id: $id) { commands { edges { node { id args result secretArgs } } }
          events(first: 50) { edges { node { type data metadata } } } }
        hubCommand(id: $command) { args result secretArgs reason } }`,
      { id: hub.hubId, command: sent.body.commandId },
    );
    texts.push(graphqlText);
    const eventTypes = read.hub.events.edges.map((edge: Json) => edge.node.type);
    expect(eventTypes).toEqual(expect.arrayContaining(["HubCommandSent", "HubCommandSucceeded"]));
    const sentEvent = read.hub.events.edges.find((edge: Json) => edge.node.type === "HubCommandSent").node;
    expect(sentEvent.data).toMatchObject({ secretArgs: ["credentials"], args: { ssid: "lobby" } });
    // The admin's global feed too.
    const adminFeed = await fetch(`${e2e.current.gatewayUrl}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${e2e.current.token({ role: "admin" }, { subject: "admin-1" })}`,
      },
      body: JSON.stringify({
        query: "{ events(first: 100) { edges { node { hubId type data metadata } } } }",
      }),
    });
    const feedText = await adminFeed.text();
    expect(feedText).toContain(sent.body.commandId);
    texts.push(feedText);

    // The organization's endpoint receives the command's events, verified, without the password.
    await poll("the command's webhooks", async () =>
      ["HubCommandSent", "HubCommandSucceeded"].every((type) =>
        receiver?.received.some(
          (entry) => entry.payload.type === type && entry.payload.data.hubId === hub.hubId,
        ),
      ),
    );
    expect(receiver.unverified).toEqual([]);
    texts.push(...receiver.received.map((entry) => entry.body));

    for (const text of texts) expect(text).not.toContain(password);
    // Every table of the database, every row as JSON text.
    const dump = await inspectDatabase(async (query) => {
      const tables = await query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["hub_events", "hub_commands"]));
      const rows: string[] = [];
      for (const { table_name } of tables) {
        const found = await query<{ row: string }>(
          `SELECT row_to_json(t)::text AS row FROM "${table_name}" t`,
        );
        rows.push(...found.map((r) => r.row));
      }
      return rows.join("\n");
    });
    expect(dump).toContain(sent.body.commandId);
    expect(dump).not.toContain(password);
  });
});

/** Reads the database directly: on PostgreSQL while everything runs, on PGlite with hub-service stopped. */
async function inspectDatabase<T>(use: (query: Query) => Promise<T>): Promise<T> {
  if (hasPostgres()) return withDatabase(e2e.current.databaseUrl, use);
  await e2e.current.system.stopService("hubService");
  try {
    return await withDatabase(e2e.current.databaseUrl, use);
  } finally {
    await e2e.current.system.startService("hubService");
  }
}

const sentEvents = async (hubId: string) =>
  (await recorded(hubId)).events.filter((event) => event.type === "HubCommandSent").length;

// A sender holds the command id's lease in hub_command_sends for its shadow write and record
// (IOT_DEADLINE_MS + 2 s). When it dies, the lease lapses: a retry then takes it over and reads the
// shadow before writing (never a second write), and the time-out sweep records a command the
// shadow holds but nobody recorded (with the hub's answer, if any).
describe("hub-service crashes around the shadow write", { timeout: 90_000 }, () => {
  it("the write never happened (held, then SIGKILL): after restart the retry with the same commandId writes it once → SUCCEEDED", async () => {
    const hub = await claimedHub({ mode: "answer" });
    const commandId = `lost-${randomUUID()}`;
    await control().setFault({ mode: "hang", operations: ["UpdateThingShadow"] });
    const pending = sendCommand(hub.hubId, { command: "server_info", commandId }).catch(
      (error: unknown) => error,
    );
    // Held: in flight across two looks 200 ms apart (other calls are answered at once).
    await poll("the shadow write held", async () => {
      if ((await e2e.current.registryRequests()).inFlight === 0) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return (await e2e.current.registryRequests()).inFlight > 0;
    });
    await e2e.current.system.stopService("hubService", "SIGKILL");
    await control().setFault({ mode: "none" });
    const answered = (await pending) as { status?: number };
    expect(answered.status).toBeGreaterThanOrEqual(500);
    await e2e.current.system.startService("hubService");
    expect(commandId in (await shadow(hub.thingName)).desired).toBe(false);
    expect((await readCommand(hub.hubId, commandId)).status).toBe(404);

    const startedAt = Date.now();
    const retry = await sendCommand(hub.hubId, { command: "server_info", commandId });
    expect(retry.status, `${retry.text} after ${Date.now() - startedAt} ms`).toBe(200);
    expect(await terminal(hub.hubId, commandId)).toMatchObject({ state: "SUCCEEDED" });
    expect(await sentEvents(hub.hubId)).toBe(1);
  });

  describe.runIf(hasPostgres())(`the write landed, the record did not (${NEEDS_POSTGRES})`, () => {
    it("SIGKILL after the shadow accepted the command: recorded once from the rule, terminal; the retry writes nothing", async () => {
      const hub = await claimedHub({ mode: "answer" });
      const commandId = `orphan-${randomUUID()}`;
      // hub-service's record of the command (its event and read-model rows, one statement) waits
      // on this lock, after the shadow accepted the command.
      const waiting = `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`;
      // One session (PostgreSQL): the lock is held from BEGIN until ROLLBACK.
      await withDatabase(e2e.current.databaseUrl, async (lock) => {
        await lock("BEGIN");
        await lock("SELECT 1 FROM hubs WHERE id = $1 FOR UPDATE", [hub.hubId]);
        const pending = sendCommand(hub.hubId, { command: "server_info", commandId }).catch(
          (error: unknown) => error,
        );
        await poll("the shadow write", async () => commandId in (await shadow(hub.thingName)).desired);
        await poll("the record held", async () => (await lock(waiting)).length > 0);
        await e2e.current.system.stopService("hubService", "SIGKILL");
        // The process is gone: so is its database session, as if it died before sending the statement.
        await lock(`SELECT pg_terminate_backend(pid) FROM (${waiting}) w`);
        await lock("ROLLBACK");
        const answered = (await pending) as { status?: number };
        expect(answered.status).toBeGreaterThanOrEqual(500);
      });
      await e2e.current.system.startService("hubService");

      const done = await terminal(hub.hubId, commandId, 8_000);
      expect(done).toMatchObject({ state: "SUCCEEDED", result: { firmwareVersion: expect.any(String) } });
      expect(await sentEvents(hub.hubId)).toBe(1);
      // Settled: out of desired, and the hub dropped its report.
      await poll("the shadow to settle", async () => {
        const text = (await shadow(hub.thingName)).text;
        return !text.includes(commandId);
      });
      const settled = (await shadow(hub.thingName)).version;
      const retry = await sendCommand(hub.hubId, { command: "server_info", commandId });
      expect(retry.body).toMatchObject({ commandId, state: "SUCCEEDED" });
      expect((await shadow(hub.thingName)).version).toBe(settled);
      expect(await sentEvents(hub.hubId)).toBe(1);
    });
  });
});
