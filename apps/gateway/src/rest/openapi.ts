import {
  hubStatuses,
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

function lifecyclePath(name: LifecycleCommandName) {
  const spec = lifecycleCommands[name];
  return {
    post: {
      operationId: `post_${name}Route`,
      summary: spec.summary,
      ...(spec.extension ? { "x-extension": true } : {}),
      parameters: [pathId],
      requestBody: { required: true, content: json(jsonSchema(spec.body, "input")) },
      responses: {
        "200": {
          description: "Done; `event` is null when the command's effect already held (idempotent retry)",
          content: json(jsonSchema(spec.result, "output")),
        },
        ...commonErrors,
        "404": error("The hub does not exist (or belongs to another organization)"),
        "409": error(
          "The command contradicts the hub's state; `reason` says why (the contract answers 400 here)",
        ),
        ...(spec.needsOnline ? { "502": error("The hub is offline (not connected to AWS IoT)") } : {}),
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
  },
};
