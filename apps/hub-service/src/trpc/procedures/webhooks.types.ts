import {
  claimedDeliverySchema,
  createWebhookSchema,
  deliveryReportSchema,
  hubEventTypeSchema,
  listWebhooksSchema,
  logCursorSchema,
  logEventSchema,
  pauseWebhookSchema,
  replayWebhookDeliveriesSchema,
  rotateWebhookSecretSchema,
  updateWebhookSchema,
  webhookByIdSchema,
  webhookDeliveriesQuerySchema,
  webhookDeliverySchema,
  webhookSecretResultSchema,
  webhookStatsSchema,
  webhookSubscriptionSchema,
} from "@hub/shared";
import { z } from "zod";
import { callerInput } from "../caller.ts";

export const createWebhookInput = z.object({ caller: callerInput, ...createWebhookSchema.shape });
export const webhookSecretOutput = webhookSecretResultSchema;

export const listWebhooksInput = z.object({ caller: callerInput, ...listWebhooksSchema.shape });
export const webhookWithStats = webhookSubscriptionSchema.extend({ stats: webhookStatsSchema });
export const listWebhooksOutput = z.array(webhookWithStats);

export const webhookByIdInput = z.object({ caller: callerInput, ...webhookByIdSchema.shape });
export const webhookOutput = webhookSubscriptionSchema;

export const updateWebhookInput = z.object({ caller: callerInput, ...updateWebhookSchema.shape });
export const pauseWebhookInput = z.object({ caller: callerInput, ...pauseWebhookSchema.shape });
export const rotateWebhookSecretInput = z.object({ caller: callerInput, ...rotateWebhookSecretSchema.shape });

export const webhookDeliveriesInput = z.object({
  caller: callerInput,
  ...webhookDeliveriesQuerySchema.shape,
});
export const webhookDeliveriesOutput = z.object({
  nodes: z.array(webhookDeliverySchema),
  endCursor: z.string().nullable(),
  hasNextPage: z.boolean(),
});

export const replayWebhookDeliveriesInput = z
  .object({ caller: callerInput })
  .and(replayWebhookDeliveriesSchema);
export const replayOutput = z.object({ replayed: z.number().int() });

// The relay (a service of ours): leases and reports.
const owner = z.string().min(1).max(200);
export const claimDeliveriesInput = z.object({
  owner,
  limit: z.number().int().min(1).max(1000),
  leaseMs: z.number().int().min(1000).max(600_000),
  /** Subscriptions the relay already has its fill of in flight. */
  exclude: z.array(z.uuid()).max(1000).default([]),
});
export const claimDeliveriesOutput = z.array(claimedDeliverySchema);
export const reportDeliveriesInput = z.object({
  owner,
  reports: z.array(deliveryReportSchema).max(1000),
  /** A subscription failing for this long without a success is paused with the reason. */
  disableAfterMs: z.number().int().min(1000),
});
export const reportDeliveriesOutput = z.object({ applied: z.number().int() });

// The event log for consumers: the live feed (scoped by the caller) and checkpointed consumers.
export const readLogInput = z.object({
  caller: callerInput,
  /** Where to continue: a cursor from a previous read, or the last position a client received. */
  after: logCursorSchema.optional(),
  afterPosition: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional(),
  limit: z.number().int().min(1).max(1000).default(200),
  hubId: z.uuid().optional(),
  types: z.array(hubEventTypeSchema).max(20).optional(),
});
export const readLogOutput = z.object({
  events: z.array(logEventSchema),
  /** The cursor to continue from (unchanged when nothing was read). */
  cursor: logCursorSchema,
});

const consumerName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/);
export const consumerLeaseInput = z.object({
  name: consumerName,
  owner,
  leaseMs: z.number().int().min(1000).max(600_000),
});
export const consumerLeaseOutput = z.object({ checkpoint: logCursorSchema.nullable() });
export const consumerCommitInput = z.object({
  name: consumerName,
  owner,
  from: logCursorSchema,
  to: logCursorSchema,
});
export const consumerCommitOutput = z.object({ saved: z.boolean() });
export const consumerReleaseInput = z.object({ name: consumerName, owner });
export const consumerReleaseOutput = z.object({ released: z.boolean() });
export const consumersOutput = z.array(
  z.object({
    name: z.string(),
    checkpoint: logCursorSchema,
    leaseOwner: z.string().nullable(),
    leaseUntil: z.number().nullable(),
    updatedAt: z.number(),
    /** The log's head position minus the checkpoint's position (a rough lag). */
    lagPositions: z.number(),
  }),
);
