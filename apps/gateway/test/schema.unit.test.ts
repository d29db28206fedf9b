import { readFileSync } from "node:fs";
import { ShadowUpdateError } from "@hub/shared";
import { graphql, printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILE } from "../src/print-schema.ts";
import { schema } from "../src/schema/index.ts";

describe("GraphQL schema", () => {
  it("matches the committed schema.graphql (run `npm run schema:print -w @hub/gateway` after API changes)", () => {
    expect(`${printSchema(schema)}\n`).toBe(readFileSync(SCHEMA_FILE, "utf8"));
  });

  it("offers provisionHub returning a result union of success and the expected failures", () => {
    const sdl = printSchema(schema);
    expect(sdl).toMatch(/provisionHub\(input: ProvisionHubInput!\): ProvisionHubResult!/);
    expect(sdl).toMatch(
      /union ProvisionHubResult = ConflictError \| ProvisionHubSuccess \| ThingNotFoundError \| UnavailableError \| ValidationError/,
    );
  });
});

describe("talking to the hub over GraphQL", () => {
  const hubId = "6f1c9f0e-8f8a-4c43-9a43-0b7c2f3a1e11";
  const sent: unknown[] = [];
  const view = {
    commandId: "cmd-1",
    hubId,
    command: "set_wifi_credentials",
    args: { ssid: "office" },
    secretArgs: ["credentials"],
    state: "SENT",
    result: null,
    reason: null,
    sentAt: 1,
    timeoutAt: 60_001,
    completedAt: null,
    sentBy: { kind: "admin", id: "a", orgId: null },
  };
  let shadowFails = false;
  const context = {
    requestId: "r",
    principal: async () => ({ kind: "admin", id: "a", permissions: [] }),
    hubService: {
      hub: {
        sendCommand: {
          mutate: async (input: { command: { hubId: string; commandId?: string } }) => {
            sent.push(input.command);
            if (shadowFails) throw new ShadowUpdateError(input.command.hubId, "could not reach AWS IoT");
            return {
              success: true,
              aggregateId: input.command.hubId,
              version: 3,
              event: null,
              commandId: input.command.commandId ?? "cmd-1",
              state: "SENT",
            };
          },
        },
        commissionDevice: { mutate: async () => Promise.reject(new Error("not reached")) },
        command: {
          query: async ({ commandId }: { commandId: string }) => (commandId === "cmd-1" ? view : null),
        },
      },
    },
  };
  const run = (source: string, variableValues?: Record<string, unknown>) =>
    graphql({ schema, contextValue: context, source, ...(variableValues ? { variableValues } : {}) });

  it("offers the device commands with their own result, the Hub's live fields and commands, hubCommand and the online filter", () => {
    const sdl = printSchema(schema);
    expect(sdl).toMatch(
      /union SendHubCommandResult = ConflictError \| DeviceCommandSent \| NotFoundError \| ShadowUpdateError \| UnavailableError \| ValidationError/,
    );
    expect(sdl).toMatch(/union CommissionDeviceResult = ConflictError \| DeviceCommandSent \|/);
    // Lifecycle commands keep CommandSuccess and HubOfflineError.
    expect(sdl).toMatch(/union ClaimHubResult = CommandSuccess \| ConflictError \| HubOfflineError \|/);
    expect(sdl).toMatch(/input SendHubCommandInput \{\n {2}args: JSONObject\n/);
    expect(sdl).toMatch(/hubCommand\(hubId: ID, id: ID!\): HubCommand\n/);
    expect(sdl).toMatch(/commands\(\n(.*\n)*? {4}state: HubCommandState\n {2}\): HubCommandConnection!/);
    for (const field of [
      "online: Boolean!",
      "lastSeen: Float",
      "firmwareVersion: String",
      "uptimeSeconds: Float",
    ]) {
      expect(sdl).toContain(`  ${field}\n`);
    }
    expect(sdl).toMatch(/input HubFilter \{(.*\n)*? {2}online: Boolean\n/);
  });

  it("sendHubCommand passes args as a JSON object (nulls inside kept) and answers DeviceCommandSent with its command", async () => {
    const result = await run(
      `mutation($input: SendHubCommandInput!) { sendHubCommand(input: $input) {
        __typename ... on DeviceCommandSent { success aggregateId version commandId state command { id state secretArgs args } }
      } }`,
      {
        input: {
          hubId,
          command: "set_wifi_credentials",
          args: { ssid: "office", credentials: "x", hidden: null },
          commandId: "cmd-1",
        },
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.sendHubCommand).toEqual({
      __typename: "DeviceCommandSent",
      success: true,
      aggregateId: hubId,
      version: 3,
      commandId: "cmd-1",
      state: "SENT",
      command: { id: "cmd-1", state: "SENT", secretArgs: ["credentials"], args: { ssid: "office" } },
    });
    expect(sent.at(-1)).toEqual({
      hubId,
      command: "set_wifi_credentials",
      args: { ssid: "office", credentials: "x", hidden: null },
      commandId: "cmd-1",
    });
  });

  it("answers a failed shadow write as ShadowUpdateError, and a bad code or commandId as ValidationError", async () => {
    shadowFails = true;
    try {
      const failed = await run(
        `mutation { sendHubCommand(input: {hubId: "${hubId}", command: "get_nodes"}) { __typename ... on ShadowUpdateError { hubId message } } }`,
      );
      expect(failed.data?.sendHubCommand).toMatchObject({ __typename: "ShadowUpdateError", hubId });
    } finally {
      shadowFails = false;
    }
    const badCode = await run(
      `mutation { commissionDevice(input: {hubId: "${hubId}", commissioningCode: "12345"}) { __typename ... on ValidationError { details { field } } } }`,
    );
    expect(badCode.data?.commissionDevice).toEqual({
      __typename: "ValidationError",
      details: [{ field: "commissioningCode" }],
    });
    const badId = await run(
      `mutation { sendHubCommand(input: {hubId: "${hubId}", command: "get_nodes", commandId: "a b"}) { __typename ... on ValidationError { details { field } } } }`,
    );
    expect(badId.data?.sendHubCommand).toEqual({
      __typename: "ValidationError",
      details: [{ field: "commandId" }],
    });
  });

  it("hubCommand reads one command by id, null when absent", async () => {
    const found = await run(`{ hubCommand(id: "cmd-1") { id hubId command sentBy { kind id orgId } } }`);
    expect(found.data?.hubCommand).toEqual({
      id: "cmd-1",
      hubId,
      command: "set_wifi_credentials",
      sentBy: { kind: "admin", id: "a", orgId: null },
    });
    expect((await run(`{ hubCommand(id: "cmd-2") { id } }`)).data?.hubCommand).toBeNull();
  });
});
