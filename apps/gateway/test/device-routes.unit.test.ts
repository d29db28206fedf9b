import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { createMetricsEndpoint, createMetricsRegistry } from "@hub/observability";
import {
  type HubCommandView,
  type HubView,
  NotFoundError,
  type Principal,
  ShadowUpdateError,
  UnauthenticatedError,
  UnavailableError,
} from "@hub/shared";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubService } from "../src/backend.ts";
import { createGatewayServer } from "../src/http-server.ts";
import { createGatewayMetrics } from "../src/metrics.ts";
import { anonymousCharge, createRateLimiters } from "../src/rate-limit.ts";
import { contract, schemaErrors } from "./support/contract.ts";

/*
 * The REST routes of talking to the hub against a stand-in for hub-service: what the gateway
 * validates itself (bodies, path ids), what it forwards (the rule's secret header, the caller) and
 * how it maps hub-service's answers. The real hub-service behind them: lifecycle.e2e.test.ts.
 */

const hubId = randomUUID();
const otherHubId = randomUUID();
const SECRET = "rule-secret-value";
const calls: { path: string; input: unknown }[] = [];
const command: HubCommandView = {
  commandId: "cmd-1",
  hubId,
  command: "server_info",
  args: null,
  secretArgs: [],
  state: "SUCCEEDED",
  result: { firmwareVersion: "2.4.1", uptimeSeconds: 12 },
  reason: null,
  sentAt: 1_000,
  timeoutAt: 61_000,
  completedAt: 1_500,
  sentBy: { kind: "admin", id: "admin-1", orgId: null },
};
const hub: HubView = {
  hubId,
  serial: "SN-1",
  model: "HUB-2",
  thingName: "thing-1",
  vendorName: null,
  status: "Provisioned",
  version: 7,
  provisionedAt: 1_000,
  updatedAt: 2_000,
  provisionedByOrgId: null,
  orgId: null,
  siteId: null,
  isPrimary: false,
  claimedAt: null,
  online: true,
  lastSeen: 5_000,
  firmwareVersion: "2.4.1",
  uptimeSeconds: 12,
};
let shadowFails = false;

const record = (path: string) => async (input: unknown) => {
  calls.push({ path, input });
  return input;
};
const hubService = {
  hub: {
    byId: {
      query: async ({ hubId: id }: { hubId: string }) =>
        id === hubId ? hub : id === otherHubId ? null : null,
    },
    command: {
      query: async (input: { hubId: string; commandId: string }) => {
        calls.push({ path: "hub.command", input });
        if (input.hubId === otherHubId) throw new NotFoundError("Hub not found");
        return input.hubId === hubId && input.commandId === command.commandId ? command : null;
      },
    },
    sendCommand: {
      mutate: async (input: { command: { hubId: string; commandId?: string } }) => {
        calls.push({ path: "hub.sendCommand", input });
        if (shadowFails) throw new ShadowUpdateError(input.command.hubId, "could not reach AWS IoT");
        return {
          success: true,
          aggregateId: input.command.hubId,
          version: 8,
          event: null,
          commandId: input.command.commandId ?? "generated-id",
          state: "SENT",
        };
      },
    },
    commissionDevice: {
      mutate: async (input: { command: { hubId: string } }) => {
        calls.push({ path: "hub.commissionDevice", input });
        throw new UnavailableError(
          "The AWS IoT data plane is temporarily unavailable. Please retry later",
          3,
        );
      },
    },
  },
  iot: {
    ruleMessages: {
      mutate: async (input: { secret?: string; messages: unknown[] }) => {
        calls.push({ path: "iot.ruleMessages", input });
        if (input.secret !== SECRET)
          throw new UnauthenticatedError("The topic rule's secret header is missing or wrong");
        return {
          messages: input.messages.length,
          events: 0,
          unknownThings: input.messages.length,
          invalid: 0,
        };
      },
    },
    ruleConfirmation: { mutate: record("iot.ruleConfirmation") },
  },
} as unknown as HubService;

const admin: Principal = { kind: "admin", id: "admin-1", permissions: [] };
let server: http.Server;
let base = "";

