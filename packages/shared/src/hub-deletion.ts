import { z } from "zod";
import { hubIdSchema } from "./hub-schemas.ts";

/**
 * Deleting a hub (the contract's `DELETE /admin/cleanup/hubs/{hubId}`):
 * - DELETE_DO_ONLY drops the hub's derived state (its `hubs` row and its commands' rows) and
 *   rebuilds it from its events in the same transaction: the operator's repair of one projection;
 * - DELETE_DO_AND_EVENTS archives the hub's stream, then removes its events, its row, its commands
 *   and its webhook deliveries: its serial and Thing name are free again.
 */
export const hubDeletionModes = ["DELETE_DO_ONLY", "DELETE_DO_AND_EVENTS"] as const;
export const hubDeletionModeSchema = z.enum(hubDeletionModes);
export type HubDeletionMode = z.infer<typeof hubDeletionModeSchema>;

export const deleteHubSchema = z.strictObject({
  hubId: hubIdSchema,
  mode: hubDeletionModeSchema,
  /** Required to delete a claimed, active hub's events (DELETE_DO_AND_EVENTS). */
  force: z.boolean().default(false),
});
export type DeleteHubInput = z.input<typeof deleteHubSchema>;

/** One step the deletion took, in order. */
export const hubDeletionOperationSchema = z.object({
  operation: z.enum([
    "lockStream",
    "archiveEvents",
    "deleteEvents",
    "deleteReadModel",
    "deleteHubCommands",
    "deleteWebhookDeliveries",
    "rebuildReadModel",
    "recordAudit",
  ]),
  /** Rows (or events) the step touched. */
  count: z.number().int().min(0),
});
export type HubDeletionOperation = z.infer<typeof hubDeletionOperationSchema>;

/** The contract's 200 body. */
export const hubDeletionResultSchema = z.object({
  success: z.literal(true),
  hubId: z.string(),
  mode: hubDeletionModeSchema,
  operations: z.array(hubDeletionOperationSchema),
  deletionSummary: z.string(),
  /** The archive's file (DELETE_DO_AND_EVENTS), else "" (nothing archived); the audit record's id is `auditRecordId`. */
  auditLogPath: z.string(),
  /** Milliseconds the deletion took. */
  duration: z.number(),
  errors: z.array(z.string()),
  /** Ours: the audit record written with the deletion. */
  auditRecordId: z.uuid(),
  /** Ours: the number of events the hub's stream had. */
  eventCount: z.number().int().min(0),
  /** Ours: the archive's SHA-256 (hex), null when nothing was archived. */
  archiveSha256: z.string().nullable(),
});
export type HubDeletionResult = z.infer<typeof hubDeletionResultSchema>;
