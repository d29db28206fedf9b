import { MAX_FIELD_LENGTH } from "@hub/shared";

const hubProvisionedEvent = {
  type: ["object", "null"],
  properties: {
    type: { type: "string", enum: ["HubProvisioned"] },
    data: {
      type: "object",
      properties: {
        hubId: { type: "string" },
        serial: { type: "string" },
        model: { type: "string" },
        thingName: { type: "string" },
        vendorName: { type: "string" },
        provisionedAt: { type: "number" },
      },
      required: ["hubId", "serial", "model", "thingName", "provisionedAt"],
    },
  },
  required: ["type", "data"],
};

const commandResult = {
  type: "object",
  properties: {
    success: { type: "boolean" },
    aggregateId: { type: "string" },
    version: { type: "number" },
    event: hubProvisionedEvent,
  },
  required: ["success", "aggregateId", "version", "event"],
};

const errorBody = {
  type: "object",
  properties: {
    success: { type: "boolean", enum: [false] },
    error: { type: "string" },
    message: { type: "string" },
    code: { type: "number" },
    details: {
      type: "array",
      items: {
        type: "object",
        properties: { field: { type: "string" }, message: { type: "string" } },
        required: ["field", "message"],
      },
    },
  },
  required: ["success", "error", "message"],
};

/**
 * `GET /hubs/{id}/status`. The contract also requires orgId, siteId, isPrimary and claimedAt, but
 * an unclaimed hub has none of them (and there is no ClaimHub yet): they are listed and described,
 * not required, and left out of the body rather than invented.
 */
const hubStatus = {
  type: "object",
  properties: {
    hubId: { type: "string" },
    serial: { type: "string" },
    model: { type: "string" },
    thingName: { type: "string" },
    status: { type: "string", enum: ["Provisioned", "Claimed", "Suspended", "Decommissioned"] },
    orgId: { type: "string", description: "Owning organization; present once the hub is claimed" },
    siteId: { type: "string", description: "Site; present once the hub is claimed" },
    isPrimary: { type: "boolean", description: "Primary hub of its site; present once known" },
    provisionedAt: { type: "number" },
    claimedAt: { type: "number", description: "Epoch ms of the claim; present once the hub is claimed" },
    online: { type: "boolean", description: "From the Thing Shadow; not reported by this backend" },
    lastSeen: { type: "number", description: "From the Thing Shadow; not reported by this backend" },
    version: { type: "string", description: "Firmware version; not reported by this backend" },
    uptimeSeconds: { type: "number", description: "From the Thing Shadow; not reported by this backend" },
  },
  required: ["hubId", "serial", "model", "thingName", "status", "provisionedAt"],
};

/** The contract's 404 body for queries (not the command error shape). */
const notFoundBody = {
  type: "object",
  properties: {
    success: { type: "boolean" },
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: { code: { type: "number" }, message: { type: "string" } },
        required: ["code", "message"],
      },
    },
  },
  required: ["success", "errors"],
};

const json = <S>(schema: S) => ({ "application/json": { schema } });
const error = (description: string, headers?: Record<string, unknown>) => ({
  description,
  content: json({ $ref: "#/components/schemas/Error" }),
  ...(headers ? { headers } : {}),
});
const retryAfter = {
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } },
};
const text = (max: number) => ({ type: "string", minLength: 1, maxLength: max });

/** OpenAPI 3.1 description of the REST surface, served at /openapi.json. */
export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Hub provisioning API",
    version: "1.0.0",
    description: "Registers manufactured IoT hubs. Compatible with the SmartphoneKey hub API.",
  },
  servers: [{ url: "/" }],
  components: {
    securitySchemes: {
      BearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" },
    },
    schemas: { Error: errorBody, CommandResult: commandResult, HubStatus: hubStatus, NotFound: notFoundBody },
  },
  security: [{ BearerAuth: [] }, { ApiKeyAuth: [] }],
  paths: {
    "/hubs/{id}/ProvisionHub": {
      post: {
        operationId: "post_ProvisionHubRoute",
        summary: "Provision hub",
        description:
          "Registers a manufactured hub in the backend. The IoT Thing must already exist in AWS IoT (created during manufacturing).",
        parameters: [
          {
            name: "id",
            in: "path",
            required: true,
            description: "Hub ID (UUID)",
            schema: { type: "string", format: "uuid" },
          },
        ],
        requestBody: {
          required: true,
          content: json({
            type: "object",
            additionalProperties: false,
            properties: {
              hubId: { type: "string", format: "uuid", description: "Hub ID, equal to the path id" },
              serial: { ...text(MAX_FIELD_LENGTH), description: "Hub serial number" },
              model: { ...text(MAX_FIELD_LENGTH), description: "Hub model identifier" },
              thingName: {
                ...text(MAX_FIELD_LENGTH),
                pattern: "^[a-zA-Z0-9:_-]+$",
                description: "AWS IoT Thing name (defaults to hubId)",
              },
              vendorName: { ...text(MAX_FIELD_LENGTH), description: "Vendor/manufacturer name" },
            },
            required: ["hubId", "serial", "model"],
          }),
        },
        responses: {
          "200": {
            description: "Hub already provisioned — idempotent no-op (event: null)",
            content: json(commandResult),
          },
          "201": { description: "Hub provisioned successfully", content: json(commandResult) },
          "400": error("Invalid request — validation failed (details name each field)"),
          "401": error("Missing or invalid authentication credentials"),
          "403": error("Authenticated but not allowed to provision hubs"),
          "409": error(
            "Conflict — provisioned with a different payload, or serial/thingName used by another hub",
          ),
          "413": error("Request body larger than 1 MiB"),
          "415": error("Content-Type is not application/json"),
          "422": error("The AWS IoT Thing does not exist"),
          "429": error("Rate limited", retryAfter),
          "503": error("A dependency is unavailable; nothing was written", retryAfter),
        },
      },
    },
    "/hubs/{id}/status": {
      get: {
        operationId: "get_GetHubStatusRoute",
        summary: "Get hub status",
        description:
          "One hub's state from the read model. Allowed for admins, services and organizations with hubs:read.",
        parameters: [
          {
            name: "id",
            in: "path",
            required: true,
            description: "Hub ID (UUID; anything else is not found)",
            schema: { type: "string" },
          },
        ],
        responses: {
          "200": { description: "Hub status retrieved successfully", content: json(hubStatus) },
          "401": error("Missing or invalid authentication credentials"),
          "403": error("Authenticated but not allowed to read hubs"),
          "404": { description: "Hub not found", content: json(notFoundBody) },
          "429": error("Rate limited", retryAfter),
          "503": error("A dependency is unavailable", retryAfter),
        },
      },
    },
  },
} as const;
