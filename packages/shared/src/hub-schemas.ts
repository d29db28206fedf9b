import { z } from "zod";
import { hubStatuses } from "./vocabulary.ts";

/** Bound on every free-text field: large enough for real serials/models, small enough to index. */
export const MAX_FIELD_LENGTH = 128;

// AWS IoT thing names: https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html
export const THING_NAME_PATTERN = /^[a-zA-Z0-9:_-]+$/;

/**
 * Control characters (C0 and DEL) and lone surrogates. NUL cannot be stored in PostgreSQL text at
 * all and a lone surrogate is not Unicode (it would be stored as U+FFFD, not verbatim); neither
 * belongs in a serial or a name, and controls in stored text end up in logs and dashboards.
 * With the `u` flag a surrogate pair is one code point, so only lone halves match.
 */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f\ud800-\udfff]/u;

/** True for text that can be stored and shown verbatim (see UNSAFE_TEXT). */
export function isSafeText(value: string): boolean {
  return !UNSAFE_TEXT.test(value);
}

export const boundedText = (label: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `${label} is required` : `${label} must be a string`),
    })
    .trim()
    .min(1, { error: `${label} must not be empty` })
    .max(MAX_FIELD_LENGTH, { error: `${label} must be at most ${MAX_FIELD_LENGTH} characters` })
    .refine(isSafeText, { error: `${label} must not contain control characters or invalid Unicode` });

export const hubIdSchema = z.uuid({ error: "must be a UUID" });

export const thingNameSchema = z
  .string({ error: "thingName must be a string" })
  .trim()
  .min(1, { error: "thingName must not be empty" })
  .max(MAX_FIELD_LENGTH, { error: `thingName must be at most ${MAX_FIELD_LENGTH} characters` })
  .regex(THING_NAME_PATTERN, {
    error: "thingName must be a valid AWS IoT thing name (letters, digits, ':', '_' and '-' only)",
  });

/** A command body's `hubId`: a UUID, which must equal the path id. */
export const hubIdBodyField = z
  .string({ error: "hubId is required" })
  .trim()
  .pipe(z.uuid({ error: "hubId must be a UUID" }));

/** A command body: exactly these fields, an unknown one is named in the error. */
export function strictBody<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : undefined,
  });
}

/** The ProvisionHub command body as clients send it (contract `commands.ProvisionHub`). */
export const provisionHubBodySchema = strictBody({
  hubId: hubIdBodyField,
  serial: boundedText("serial"),
  model: boundedText("model"),
  thingName: thingNameSchema.optional(),
  vendorName: boundedText("vendorName").optional(),
});
export type ProvisionHubBody = z.infer<typeof provisionHubBodySchema>;

/** `HubProvisioned` event data, exactly per the contract's JSON Schema (no extra properties). */
export const hubProvisionedDataSchema = z.strictObject({
  hubId: z.string(),
  serial: z.string(),
  model: z.string(),
  thingName: z.string(),
  vendorName: z.string().optional(),
  provisionedAt: z.number(),
});
export type HubProvisionedData = z.infer<typeof hubProvisionedDataSchema>;

export const provisionHubResultSchema = z.object({
  success: z.literal(true),
  aggregateId: z.string(),
  version: z.number().int(),
  event: z.object({ type: z.literal("HubProvisioned"), data: hubProvisionedDataSchema }).nullable(),
});
export type ProvisionHubResult = z.infer<typeof provisionHubResultSchema>;

export const hubStatusSchema = z.enum(hubStatuses);

/**
 * The hub read model as services exchange it. Times are epoch milliseconds. A hub belongs to the
 * organization it is claimed into (`orgId`), and until then to the one that provisioned it
 * (`provisionedByOrgId`, null when a service or an admin did).
 */
export const hubViewSchema = z.object({
  hubId: z.string(),
  serial: z.string(),
  model: z.string(),
  thingName: z.string(),
  vendorName: z.string().nullable(),
  status: hubStatusSchema,
  version: z.number().int(),
  provisionedAt: z.number(),
  updatedAt: z.number(),
  provisionedByOrgId: z.string().nullable(),
  orgId: z.string().nullable(),
  siteId: z.string().nullable(),
  isPrimary: z.boolean(),
  claimedAt: z.number().nullable(),
  /** Live status, from AWS IoT presence events (online, last seen) and server_info (firmware, uptime). */
  online: z.boolean(),
  lastSeen: z.number().nullable(),
  firmwareVersion: z.string().nullable(),
  uptimeSeconds: z.number().nullable(),
});
export type HubView = z.infer<typeof hubViewSchema>;

