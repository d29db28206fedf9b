import { z } from "zod";
import { connectionSchema, MAX_FIELD_LENGTH, PAGE_SIZE_MAX, pageArgsSchema } from "./hub-schemas.ts";
import { permissionSchema } from "./principal.ts";

/*
 * Organizations and their API keys as operators manage them (GraphQL, tRPC and the CLI share
 * these schemas). A key's secret appears only in the answer that created it (issue or rotate);
 * no schema here can carry its hash.
 */

const epochMs = z.number().int().min(0).max(8.64e15);
const nameSchema = z
  .string()
  .trim()
  .min(1, { error: "must not be empty" })
  .max(MAX_FIELD_LENGTH, { error: `must be at most ${MAX_FIELD_LENGTH} characters` });

export const organizationIdSchema = z.uuid({ error: "must be a UUID" });
export const apiKeyIdSchema = z.uuid({ error: "must be a UUID" });

export const organizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Epoch ms. */
  createdAt: z.number().int(),
});
export type OrganizationView = z.infer<typeof organizationSchema>;
export const organizationConnectionSchema = connectionSchema(organizationSchema);
export type OrganizationConnection = z.infer<typeof organizationConnectionSchema>;

export const createOrganizationSchema = z.object({ name: nameSchema });
export const organizationByIdSchema = z.object({ id: organizationIdSchema });
/** A page of organizations, by name. */
export const organizationsPageSchema = pageArgsSchema(PAGE_SIZE_MAX);
/** What one GraphQL request's loader asks for at once (the ids of the rows it shows). */
export const organizationsByIdsSchema = z.object({ ids: z.array(z.string().min(1).max(256)).max(1000) });

/**
 * ACTIVE: works. RETIRING: rotated, still working until its `expiresAt` (the overlap's end).
 * EXPIRED: past its `expiresAt`. REVOKED: revoked, whatever else holds.
 */
export const apiKeyStatuses = ["ACTIVE", "RETIRING", "EXPIRED", "REVOKED"] as const;
export type ApiKeyStatus = (typeof apiKeyStatuses)[number];

/** What operators see of a key: never the key, its secret or its hash. Times are epoch ms. */
export const apiKeyViewSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  prefix: z.string(),
  name: z.string(),
  permissions: z.array(permissionSchema),
  createdAt: z.number().int(),
  lastUsedAt: z.number().int().nullable(),
  expiresAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
  rotatedAt: z.number().int().nullable(),
  replacedById: z.string().nullable(),
  status: z.enum(apiKeyStatuses),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

export const issueApiKeySchema = z.object({
  orgId: organizationIdSchema,
  name: nameSchema,
  permissions: z.array(permissionSchema).max(16),
  /** Epoch ms, in the future; absent: never expires. */
  expiresAt: epochMs.optional(),
});
export type IssueApiKeyRequest = z.infer<typeof issueApiKeySchema>;

/** `key` is shown in this answer only: it is not stored and cannot be recovered. */
export const issuedApiKeySchema = z.object({ key: z.string(), apiKey: apiKeyViewSchema });
export type IssuedApiKeyView = z.infer<typeof issuedApiKeySchema>;

export const listApiKeysSchema = z.object({ orgId: organizationIdSchema });
export const apiKeyByIdSchema = z.object({ id: apiKeyIdSchema });

/** At most a week of overlap; 0 ends the old key at once. */
export const MAX_KEY_OVERLAP_SECONDS = 7 * 86_400;
export const rotateApiKeySchema = z.object({
  id: apiKeyIdSchema,
  overlapSeconds: z.number().int().min(0).max(MAX_KEY_OVERLAP_SECONDS),
});
export const rotatedApiKeySchema = z.object({
  /** The new key, shown in this answer only. */
  key: z.string(),
  apiKey: apiKeyViewSchema,
  previous: apiKeyViewSchema,
  /** Epoch ms at which the old key stops working. */
  previousKeyRetiresAt: z.number().int(),
});
export type RotatedApiKeyView = z.infer<typeof rotatedApiKeySchema>;

/** A key's status at `now` (epoch ms), from its timestamps. */
export function apiKeyStatus(
  key: { revokedAt: number | null; expiresAt: number | null; rotatedAt: number | null },
  now: number,
): ApiKeyStatus {
  if (key.revokedAt !== null) return "REVOKED";
  if (key.expiresAt !== null && key.expiresAt <= now) return "EXPIRED";
  return key.rotatedAt !== null ? "RETIRING" : "ACTIVE";
}
