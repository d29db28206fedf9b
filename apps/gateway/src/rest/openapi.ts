import {
  hubCommandViewSchema,
  hubDeletionModes,
  hubDeletionResultSchema,
  hubStatuses,
  isDeviceCommand,
  type LifecycleCommandName,
  lifecycleCommandNames,
  lifecycleCommands,
  provisionHubBodySchema,
  provisionHubResultSchema,
} from "@hub/shared";
import { z } from "zod";
import { provisionHubsBodySchema, provisionHubsResponseSchema } from "./provision-hubs.ts";
import { errorBodySchema } from "./responses.ts";

/*
 * OpenAPI 3.1 description of the REST surface, served at /openapi.json. Request and response
 * bodies are printed from the same zod schemas the routes validate with (z.toJSONSchema), so the
 * document cannot drift from the code; a test checks it against the contract's schemas.
 */

const jsonSchema = (schema: z.ZodType, io: "input" | "output") => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: "draft-2020-12" });
  return rest;
};

/**
 * `GET /hubs/{id}/status`. The contract requires orgId, siteId, isPrimary and claimedAt too, but
 * an unclaimed hub has none of them: they are present once the hub is claimed, never invented.
 */
export const hubStatusBodySchema = z.object({
  hubId: z.string(),
  serial: z.string(),
  model: z.string(),
  thingName: z.string(),
  status: z.enum(hubStatuses),
  provisionedAt: z.number().describe("Epoch ms"),
  orgId: z.string().optional().describe("Owning organization; present once the hub is claimed"),
  siteId: z.string().optional().describe("Site; present once the hub is claimed"),
  isPrimary: z.boolean().optional().describe("Primary hub of its site; present once the hub is claimed"),
  claimedAt: z.number().optional().describe("Epoch ms of the claim; present once the hub is claimed"),
  online: z.boolean().describe("Connected to AWS IoT now (its last presence event)"),
  lastSeen: z.number().optional().describe("Epoch ms the hub was last heard from; absent until it was"),
  version: z
    .string()
    .optional()
    .describe("The hub's firmware version, as it last reported it (server_info); absent until then"),
  uptimeSeconds: z
    .number()
    .optional()
    .describe("The hub's uptime, as it last reported it (server_info); absent until then"),
});

/** What POST /iot/rule answers for the rule's messages (hub-service's summary). */
export const ruleMessagesSummarySchema = z.object({
  messages: z.number().int().describe("Messages received"),
  events: z
    .number()
    .int()
    .describe("Events appended from them (a redelivered or stale message appends none)"),
  unknownThings: z.number().int().describe("Messages about Things that are no hub of this backend"),
  invalid: z.number().int().describe("Messages that are neither a shadow document nor a presence event"),
});
/** What POST /iot/rule answers for AWS's destination confirmation. */
export const ruleConfirmationAnswerSchema = z.object({
  confirmed: z.boolean().describe("Confirmed at once (where configured), or recorded for an operator"),
});

/** The contract's 404 body for queries (not the command error shape). */
export const notFoundBodySchema = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number(), message: z.string() })),
});

const json = (schema: object) => ({ "application/json": { schema } });
const error = (description: string, headers?: Record<string, unknown>) => ({
  description,
  content: json({ $ref: "#/components/schemas/Error" }),
  ...(headers ? { headers } : {}),
});
const retryAfter = {
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } },
};
const pathId = {
  name: "id",
  in: "path",
  required: true,
  description: "Hub ID (UUID), equal to the body's hubId",
  schema: { type: "string", format: "uuid" },
};
const commonErrors = {
  "400": error("Invalid request — validation failed (details name each field)"),
  "401": error("Missing or invalid authentication credentials"),
  "403": error("Authenticated but not allowed"),
  "413": error("Request body larger than 1 MiB"),
  "415": error("Content-Type is not application/json"),
  "429": error("Rate limited", retryAfter),
  "503": error("A dependency is unavailable; nothing was written", retryAfter),
};

