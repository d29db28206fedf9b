import { z } from "zod";

/**
 * The `iss` and `aud` the gateway requires of a JWT unless JWT_ISSUER/JWT_AUDIENCE say otherwise
 * (what `npm start` and the CLI's `tokens jwt` mint).
 */
export const DEFAULT_JWT_CLAIMS = { issuer: "hub-platform-dev", audience: "hub-api" } as const;

/** Permissions an API key or token can carry. */
export const permissions = ["hubs:provision", "hubs:read", "hubs:manage", "webhooks:manage"] as const;
export const permissionSchema = z.enum(permissions);
export type Permission = z.infer<typeof permissionSchema>;

/**
 * Who is calling, after authentication at the edge. It travels from the gateway to hub-service
 * (trusted there only from an authenticated service) and is recorded in event metadata.
 */
export const principalSchema = z.object({
  kind: z.enum(["user", "service", "admin", "organization"]),
  id: z.string().min(1).max(256),
  orgId: z.string().min(1).max(256).optional(),
  permissions: z.array(permissionSchema).default([]),
});
export type Principal = z.infer<typeof principalSchema>;

export const requestContextSchema = z.object({
  principal: principalSchema,
  requestId: z.string().min(1).max(128),
  correlationId: z.string().min(1).max(128),
  causationId: z.string().max(128).optional(),
  source: z.enum(["rest", "graphql", "trpc", "cli"]),
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
