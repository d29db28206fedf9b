import { z } from "zod";
import { connectionSchema, PAGE_SIZE_MAX, pageArgsSchema } from "./hub-schemas.ts";

/**
 * The audit trail: what operators did, kept forever (the table refuses updates and deletes).
 * `details` holds what the action needs to be understood later (a key's prefix and permissions, a
 * deletion's mode, archive path, SHA-256 and event count), never a secret.
 */
export const auditActions = [
  "organization.created",
  "apiKey.issued",
  "apiKey.rotated",
  "apiKey.revoked",
  "hub.deleted",
] as const;
export const auditActionSchema = z.enum(auditActions);
export type AuditAction = z.infer<typeof auditActionSchema>;

export const auditTargetTypes = ["organization", "apiKey", "hub"] as const;
export type AuditTargetType = (typeof auditTargetTypes)[number];

export const auditRecordSchema = z.object({
  id: z.uuid(),
  /** Epoch ms. */
  recordedAt: z.number().int(),
  action: auditActionSchema,
  targetType: z.enum(auditTargetTypes),
  targetId: z.string(),
  actor: z.object({
    kind: z.string(),
    id: z.string(),
    orgId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
  }),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** A page of the audit trail, newest first; filters combine. */
export const auditListFilterSchema = z.strictObject({
  action: auditActionSchema.optional(),
  targetId: z.string().min(1).max(256).optional(),
});
export type AuditListFilter = z.infer<typeof auditListFilterSchema>;
export const auditConnectionSchema = connectionSchema(auditRecordSchema);
export type AuditConnection = z.infer<typeof auditConnectionSchema>;
export const auditPageArgsSchema = pageArgsSchema(PAGE_SIZE_MAX);
