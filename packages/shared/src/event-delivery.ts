import { z } from "zod";
import { hubEventDataSchemas } from "./hub-commands.ts";
import { recordedEventSchema } from "./hub-schemas.ts";
import type { Principal } from "./principal.ts";
import { type HubEventType, hubEventTypeNames } from "./vocabulary.ts";

/** The hub event types a subscription or a feed can name (the contract's and ours). */
export const hubEventTypeSchema = z.enum(hubEventTypeNames);

const digits = z.string().regex(/^\d{1,20}$/, { error: "must be a non-negative integer" });

/**
 * Where a log reader stands: the last event it has taken, as (writing transaction id, position).
 * The log is read in that order, below the oldest transaction still running, so an event whose
 * transaction committed after a later position is still read, once.
 */
export const logCursorSchema = z.object({ tx: digits, position: digits });
export type LogCursor = z.infer<typeof logCursorSchema>;
export const LOG_START: LogCursor = { tx: "0", position: "0" };

/** An event as log consumers see it: the recorded event, its cursor and who receives it. */
export const logEventSchema = recordedEventSchema.extend({
  tx: digits,
  /** The organizations owning the hub just before and just after the event (lower-case ids). */
  orgIds: z.array(z.string()),
});
export type LogEvent = z.infer<typeof logEventSchema>;

export const cursorOf = (event: Pick<LogEvent, "tx" | "position">): LogCursor => ({
  tx: event.tx,
  position: event.position,
});

/** Total order of cursors (transaction id, then position), compared as integers. */
export function compareCursors(a: LogCursor, b: LogCursor): number {
  const tx = BigInt(a.tx) - BigInt(b.tx);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const position = BigInt(a.position) - BigInt(b.position);
  return position === 0n ? 0 : position < 0n ? -1 : 1;
}

/**
 * Whether `principal` may see an event received by `orgIds` (an organization receives
 * the events of its hubs, as of each event). Admins and services see every event; an
 * organization those it owned the hub before or after; users none. hub-service applies the same
 * rule in SQL (log-reader.ts), the gateway's live feed to the events it fans out.
 */
export function eventVisibleTo(principal: Principal, orgIds: readonly string[]): boolean {
  if (principal.kind === "admin" || principal.kind === "service") return true;
  if (principal.kind !== "organization" || principal.orgId === undefined) return false;
  return orgIds.includes(principal.orgId.toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Webhook subscriptions and deliveries (the relay, GraphQL, the CLI).

export const webhookSubscriptionStatuses = ["ACTIVE", "PAUSED"] as const;
export const webhookSubscriptionStatusSchema = z.enum(webhookSubscriptionStatuses);
export const webhookDeliveryStatuses = ["PENDING", "DELIVERED", "DEAD"] as const;
export const webhookDeliveryStatusSchema = z.enum(webhookDeliveryStatuses);
export type WebhookDeliveryStatus = z.infer<typeof webhookDeliveryStatusSchema>;

export const webhookUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { error: "must be an http(s) URL without credentials" },
  );

export const webhookDescriptionSchema = z.string().trim().max(500);

export const webhookSubscriptionSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  url: z.string(),
  /** Empty: every event type. */
  eventTypes: z.array(z.string()),
  description: z.string().nullable(),
  status: webhookSubscriptionStatusSchema,
  pausedReason: z.string().nullable(),
  /** Epoch ms until which the previous secret still signs (a rotation's overlap), if any. */
  previousSecretExpiresAt: z.number().nullable(),
  failingSince: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type WebhookSubscriptionView = z.infer<typeof webhookSubscriptionSchema>;

/** The signing secret is shown here once (create, rotate), never again. */
export const webhookSecretResultSchema = z.object({
  subscription: webhookSubscriptionSchema,
  secret: z.string(),
});

export const webhookStatsSchema = z.object({
  subscriptionId: z.string(),
  pending: z.number().int(),
  delivered: z.number().int(),
  dead: z.number().int(),
  attempts: z.number().int(),
  /** The log's last position minus the point below which all its events are settled (0: none pending). */
  lagPositions: z.number().int(),
  oldestPendingAt: z.number().nullable(),
});
export type WebhookStats = z.infer<typeof webhookStatsSchema>;

export const webhookAttemptSchema = z.object({
  attempt: z.number().int(),
  attemptedAt: z.number(),
  status: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
  responsePrefix: z.string().nullable(),
});

/**
 * A pending delivery without a next attempt: it is queued behind the delivery its hub's queue is
 * sending now (one at a time, so a hub's events arrive in order), or its subscription is paused.
 */
export const webhookDeliveryWaitReasons = ["QUEUED_BEHIND", "SUBSCRIPTION_PAUSED"] as const;
export const webhookDeliveryWaitReasonSchema = z.enum(webhookDeliveryWaitReasons);

export const webhookDeliverySchema = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  /** The `webhook-id` header: `<hubId>:<version>`, the same on every attempt and replay. */
  webhookId: z.string(),
  hubId: z.string(),
  version: z.number().int(),
  position: z.string(),
  eventType: z.string(),
  status: webhookDeliveryStatusSchema,
  attempts: z.number().int(),
  /** Epoch ms of the next attempt; null unless pending, and null while it waits (`waitingReason`). */
  nextAttemptAt: z.number().nullable(),
  /** Why a pending delivery has no next attempt yet; null when it has one (or is not pending). */
  waitingReason: webhookDeliveryWaitReasonSchema.nullable(),
  /** The head of its (subscription, hub) queue, being sent before it (QUEUED_BEHIND), if any. */
  waitingFor: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.number(),
  deliveredAt: z.number().nullable(),
  deadAt: z.number().nullable(),
  attemptLog: z.array(webhookAttemptSchema),
});
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryFilterSchema = z.object({
  subscriptionId: z.uuid().optional(),
  status: webhookDeliveryStatusSchema.optional(),
  hubId: z.uuid().optional(),
});
export type WebhookDeliveryFilter = z.infer<typeof webhookDeliveryFilterSchema>;

