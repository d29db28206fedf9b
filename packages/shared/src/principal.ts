import { z } from "zod";

/**
 * The `iss` and `aud` the gateway requires of a JWT unless JWT_ISSUER/JWT_AUDIENCE say otherwise
 * (what `npm start` and the CLI's `tokens jwt` mint).
 */
export const DEFAULT_JWT_CLAIMS = { issuer: "hub-platform-dev", audience: "hub-api" } as const;

/**
 * Permissions an API key or token can carry. `keys:manage`: the organization's own API keys (never
 * granting more than the holder has). `hubs:delete`: a platform operator's key, required together
 * with an admin token to delete a hub; it counts only on an API key, never on a token.
 */
export const permissions = [
  "hubs:provision",
  "hubs:read",
  "hubs:manage",
  "webhooks:manage",
  "keys:manage",
  "hubs:delete",
] as const;
export const permissionSchema = z.enum(permissions);
export type Permission = z.infer<typeof permissionSchema>;

/** The API key a caller presented, as hub-service verified it (absent when no key was sent). */
export const presentedApiKeySchema = z.object({
  id: z.uuid(),
  orgId: z.string().min(1).max(256),
  /** The key's own permissions, whatever a token presented with it adds. */
  permissions: z.array(permissionSchema).default([]),
});
export type PresentedApiKey = z.infer<typeof presentedApiKeySchema>;

/**
 * Who is calling, after authentication at the edge. It travels from the gateway to hub-service
 * (trusted there only from an authenticated service) and is recorded in event metadata.
 */
export const principalSchema = z.object({
  kind: z.enum(["user", "service", "admin", "organization"]),
  id: z.string().min(1).max(256),
  orgId: z.string().min(1).max(256).optional(),
  permissions: z.array(permissionSchema).default([]),
  /** The API key behind this principal, when one was presented: what only a key can grant comes from here. */
  apiKey: presentedApiKeySchema.optional(),
});
export type Principal = z.infer<typeof principalSchema>;

export const requestContextSchema = z.object({
  principal: principalSchema,
  requestId: z.string().min(1).max(128),
  correlationId: z.string().min(1).max(128),
  causationId: z.string().max(128).optional(),
  /** Where the call came from; "iot": AWS IoT (the topic rule, the command time-out sweep). */
  source: z.enum(["rest", "graphql", "trpc", "cli", "iot"]),
  /** The caller's remaining time when it sent the call (ms); hub-service starts and appends nothing after it. */
  budgetMs: z.number().int().positive().max(600_000).optional(),
  /**
   * When the caller stops waiting (epoch ms on its clock). Unlike `budgetMs` it survives time in
   * transit: a call that arrives after it (plus hub-service's clock-skew allowance) is refused
   * without executing. Send both: hub-service takes the earlier.
   */
  deadlineAt: z.number().int().positive().optional(),
  /** W3C trace context of the call (each call of a batch carries its own). */
  traceparent: z
    .string()
    .regex(/^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/)
    .optional(),
});
export type RequestContext = z.infer<typeof requestContextSchema>;
