import { fileURLToPath } from "node:url";
import { DEFAULT_HEAP_GROWING_PERCENT } from "@hub/server-kit";
import { DEFAULT_JWT_CLAIMS } from "@hub/shared";
import { z } from "zod";

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

export const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    GATEWAY_HOST: z.string().default("127.0.0.1"),
    GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HUB_SERVICE_URL: z.url().default("http://127.0.0.1:4001"),
    /** Each request's budget for hub-service (forwarded as its deadline; at most 10 minutes). */
    HUB_SERVICE_TIMEOUT_MS: z.coerce.number().int().positive().max(600_000).default(10_000),
    SERVICE_JWT_SECRET: z.string().min(32, "must be at least 32 characters (a random secret)"),
    SERVICE_ID: z.string().default("gateway"),
    JWT_ALGORITHMS: list.pipe(z.array(z.enum(["HS256", "RS256", "ES256"])).min(1)).default(["HS256"]),
    /** HS256 secret (local use). */
    GATEWAY_JWT_SECRET: z.string().min(32).optional(),
    /** RS256/ES256 public keys, PEM, several separated by blank lines (production). */
    JWT_PUBLIC_KEYS: z.string().optional(),
    JWT_ISSUER: z.string().default(DEFAULT_JWT_CLAIMS.issuer),
    JWT_AUDIENCE: z.string().default(DEFAULT_JWT_CLAIMS.audience),
    JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
    BODY_LIMIT_BYTES: positive(1024 * 1024),
    REQUEST_TIMEOUT_MS: positive(15_000),
    /** Requests per window and principal (API key organization / JWT subject). */
    RATE_LIMIT_POINTS: positive(600),
    /** Requests per window and client IP without valid credentials. */
    RATE_LIMIT_IP_POINTS: positive(120),
    RATE_LIMIT_WINDOW_SECONDS: positive(60),
    /** Shared counters for many replicas (redis://…); unset: in memory, per instance. */
    RATE_LIMIT_REDIS_URL: z.url().optional(),
    RATE_LIMIT_REDIS_TIMEOUT_MS: positive(250),
    RATE_LIMIT_KEY_PREFIX: z.string().min(1).default("gw"),
    /** A JSON file `{ "<sha256 of the document>": "<document>" }` of operations partners may send by hash. */
    GRAPHQL_PERSISTED_OPERATIONS_FILE: z.string().min(1).optional(),
    /** With an allow-list: "false" accepts only the listed operations, by hash. */
    GRAPHQL_ALLOW_ARBITRARY_OPERATIONS: z
      .enum(["true", "false"])
      .default("true")
      .transform((value) => value === "true"),
    /** `/metrics` on its own internal listener (unset: on the public port, see METRICS_TOKEN). */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_HOST: z.string().default("127.0.0.1"),
    /** `/metrics` on the public port only with `Authorization: Bearer <token>`; production needs it or a port. */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** Traces are exported (OTLP) only when set; unset, the OpenTelemetry SDK is not even loaded. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    /** The built admin console served under /admin (default: apps/admin-console/dist of this checkout). */
    ADMIN_CONSOLE_DIR: z
      .string()
      .min(1)
      .default(fileURLToPath(new URL("../../admin-console/dist", import.meta.url))),
    /**
     * The header whose value authenticates the AWS IoT topic rule's POSTs to /iot/rule (the rule's
     * HTTP action sends it; hub-service compares it with IOT_RULE_SECRET).
     */
    IOT_RULE_HEADER_NAME: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, "must be an HTTP header name")
      .default("x-hub-rule-secret")
      .transform((name) => name.toLowerCase()),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Old-generation growth past the live heap before a full GC, in % (see limitHeapGrowth); 0: V8 default. */
    HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(DEFAULT_HEAP_GROWING_PERCENT),
  })
  .superRefine((env, ctx) => {
    if (env.JWT_ALGORITHMS.includes("HS256") && !env.GATEWAY_JWT_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["GATEWAY_JWT_SECRET"],
        message: "is required when JWT_ALGORITHMS has HS256",
      });
    }
    if (env.JWT_ALGORITHMS.some((alg) => alg !== "HS256") && !env.JWT_PUBLIC_KEYS) {
      ctx.addIssue({ code: "custom", path: ["JWT_PUBLIC_KEYS"], message: "is required for RS256/ES256" });
    }
  });

export type GatewayEnv = z.infer<typeof envSchema>;

/** Parses the environment once at start; a bad value stops the process with a readable message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`gateway: invalid environment\n${lines.join("\n")}`);
  }
  return result.data;
}

/** PEM blocks from one variable (several keys allow rotation). */
export function splitPemKeys(value: string | undefined): string[] {
  return value?.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
}