beforeAll(async () => {
  const registry = createMetricsRegistry();
  server = createGatewayServer({
    hubService,
    yoga: (() => undefined) as never,
    authenticate: async (credentials) => {
      if (!credentials.authorization) throw new UnauthenticatedError();
      return admin;
    },
    logger: pino({ level: "silent" }),
    bodyLimitBytes: 1024 * 1024,
    requestTimeoutMs: 5_000,
    hubServiceTimeoutMs: 5_000,
    metrics: createGatewayMetrics(registry),
    metricsEndpoint: createMetricsEndpoint(registry, { host: "127.0.0.1", production: false }),
    readiness: async () => ({ ready: true, checks: {} }),
    iotRuleHeaderName: "x-hub-rule-secret",
    // Per client IP: what fails the rule's secret, and AWS's unauthenticated confirmations.
    chargeAnonymous: anonymousCharge(
      await createRateLimiters({ points: 1000, ipPoints: 8, windowSeconds: 60 }),
    ),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const auth = { authorization: "Bearer t", "content-type": "application/json" };
async function post(path: string, body: unknown, headers: Record<string, string> = auth) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}
const contractSchema = (name: string, status: string) =>
  contract.paths[`/hubs/{id}/${name}`]?.post?.responses[status]?.content["application/json"]?.schema ?? {};

describe("POST /hubs/{id}/SendHubCommand and /CommissionDevice", () => {
  it("answers 200 with the contract's body plus commandId and state", async () => {
    const { status, body } = await post(`/hubs/${hubId}/SendHubCommand`, {
      hubId,
      command: "set_wifi_credentials",
      args: { ssid: "office", credentials: "hunter2" },
      commandId: "my-id-1",
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      success: true,
      aggregateId: hubId,
      version: 8,
      event: null,
      commandId: "my-id-1",
      state: "SENT",
    });
    expect(schemaErrors(contractSchema("SendHubCommand", "200"), body)).toEqual([]);
    expect(calls.at(-1)).toMatchObject({
      path: "hub.sendCommand",
      input: { caller: { principal: admin }, command: { hubId, command: "set_wifi_credentials" } },
    });
  });

  it.each([
    [
      "a bad commissioning code",
      "CommissionDevice",
      { hubId, commissioningCode: "12345" },
      "commissioningCode",
    ],
    [
      "a bad commandId",
      "SendHubCommand",
      { hubId, command: "get_nodes", commandId: "no spaces!" },
      "commandId",
    ],
    [
      "a commandId over 64 characters",
      "CommissionDevice",
      { hubId, commissioningCode: "12345678901", commandId: "x".repeat(65) },
      "commandId",
    ],
    ["an unknown field", "SendHubCommand", { hubId, command: "get_nodes", extra: 1 }, "extra"],
    ["args that are not an object", "SendHubCommand", { hubId, command: "get_nodes", args: [1] }, "args"],
    ["an empty command", "SendHubCommand", { hubId, command: "" }, "command"],
    [
      "a hubId other than the path's",
      "SendHubCommand",
      { hubId: randomUUID(), command: "get_nodes" },
      "hubId",
    ],
  ])(
    "refuses %s: 400 with the contract's error body, hub-service not called",
    async (_label, name, payload, field) => {
      const before = calls.length;
      const { status, body } = await post(`/hubs/${hubId}/${name}`, payload);
      expect(status).toBe(400);
      expect(schemaErrors(contractSchema(name, "400"), body)).toEqual([]);
      expect((body.details as { field: string }[]).map((d) => d.field)).toContain(field);
      expect(calls.length).toBe(before);
    },
  );

  it("takes both Matter code forms", async () => {
    for (const commissioningCode of ["12345678901", "123456789012345678901", "MT:Y.K9042C00KA0648G00"]) {
      const { status } = await post(`/hubs/${hubId}/CommissionDevice`, { hubId, commissioningCode });
      // The stand-in answers 503 to every CommissionDevice: the body passed validation.
      expect(status).toBe(503);
    }
  });

  it("answers a failed shadow write 502 with the contract's 502 body and no Retry-After", async () => {
    shadowFails = true;
    try {
      const { status, body, headers } = await post(`/hubs/${hubId}/SendHubCommand`, {
        hubId,
        command: "get_nodes",
      });
      expect(status).toBe(502);
      expect(body).toMatchObject({ success: false, error: "Bad Gateway", code: 502 });
      expect(schemaErrors(contractSchema("SendHubCommand", "502"), body)).toEqual([]);
      expect(headers.get("retry-after")).toBeNull();
    } finally {
      shadowFails = false;
    }
  });

  it("answers an unavailable data plane 503 with Retry-After", async () => {
    const { status, headers } = await post(`/hubs/${hubId}/CommissionDevice`, {
      hubId,
      commissioningCode: "12345678901",
    });
    expect(status).toBe(503);
    expect(headers.get("retry-after")).toBe("3");
  });

  it("needs credentials (401)", async () => {
    const { status } = await post(
      `/hubs/${hubId}/SendHubCommand`,
      { hubId, command: "get_nodes" },
      {
        "content-type": "application/json",
      },
    );
    expect(status).toBe(401);
  });
});

describe("GET /hubs/{id}/commands/{commandId}", () => {
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: "Bearer t" } });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it("answers the command view", async () => {
    expect(await get(`/hubs/${hubId}/commands/cmd-1`)).toEqual({ status: 200, body: command });
  });

  it.each([
    ["an unknown command", `/hubs/${hubId}/commands/cmd-2`],
    ["a command id no command can have", `/hubs/${hubId}/commands/not%20an%20id`],
    ["a hub id that is no UUID", "/hubs/not-a-uuid/commands/cmd-1"],
    ["a hub the caller may not see", `/hubs/${otherHubId}/commands/cmd-1`],
  ])("answers 404 for %s (the query 404 body)", async (_label, path) => {
    const { status, body } = await get(path);
    expect(status).toBe(404);
    expect(body).toEqual({ success: false, errors: [{ code: 404, message: "Command not found" }] });
  });
});

