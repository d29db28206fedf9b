import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from "@aws-sdk/client-iot-data-plane";
import { type AppRouter, appErrorFrom, TRPCClientError } from "@hub/hub-client";
import { emulatorControl } from "@hub/iot-registry-emulator";
import type { RequestContext } from "@hub/shared";
import { testEngine, waitUntil } from "@hub/test-support";

const waitFor = (condition: () => boolean | Promise<boolean>, options: { timeoutMs?: number } = {}) =>
  waitUntil(condition, "the condition", options);

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "./support/database.ts";
import { useHubService } from "./support/system.ts";

// Commands to the hub through its Device Shadow, over real HTTP (tRPC) against the registry
// emulator's data plane and simulated hub through the real SDKs; the emulator's topic rule posts
// its update documents and presence events to a forwarder standing where the gateway's
// `POST /iot/rule` stands, which calls hub-service's `iot.*` procedures as the gateway does.
const RULE_SECRET = "int-test-rule-secret-0123456789";
const db = useTestDatabase();
const system = useHubService(db, {
  HUB_COMMAND_TIMEOUT: "1.5",
  // Room for a slow, loaded machine: a throttled call must be seen throttled, not timed out.
  IOT_DEADLINE_MS: "5000",
  IOT_ATTEMPT_TIMEOUT_MS: "1500",
  IOT_RULE_SECRET: RULE_SECRET,
  IOT_RULE_AUTO_CONFIRM: "true",
});
const client = () => system.current.client;
const control = () => emulatorControl(system.current.emulatorUrl);

const ORG = randomUUID();
const as = (principal: RequestContext["principal"]): RequestContext => ({
  principal,
  requestId: `req-${randomUUID()}`,
  correlationId: "corr-device",
  source: "trpc",
});
const org = as({
  kind: "organization",
  id: ORG,
  orgId: ORG,
  permissions: ["hubs:provision", "hubs:read", "hubs:manage"],
});
const admin = as({ kind: "admin", id: "admin-1", permissions: [] });