/** A delivery the relay has leased: the request to send, already signed by hub-service. */
export const claimedDeliverySchema = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  /** This attempt's number (1-based over the delivery's life). */
  attempt: z.number().int().positive(),
  /** Its place in the retry schedule (attempts since the last replay, this one included). */
  scheduleAttempt: z.number().int().positive(),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  /** Epoch ms the event was committed (delivery lag). */
  recordedAt: z.number(),
});
export type ClaimedDelivery = z.infer<typeof claimedDeliverySchema>;

export const deliveryReportSchema = z.object({
  id: z.string().regex(/^\d{1,19}$/),
  attempt: z.number().int().positive(),
  outcome: z.enum(["delivered", "retry", "dead"]),
  /** For "retry": when to try again (epoch ms). */
  nextAttemptAt: z.number().int().optional(),
  status: z.number().int().min(0).max(999).optional(),
  error: z.string().max(500).optional(),
  responsePrefix: z.string().max(2048).optional(),
  durationMs: z.number().int().min(0),
  attemptedAt: z.number().int(),
});
export type DeliveryReport = z.infer<typeof deliveryReportSchema>;

/*
 * What a caller sends to manage webhook subscriptions and their deliveries (hub-service's
 * `webhooks.*` inputs, without the forwarded caller): the gateway validates GraphQL arguments with
 * these before calling, so a field error names the client's own field, and hub-service with the
 * same schemas again.
 */
export const webhookSubscriptionIdSchema = z.uuid();
export const webhookDeliveryIdSchema = z.string().regex(/^\d{1,19}$/, { error: "must be a delivery id" });
const subscribedEventTypesSchema = z.array(hubEventTypeSchema).max(20);

export const createWebhookSchema = z.object({
  /** Admins and services name the organization; an organization may omit it (its own). */
  orgId: z.uuid().optional(),
  url: webhookUrlSchema,
  /** Empty or absent: every event type. */
  eventTypes: subscribedEventTypesSchema.optional(),
  description: webhookDescriptionSchema.optional(),
});
export const listWebhooksSchema = z.object({ orgId: z.uuid().optional() });
export const webhookByIdSchema = z.object({ id: webhookSubscriptionIdSchema });
/** Absent fields stay as they are; `description: null` removes it. */
export const updateWebhookSchema = z.object({
  id: webhookSubscriptionIdSchema,
  url: webhookUrlSchema.optional(),
  eventTypes: subscribedEventTypesSchema.optional(),
  description: webhookDescriptionSchema.nullable().optional(),
});
export const pauseWebhookSchema = z.object({
  id: webhookSubscriptionIdSchema,
  reason: webhookDescriptionSchema.optional(),
});
/** Up to a week of overlap; default a day. 0 ends the previous secret at once. */
export const rotateWebhookSecretSchema = z.object({
  id: webhookSubscriptionIdSchema,
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400),
});
/** Newest first, pages of up to 100 (default 20); `after` is the previous page's endCursor. */
export const webhookDeliveriesQuerySchema = z.object({
  filter: webhookDeliveryFilterSchema.default({}),
  first: z.number().int().min(1).max(100).default(20),
  after: webhookDeliveryIdSchema.optional(),
});
export const webhookReplayFilterSchema = webhookDeliveryFilterSchema.omit({ status: true });
/** One by one (`ids`: dead or delivered ones) or in bulk (every dead letter matching `filter`). */
export const replayWebhookDeliveriesSchema = z
  .object({
    ids: z.array(webhookDeliveryIdSchema).min(1).max(1000).optional(),
    filter: webhookReplayFilterSchema.optional(),
  })
  .refine((input) => (input.ids === undefined) !== (input.filter === undefined), {
    error: "give either ids or filter",
    path: ["ids"],
  });