describe("GET /hubs/{id}/status live fields", () => {
  it("adds online, lastSeen, the firmware version and uptime; omits the unknown ones", async () => {
    const response = await fetch(`${base}/hubs/${hubId}/status`, { headers: { authorization: "Bearer t" } });
    const body = await response.json();
    expect(body).toMatchObject({ online: true, lastSeen: 5_000, version: "2.4.1", uptimeSeconds: 12 });
    const schema =
      contract.paths["/hubs/{id}/status"]?.get?.responses["200"]?.content["application/json"]?.schema;
    // The contract requires the claim fields, which an unclaimed hub has not (documented divergence).
    const errors = schemaErrors(schema ?? {}, body).filter(
      (e) => !/orgId|siteId|isPrimary|claimedAt/.test(e),
    );
    expect(errors).toEqual([]);
    const unknown = { ...hub, lastSeen: null, firmwareVersion: null, uptimeSeconds: null, online: false };
    const { toHubStatusBody } = await import("../src/rest/hub-status.ts");
    const printed = toHubStatusBody(unknown);
    expect(printed.online).toBe(false);
    for (const field of ["lastSeen", "version", "uptimeSeconds"]) expect(printed).not.toHaveProperty(field);
  });
});

describe("POST /iot/rule", () => {
  const message = { clientId: "thing-1", timestamp: 1, eventType: "connected", versionNumber: 1 };

  it("forwards one message or a batch with the secret header's value: 200 with the summary", async () => {
    const one = await post("/iot/rule", message, {
      "content-type": "application/json",
      "x-hub-rule-secret": SECRET,
    });
    expect(one).toMatchObject({ status: 200, body: { messages: 1 } });
    expect(calls.at(-1)).toEqual({
      path: "iot.ruleMessages",
      input: { secret: SECRET, messages: [message] },
    });
    const batch = await post("/iot/rule", [message, message], { "x-hub-rule-secret": SECRET });
    expect(batch).toMatchObject({ status: 200, body: { messages: 2 } });
    // No caller is forwarded: the gateway calls hub-service as itself.
    expect(calls.at(-1)?.input).not.toHaveProperty("caller");
  });

  it.each([
    ["without the secret header", { "content-type": "application/json" }],
    ["with a wrong secret", { "content-type": "application/json", "x-hub-rule-secret": "wrong" }],
    ["with a JWT but no secret", { ...auth }],
  ])("answers 401 %s", async (_label, headers) => {
    const { status, body } = await post("/iot/rule", message, headers);
    expect(status).toBe(401);
    expect(body).toMatchObject({ success: false, code: 401 });
  });

  it("passes AWS's destination confirmation to hub-service: 200", async () => {
    const confirmation = {
      arn: "arn:aws:iot:eu-west-1:123456789012:ruledestination/http/8d6b1d5e-5f3c-4e0a-9d7e-0f1a2b3c4d5e",
      confirmationToken: "token-1",
      enableUrl: "https://iot.eu-west-1.amazonaws.com/confirmdestination/token-1",
      messageType: "DestinationConfirmation",
    };
    const { status } = await post("/iot/rule", confirmation, {
      "content-type": "application/json",
      "x-amz-rules-engine-message-type": "DestinationConfirmation",
    });
    expect(status).toBe(200);
    expect(calls.at(-1)).toEqual({
      path: "iot.ruleConfirmation",
      input: { arn: confirmation.arn, confirmationToken: "token-1", enableUrl: confirmation.enableUrl },
    });
    const missing = await post(
      "/iot/rule",
      { arn: confirmation.arn },
      {
        "content-type": "application/json",
        "x-amz-rules-engine-message-type": "DestinationConfirmation",
      },
    );
    expect(missing.status).toBe(400);
  });

  it("throttles a client guessing the secret (429 past its IP budget); the rule's own messages still pass", async () => {
    const wrong = { "content-type": "application/json", "x-hub-rule-secret": "guess" };
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await post("/iot/rule", message, wrong)).status);
    expect(statuses).toContain(429);
    expect(statuses.at(-1)).toBe(429);
    const genuine = await post("/iot/rule", message, { "x-hub-rule-secret": SECRET });
    expect(genuine.status).toBe(200);
  });

  it("refuses what is not JSON (400) and bodies over the limit (413)", async () => {
    expect((await post("/iot/rule", "{not json", { "x-hub-rule-secret": SECRET })).status).toBe(400);
    const response = await fetch(`${base}/iot/rule`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-rule-secret": SECRET },
      body: JSON.stringify({ blob: "x".repeat(1024 * 1024 + 10) }),
    });
    expect(response.status).toBe(413);
  });
});