let forwarder: Server;
let data: IoTDataPlaneClient;
beforeAll(async () => {
  await db.current.prisma.organization.create({ data: { id: ORG, name: `org ${ORG}` } });
  forwarder = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    try {
      if (req.headers["x-amz-rules-engine-message-type"] === "DestinationConfirmation") {
        await client().iot.ruleConfirmation.mutate(body as never);
      } else {
        const secret = req.headers["x-hub-rule-secret"];
        await client().iot.ruleMessages.mutate({
          ...(typeof secret === "string" ? { secret } : {}),
          messages: Array.isArray(body) ? body : [body],
        });
      }
      res.writeHead(200).end("{}");
    } catch {
      res.writeHead(500).end("{}");
    }
  });
  await new Promise<void>((resolve) => forwarder.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}/iot/rule`;
  await control().configureRule({ url, headers: { "x-hub-rule-secret": RULE_SECRET } });
  await waitFor(async () => (await control().ruleStats()).status === "ENABLED", { timeoutMs: 10_000 });
  data = new IoTDataPlaneClient({
    endpoint: system.current.emulatorUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});
afterAll(async () => {
  data?.destroy();
  await new Promise((resolve) => forwarder?.close(resolve));
});
afterEach(() => system.current.emulator.faults.clear());

async function claimedHub() {
  const hubId = randomUUID();
  const thingName = `thing-${hubId}`;
  await system.current.createThing(thingName);
  await client().hub.provision.mutate({
    caller: org,
    command: { hubId, serial: `SN-${hubId}`, model: "HUB-2", thingName },
  });
  // The device comes online once it is provisioned (its presence event reaches the hub's stream).
  await system.current.setConnected(thingName, true);
  await client().hub.claim.mutate({ caller: org, command: { hubId, siteId: "lobby", userId: "u-1" } });
  return { hubId, thingName };
}

type CommandRow = {
  state: string;
  result: unknown;
  reason: string | null;
  secret_args: string[];
  args: unknown;
};
async function commandRow(commandId: string): Promise<CommandRow | undefined> {
  const [row] = await db.current.prisma.$queryRaw<CommandRow[]>`
    SELECT state, result, reason, secret_args, args FROM hub_commands WHERE command_id = ${commandId}`;
  return row;
}
async function settled(commandId: string, timeoutMs = 10_000): Promise<CommandRow> {
  let row: CommandRow | undefined;
  await waitFor(
    async () => {
      row = await commandRow(commandId);
      return row !== undefined && row.state !== "SENT";
    },
    { timeoutMs },
  );
  return row as CommandRow;
}
const eventTypes = async (hubId: string) =>
  (
    await db.current.prisma.hubEvent.findMany({ where: { streamId: hubId }, orderBy: { version: "asc" } })
  ).map((event) => event.type);
const desiredCommands = async (thingName: string) => {
  const shadow = await data.send(new GetThingShadowCommand({ thingName }));
  const document = JSON.parse(new TextDecoder().decode(shadow.payload)) as {
    state?: { desired?: { commands?: Record<string, unknown> } };
    version: number;
  };
  return { commands: document.state?.desired?.commands ?? {}, version: document.version };
};
const send = (hubId: string, command: string, extra: Record<string, unknown> = {}, caller = org) =>
  client().hub.sendCommand.mutate({ caller, command: { hubId, command, ...extra } });

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return { code: (error as TRPCClientError<AppRouter>).data?.code, app: appErrorFrom(error) };
}

describe(`device commands through the shadow (${testEngine()})`, () => {
  it("server_info: SENT, then SUCCEEDED from the hub's report; firmware and uptime on the hub; removed from desired", async () => {
    const { hubId, thingName } = await claimedHub();
    await control().setHubBehaviour(thingName, { mode: "answer", firmwareVersion: "3.1.4" });
    const sent = await send(hubId, "server_info");
    expect(sent).toMatchObject({ success: true, aggregateId: hubId, event: null, state: "SENT" });
    const row = await settled(sent.commandId);
    expect(row).toMatchObject({ state: "SUCCEEDED", result: { firmwareVersion: "3.1.4" } });
    const hub = await client().hub.byId.query({ caller: org, hubId });
    expect(hub).toMatchObject({ firmwareVersion: "3.1.4", online: true });
    expect(hub?.uptimeSeconds).toEqual(expect.any(Number));
    expect(await eventTypes(hubId)).toEqual(
      expect.arrayContaining(["HubCommandSent", "HubCommandSucceeded"]),
    );
    await waitFor(async () => !(sent.commandId in (await desiredCommands(thingName)).commands));
  });

  it("CommissionDevice: the node id as its result; the setup code nowhere but the shadow", async () => {
    const { hubId } = await claimedHub();
    const code = "MT:Y.K9042C00KA0648G00";
    const sent = await client().hub.commissionDevice.mutate({
      caller: org,
      command: { hubId, commissioningCode: code },
    });
    const row = await settled(sent.commandId);
    expect(row).toMatchObject({
      state: "SUCCEEDED",
      result: { nodeId: expect.any(Number) },
      secret_args: ["code"],
    });
    const events = await db.current.prisma.hubEvent.findMany({ where: { streamId: hubId } });
    const text = JSON.stringify(events, (_key, value) => (typeof value === "bigint" ? String(value) : value));
    expect(text).not.toContain(code);
  });

  it("the hub fails, rejects, or never answers: FAILED, REJECTED, TIMED_OUT", async () => {
    const { hubId, thingName } = await claimedHub();
    await control().setHubBehaviour(thingName, { mode: "fail", reason: "radio busy" });
    const failed = await send(hubId, "get_nodes");
    expect(await settled(failed.commandId)).toMatchObject({ state: "FAILED", reason: "radio busy" });
    await control().setHubBehaviour(thingName, { mode: "answer" });
    const rejected = await send(hubId, "self_destruct");
    expect(await settled(rejected.commandId)).toMatchObject({ state: "REJECTED" });
    await control().setHubBehaviour(thingName, { mode: "silent" });
    const silent = await send(hubId, "get_nodes");
    expect(await settled(silent.commandId)).toMatchObject({ state: "TIMED_OUT" });
    await waitFor(async () => !(silent.commandId in (await desiredCommands(thingName)).commands));
  });

  it("a lost update document: the time-out's shadow read finds the result (SUCCEEDED, not TIMED_OUT)", async () => {
    const { hubId } = await claimedHub();
    // The rule loses this hub's documents: the destination answers nothing for a while.
    await control().removeRule();
    try {
      const sent = await send(hubId, "server_info");
      expect(await settled(sent.commandId)).toMatchObject({ state: "SUCCEEDED" });
    } finally {
      const url = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}/iot/rule`;
      await control().configureRule({ url, headers: { "x-hub-rule-secret": RULE_SECRET } });
      await waitFor(async () => (await control().ruleStats()).status === "ENABLED", { timeoutMs: 10_000 });
    }
  });

  it("set_wifi_credentials: the credentials reach the shadow and no event, row or response", async () => {
    const { hubId, thingName } = await claimedHub();
    const password = `wifi-${randomUUID()}`;
    await control().setHubBehaviour(thingName, { mode: "silent" });
    const sent = await send(hubId, "set_wifi_credentials", {
      args: { ssid: "lobby", credentials: password },
    });
    expect(JSON.stringify(sent)).not.toContain(password);
    expect(JSON.stringify((await desiredCommands(thingName)).commands)).toContain(password);
    await control().setHubBehaviour(thingName, { mode: "answer" });
    expect(await settled(sent.commandId)).toMatchObject({
      state: "SUCCEEDED",
      secret_args: ["credentials"],
      args: { ssid: "lobby" },
    });
    const tables = await db.current.prisma.$queryRaw<{ dump: string }[]>`
      SELECT (SELECT coalesce(json_agg(e)::text, '') FROM hub_events e WHERE e.stream_id = ${hubId}::uuid) ||
             (SELECT coalesce(json_agg(c)::text, '') FROM hub_commands c WHERE c.hub_id = ${hubId}::uuid) ||
             (SELECT coalesce(json_agg(s)::text, '') FROM hub_command_sends s) ||
             (SELECT coalesce(json_agg(h)::text, '') FROM hubs h WHERE h.id = ${hubId}::uuid) AS dump`;
    expect(tables[0]?.dump).not.toContain(password);
  });

  it("the same commandId: same payload → the same command, one shadow write; another payload → 409", async () => {
    const { hubId, thingName } = await claimedHub();
    await control().setHubBehaviour(thingName, { mode: "silent" });
    const commandId = `retry-${randomUUID()}`;
    const first = await send(hubId, "get_nodes", { commandId });
    const versionAfterFirst = (await desiredCommands(thingName)).version;
    const again = await send(hubId, "get_nodes", { commandId });
    expect(again).toMatchObject({ commandId, state: "SENT", version: first.version });
    expect((await desiredCommands(thingName)).version).toBe(versionAfterFirst);
    const other = await failure(send(hubId, "server_info", { commandId }));
    expect(other).toMatchObject({ code: "CONFLICT", app: { reason: "COMMAND_ID_REUSED" } });
    const elsewhere = await claimedHub();
    expect(await failure(send(elsewhere.hubId, "get_nodes", { commandId }))).toMatchObject({
      code: "CONFLICT",
    });
  });

  it("32 concurrent sends of one commandId: one shadow write, one command", async () => {
    const { hubId, thingName } = await claimedHub();
    await control().setHubBehaviour(thingName, { mode: "silent" });
    const before = (await desiredCommands(thingName).catch(() => ({ version: 0 }))).version;
    const commandId = `burst-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 32 }, () => send(hubId, "get_nodes", { commandId, args: { verbose: true } })),
    );
    expect(new Set(results.map((r) => r.commandId))).toEqual(new Set([commandId]));
    expect((await desiredCommands(thingName)).version).toBe(before + 1);
    const sent = (await eventTypes(hubId)).filter((type) => type === "HubCommandSent");
    expect(sent).toHaveLength(1);
  });

  it("rejections record nothing: unknown hub 404, suspended 409, shadow failing 502, throttled 503", async () => {
    expect(await failure(send(randomUUID(), "get_nodes", {}, admin))).toMatchObject({ code: "NOT_FOUND" });
    const { hubId } = await claimedHub();
    const recorded = async () => (await eventTypes(hubId)).length;
    const start = await recorded();
    system.current.emulator.faults.setFault({ mode: "unavailable", operations: ["UpdateThingShadow"] });
    expect(await failure(send(hubId, "get_nodes"))).toMatchObject({ code: "BAD_GATEWAY" });
    system.current.emulator.faults.setFault({ mode: "throttle", operations: ["UpdateThingShadow"] });
    const throttled = await failure(send(hubId, "get_nodes"));
    expect(throttled).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      app: { retryAfterSeconds: expect.any(Number) },
    });
    system.current.emulator.faults.clear();
    expect(await recorded()).toBe(start);
    await client().hub.suspend.mutate({ caller: org, command: { hubId, reason: "lost", userId: "u" } });
    expect(await failure(send(hubId, "get_nodes"))).toMatchObject({
      code: "CONFLICT",
      app: { reason: "SUSPENDED" },
    });
    expect(await recorded()).toBe(start + 1);
  });

  it("a command written to the shadow but never recorded (a crash in between) is recorded once from the rule", async () => {
    const { hubId, thingName } = await claimedHub();
    const commandId = `orphan-${randomUUID()}`;
    await data.send(
      new UpdateThingShadowCommand({
        thingName,
        payload: new TextEncoder().encode(
          JSON.stringify({ state: { desired: { commands: { [commandId]: { command: "server_info" } } } } }),
        ),
      }),
    );
    expect(await settled(commandId)).toMatchObject({ state: "SUCCEEDED" });
    // The client's retry with the same id answers that command, without writing it again.
    const retry = await send(hubId, "server_info", { commandId });
    expect(retry).toMatchObject({ commandId, state: "SUCCEEDED" });
    expect((await eventTypes(hubId)).filter((type) => type === "HubCommandSent")).toHaveLength(1);
  });

  it("redelivered and reordered rule messages: each transition once; a wrong secret is refused", async () => {
    const { hubId, thingName } = await claimedHub();
    const commandId = `manual-${randomUUID()}`;
    await control().setHubBehaviour(thingName, { mode: "silent" });
    await send(hubId, "get_nodes", { commandId });
    const document = (status: string, version: number) => ({
      messageType: "shadow-document",
      thingName,
      timestamp: Math.floor(Date.now() / 1000),
      current: {
        state: {
          desired: { commands: { [commandId]: { command: "get_nodes" } } },
          reported: { commands: { [commandId]: { status, result: { nodes: [] } } } },
        },
        version,
      },
    });
    const messages = [document("SUCCEEDED", 9), document("FAILED", 8), document("SUCCEEDED", 9)];
    await client().iot.ruleMessages.mutate({ secret: RULE_SECRET, messages });
    await client().iot.ruleMessages.mutate({ secret: RULE_SECRET, messages: [...messages].reverse() });
    const terminal = (await eventTypes(hubId)).filter((type) => /HubCommand(Succeeded|Failed)/.test(type));
    expect(terminal).toHaveLength(1);
    expect(
      await failure(client().iot.ruleMessages.mutate({ secret: "wrong-secret-wrong-secret", messages })),
    ).toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("presence flapping: one HubConnected/HubDisconnected per change; online and lastSeen on the hub", async () => {
    const { hubId, thingName } = await claimedHub();
    const changes = async () =>
      (await eventTypes(hubId)).filter((t) => t === "HubConnected" || t === "HubDisconnected").length;
    await waitFor(async () => (await changes()) === 1);
    // Each change once it is recorded: the rule delivers concurrently, and a change overtaken by a
    // later one (a higher versionNumber) is rightly ignored.
    for (const [connected, count] of [
      [false, 2],
      [true, 3],
      [false, 4],
    ] as const) {
      await system.current.setConnected(thingName, connected);
      await waitFor(async () => (await changes()) === count);
    }
    // A duplicate of a change already recorded adds nothing.
    await system.current.setConnected(thingName, false);
    const presence = (await eventTypes(hubId)).filter((t) => t === "HubConnected" || t === "HubDisconnected");
    expect(presence).toEqual(["HubConnected", "HubDisconnected", "HubConnected", "HubDisconnected"]);
    const hub = await client().hub.byId.query({ caller: org, hubId });
    expect(hub).toMatchObject({ online: false, lastSeen: expect.any(Number) });
  });
});