export const eventMetadataSchema = z.object({
  actor: z.object({ kind: z.string(), id: z.string() }),
  orgId: z.string().optional(),
  requestId: z.string(),
  correlationId: z.string(),
  causationId: z.string().optional(),
  source: z.string(),
});
export type EventMetadata = z.infer<typeof eventMetadataSchema>;

export const recordedEventSchema = z.object({
  position: z.string(),
  streamId: z.string(),
  version: z.number().int(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.number(),
});
export type RecordedEventView = z.infer<typeof recordedEventSchema>;

// ---------------------------------------------------------------------------------------------
// Admin reads: keyset-paginated connections. Cursors are opaque strings issued by hub-service.

export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 100;
export const EVENT_PAGE_SIZE_DEFAULT = 100;
export const EVENT_PAGE_SIZE_MAX = 500;

const cursorSchema = z.string().min(1).max(1024);
const epochMsSchema = z.number().int().min(0).max(8.64e15);
const filterText = z
  .string()
  .trim()
  .min(1)
  .max(MAX_FIELD_LENGTH)
  .refine(isSafeText, { error: "must not contain control characters or invalid Unicode" });

/** Relay page arguments: `first`/`after` pages forward, `last`/`before` backward. */
export function pageArgsSchema(max: number) {
  return z
    .object({
      first: z.number().int().min(1).max(max).optional(),
      after: cursorSchema.optional(),
      last: z.number().int().min(1).max(max).optional(),
      before: cursorSchema.optional(),
    })
    .refine(
      (page) =>
        !(
          (page.first !== undefined || page.after !== undefined) &&
          (page.last !== undefined || page.before !== undefined)
        ),
      {
        error: "use first/after to page forward or last/before to page backward, not both",
        path: ["last"],
      },
    );
}
export type PageArgs = z.infer<ReturnType<typeof pageArgsSchema>>;

export const hubListFilterSchema = z.strictObject({
  status: hubStatusSchema.optional(),
  model: filterText.optional(),
  vendorName: filterText.optional(),
  /** Hubs whose serial starts with this text (byte-wise, case-sensitive). */
  serialPrefix: filterText.optional(),
  /** Epoch ms; `from` inclusive, `to` exclusive. */
  provisionedAt: z.strictObject({ from: epochMsSchema.optional(), to: epochMsSchema.optional() }).optional(),
  orgId: z
    .uuid()
    .transform((id) => id.toLowerCase())
    .optional(),
  siteId: filterText.optional(),
  isPrimary: z.boolean().optional(),
  /** Connected to AWS IoT now (its last presence event), or not. */
  online: z.boolean().optional(),
});
export type HubListFilter = z.infer<typeof hubListFilterSchema>;

export const hubOrderFields = ["PROVISIONED_AT", "SERIAL"] as const;
export const orderDirections = ["ASC", "DESC"] as const;
export const hubListOrderSchema = z.strictObject({
  field: z.enum(hubOrderFields),
  direction: z.enum(orderDirections),
});
export type HubListOrder = z.infer<typeof hubListOrderSchema>;
export const DEFAULT_HUB_ORDER: HubListOrder = { field: "PROVISIONED_AT", direction: "DESC" };

export const pageInfoSchema = z.object({
  hasNextPage: z.boolean(),
  hasPreviousPage: z.boolean(),
  startCursor: z.string().nullable(),
  endCursor: z.string().nullable(),
});
export type PageInfo = z.infer<typeof pageInfoSchema>;

export function connectionSchema<T extends z.ZodType>(node: T) {
  return z.object({ edges: z.array(z.object({ cursor: z.string(), node })), pageInfo: pageInfoSchema });
}
export type Connection<T> = { edges: { cursor: string; node: T }[]; pageInfo: PageInfo };

export const hubConnectionSchema = connectionSchema(hubViewSchema);
export type HubConnection = Connection<HubView>;
export const eventConnectionSchema = connectionSchema(recordedEventSchema);
export type EventConnection = Connection<RecordedEventView>;

/** Event types are names, not free text: bounded so a filter cannot become a payload. */
export const eventTypeSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, { error: "not an event type" });

/** The global event feed: newest first for a "latest activity" view, or oldest first to follow along. */
export const eventFeedOrders = ["NEWEST_FIRST", "OLDEST_FIRST"] as const;
export const eventFeedOrderSchema = z.enum(eventFeedOrders);
export type EventFeedOrder = z.infer<typeof eventFeedOrderSchema>;