/** Marks a printed object schema's `fields` as this backend's own (`x-extension`). */
function markExtensionFields(schema: Record<string, unknown>, fields: readonly string[]) {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const field of fields) {
    const property = properties[field];
    if (property) properties[field] = { ...property, "x-extension": true };
  }
  return schema;
}

function lifecyclePath(name: LifecycleCommandName) {
  const spec = lifecycleCommands[name];
  // A command to the hub itself: our `commandId` (body and answer) and `state` (answer) extend the
  // contract's; the shadow write can fail (502).
  const device = isDeviceCommand(name);
  const body = jsonSchema(spec.body, "input");
  const result = jsonSchema(spec.result, "output");
  if (device) {
    markExtensionFields(body, ["commandId"]);
    markExtensionFields(result, ["commandId", "state"]);
  }
  return {
    post: {
      operationId: `post_${name}Route`,
      summary: spec.summary,
      ...(spec.extension ? { "x-extension": true } : {}),
      parameters: [pathId],
      requestBody: { required: true, content: json(body) },
      responses: {
        "200": device
          ? {
              description:
                "Written into the hub's Device Shadow (or already sent under this commandId): `event` is null; " +
                "`commandId` and `state` (SENT, then SUCCEEDED, FAILED, REJECTED or TIMED_OUT) track it, see " +
                "GET /hubs/{id}/commands/{commandId}",
              content: json(result),
            }
          : {
              description: "Done; `event` is null when the command's effect already held (idempotent retry)",
              content: json(result),
            },
        ...commonErrors,
        "404": error("The hub does not exist (or belongs to another organization)"),
        "409": error(
          "The command contradicts the hub's state; `reason` says why (the contract answers 400 here)",
        ),
        ...(spec.needsOnline ? { "502": error("The hub is offline (not connected to AWS IoT)") } : {}),
        ...(device
          ? {
              "502": error(
                "Shadow update failed (AWS IoT refused it or could not be reached); nothing was sent",
              ),
            }
          : {}),
      },
    },
  };
}

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Hub provisioning API",
    version: "1.1.0",
    description:
      "Registers manufactured IoT hubs and runs their lifecycle. Compatible with the SmartphoneKey hub API; " +
      "operations marked x-extension are this backend's own.",
  },
  servers: [{ url: "/" }],
  components: {
    securitySchemes: {
      BearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" },
    },
    schemas: {
      Error: jsonSchema(errorBodySchema, "output"),
      HubStatus: jsonSchema(hubStatusBodySchema, "output"),
      NotFound: jsonSchema(notFoundBodySchema, "output"),
      HubCommand: jsonSchema(hubCommandViewSchema, "output"),
    },
  },
  security: [{ BearerAuth: [] }, { ApiKeyAuth: [] }],
  paths: {
    "/hubs/{id}/ProvisionHub": {
      post: {
        operationId: "post_ProvisionHubRoute",
        summary: "Provision hub",
        description:
          "Registers a manufactured hub in the backend. The IoT Thing must already exist in AWS IoT (created during manufacturing).",
        parameters: [pathId],
        requestBody: { required: true, content: json(jsonSchema(provisionHubBodySchema, "input")) },
        responses: {
          "200": {
            description: "Hub already provisioned — idempotent no-op (event: null)",
            content: json(jsonSchema(provisionHubResultSchema, "output")),
          },
          "201": {
            description: "Hub provisioned successfully",
            content: json(jsonSchema(provisionHubResultSchema, "output")),
          },
          ...commonErrors,
          "403": error("Authenticated but not allowed to provision hubs"),
          "409": error(
            "Conflict — provisioned with a different payload, or serial/thingName used by another hub",
          ),
          "422": error("The AWS IoT Thing does not exist"),
        },
      },
    },
    "/hubs/ProvisionHubs": {
      post: {
        operationId: "post_ProvisionHubsRoute",
        summary: "Provision hubs in bulk",
        "x-extension": true,
        description:
          "Registers 1 to 1,000 manufactured hubs (a manufacturing line's batch). Items are independent, not one " +
          "transaction: the answer is 200 with one result per item, in order, each with the status and body " +
          "POST /hubs/{id}/ProvisionHub would have answered for it (201, 200, 400, 409, 422, 503 with retryAfter, " +
          "500 for an unexpected failure of that item), " +
          "and a summary. Items naming the same hub or serial are applied in order. Re-sending a batch is safe. " +
          "Registry calls stay under the AWS account's quota, so a large batch takes about its size ÷ 300 seconds.",
        requestBody: { required: true, content: json(jsonSchema(provisionHubsBodySchema, "input")) },
        responses: {
          "200": {
            description: "One result per item (whatever each item's outcome) and a summary",
            content: json(jsonSchema(provisionHubsResponseSchema, "output")),
          },
          ...commonErrors,
          "400": error("Not a list of 1 to 1,000 items (the items themselves are answered one by one)"),
          "403": error("Authenticated but not allowed to provision hubs"),
        },
      },
    },
    "/admin/cleanup/hubs/{hubId}": {
      delete: {
        operationId: "delete_DeleteHubRoute",
        tags: ["Admin", "Cleanup"],
        summary: "Delete hub aggregate",
        description:
          "Deletes a hub. DELETE_DO_ONLY drops its read model (row and commands) and rebuilds it from its " +
          "events, which are kept, in the same transaction. DELETE_DO_AND_EVENTS archives its events (JSON " +
          "lines, with `<file>.sha256` beside it, in HUB_ARCHIVE_DIR) and deletes them with its read model, " +
          "commands and webhook deliveries: its serial and Thing name are free again. A claimed, active hub's " +
          "events need force=true (409 HUB_ACTIVE). Requires dual authentication: `Authorization: Bearer " +
          "<admin JWT>` and an API key holding hubs:delete (`X-API-Key`, or `X-Admin-API-Key` as the " +
          "contract names it); either missing is 401. Every deletion writes an audit record; a refusal " +
          "writes nothing.",
        security: [{ BearerAuth: [], ApiKeyAuth: [] }],
        parameters: [
          {
            ...pathId,
            name: "hubId",
            description: "Hub ID (UUID; anything else is not found)",
            schema: { type: "string" },
          },
          {
            name: "mode",
            in: "query",
            required: true,
            description:
              "Deletion mode: DELETE_DO_ONLY keeps the events and rebuilds the read model, DELETE_DO_AND_EVENTS archives and removes everything",
            schema: { type: "string", enum: [...hubDeletionModes] },
          },
          {
            name: "force",
            in: "query",
            required: false,
            "x-extension": true,
            description: "true: delete a claimed, active hub's events too",
            schema: { type: "string", enum: ["true", "false"] },
          },
          {
            name: "X-Admin-API-Key",
            in: "header",
            required: false,
            description: "The operator's API key (hubs:delete), when not sent as X-API-Key",
            schema: { type: "string" },
          },
        ],
        responses: {
          "200": {
            description: "Hub deleted",
            content: json(
              markExtensionFields(jsonSchema(hubDeletionResultSchema, "output"), [
                "auditRecordId",
                "eventCount",
                "archiveSha256",
              ]),
            ),
          },
          "400": error("Invalid mode (or force) parameter"),
          "401": error("Missing or invalid authentication: both the admin JWT and the API key are required"),
          "403": error("Not an admin token, or the API key lacks hubs:delete"),
          "404": error("Hub not found"),
          "409": error(
            "The hub is claimed and active: decommission it, or send force=true (reason HUB_ACTIVE)",
          ),
          "429": error("Rate limited", retryAfter),
          "500": error("Internal server error (nothing was deleted)"),
          "503": error("A dependency is unavailable; nothing was deleted", retryAfter),
        },
      },
    },
    "/hubs/{id}/status": {
      get: {
        operationId: "get_GetHubStatusRoute",
        summary: "Get hub status",
        description:
          "One hub's state from the read model. Admins and services: any hub; organizations with hubs:read: their own (another's is 404).",
        parameters: [
          { ...pathId, description: "Hub ID (UUID; anything else is not found)", schema: { type: "string" } },
        ],
        responses: {
          "200": {
            description: "Hub status retrieved successfully",
            content: json({ $ref: "#/components/schemas/HubStatus" }),
          },
          "401": error("Missing or invalid authentication credentials"),
          "403": error("Authenticated but not allowed to read hubs"),
          "404": { description: "Hub not found", content: json({ $ref: "#/components/schemas/NotFound" }) },
          "429": error("Rate limited", retryAfter),
          "503": error("A dependency is unavailable", retryAfter),
        },
      },
    },
    ...Object.fromEntries(lifecycleCommandNames.map((name) => [`/hubs/{id}/${name}`, lifecyclePath(name)])),
    "/hubs/{id}/commands/{commandId}": {
      get: {
        operationId: "get_HubCommandRoute",
        summary: "Get a command sent to a hub (extension)",
        "x-extension": true,
        description:
          "One command of SendHubCommand or CommissionDevice as tracked to its outcome: its state (SENT, SUCCEEDED, " +
          "FAILED, REJECTED, TIMED_OUT), the hub's result or reason, who sent it and when. Secret arguments " +
          "(Wi-Fi credentials, setup codes) appear by name only. Who may read the hub may read its commands.",
        parameters: [
          { ...pathId, description: "Hub ID (UUID; anything else is not found)", schema: { type: "string" } },
          {
            name: "commandId",
            in: "path",
            required: true,
            description: "The command's id, as its POST answered it",
            schema: { type: "string" },
          },
        ],
        responses: {
          "200": { description: "The command", content: json({ $ref: "#/components/schemas/HubCommand" }) },
          "401": error("Missing or invalid authentication credentials"),
          "403": error("Authenticated but not allowed to read hubs"),
          "404": {
            description: "No such command of this hub (or the hub belongs to another organization)",
            content: json({ $ref: "#/components/schemas/NotFound" }),
          },
          "429": error("Rate limited", retryAfter),
          "503": error("A dependency is unavailable", retryAfter),
        },
      },
    },
    "/iot/rule": {
      post: {
        operationId: "post_IotRuleRoute",
        summary: "AWS IoT topic rule HTTP action (extension)",
        "x-extension": true,
        description:
          "The endpoint of the AWS IoT topic rule that forwards the hubs' shadow update documents and presence " +
          "events. Not authenticated by JWT or API key: the rule sends its secret in the header named by the " +
          "gateway's IOT_RULE_HEADER_NAME (default x-hub-rule-secret). With `x-amz-rules-engine-message-type: " +
          "DestinationConfirmation` the body is AWS's confirmation of the destination ({arn, confirmationToken, " +
          "enableUrl}), recorded (or confirmed where configured). Any number of redeliveries is safe.",
        security: [],
        parameters: [
          {
            name: "x-hub-rule-secret",
            in: "header",
            required: false,
            description:
              "The rule's secret (the header's name is IOT_RULE_HEADER_NAME); required for messages",
            schema: { type: "string" },
          },
          {
            name: "x-amz-rules-engine-message-type",
            in: "header",
            required: false,
            description: "DestinationConfirmation for AWS's destination confirmation",
            schema: { type: "string" },
          },
        ],
        requestBody: {
          required: true,
          content: json({
            oneOf: [
              { type: "object", description: "One message (a shadow update document, a presence event)" },
              { type: "array", items: { type: "object" }, minItems: 1, maxItems: 1000 },
            ],
          }),
        },
        responses: {
          "200": {
            description: "Taken (the summary), or the destination confirmation recorded",
            content: json({
              oneOf: [
                jsonSchema(ruleMessagesSummarySchema, "output"),
                jsonSchema(ruleConfirmationAnswerSchema, "output"),
              ],
            }),
          },
          "400": error("Not JSON, or not a destination confirmation AWS would send"),
          "401": error("The rule's secret header is missing or wrong"),
          "413": error("Request body larger than 1 MiB"),
          "503": error("A dependency is unavailable; retry (the rule does)", retryAfter),
        },
      },
    },
  },
};
