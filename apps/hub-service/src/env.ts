import { z } from "zod";

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const envSchema = z.object({
  HUB_SERVICE_HOST: z.string().default("127.0.0.1"),
  HUB_SERVICE_PORT: port(4001),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|pglite:)/, "must start with postgresql://, postgres:// or pglite:")
    .default("pglite:.data/pglite"),
  DATABASE_POOL_SIZE: positive(16),
  /** PostgreSQL only: connection and per-statement deadlines (a stalled database fails as 503). */
  DATABASE_CONNECT_TIMEOUT_MS: positive(5_000),
  DATABASE_QUERY_TIMEOUT_MS: positive(5_000),
  SERVICE_JWT_SECRET: z.string().min(32, "must be at least 32 characters (a random secret)"),
  AWS_REGION: z.string().default("us-east-1"),
  AWS_ENDPOINT_URL_IOT: z.url().optional(),
  IOT_DEADLINE_MS: positive(3000),
  IOT_ATTEMPT_TIMEOUT_MS: positive(1000),
  IOT_MAX_ATTEMPTS: positive(3),
  /** Consecutive lookups the registry could not answer before the breaker opens (fail fast, 503). */
  IOT_BREAKER_THRESHOLD: positive(5),
  /** How long the open breaker fails fast before one probe may try the registry again. */
  IOT_BREAKER_COOLDOWN_MS: positive(10_000),
  /**
   * Registry calls per second from this process (all requests share it), under DescribeThing's
   * default AWS quota of 350/s per account and region; replicas share that quota, so set it to
   * the account's quota divided by the number of hub-service processes.
   */
  IOT_REGISTRY_RPS: positive(300),
  /** Items of one bulk call in progress at once (lookups, then the group commit). */
  BULK_CONCURRENCY: positive(64),
  /** Most new hubs written by one group-commit statement. */
  GROUP_COMMIT_MAX_ROWS: positive(500),
  /** Group-commit statements in flight at once; the next group forms while they run. */
  GROUP_COMMIT_MAX_IN_FLIGHT: positive(1),
  REQUEST_TIMEOUT_MS: positive(10_000),
  /**
   * How far a caller's clock may be off this one's when a call's deadline (epoch ms on the
   * caller's clock) is compared with ours. A call arriving later than deadline + this is refused
   * unexecuted; keep it below the caller's own answer margin (the gateway's: min(500 ms, a tenth
   * of HUB_SERVICE_TIMEOUT_MS)) and the hosts' clocks synchronised (NTP) well within it.
   */
  DEADLINE_CLOCK_SKEW_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  /** Provisionings running at once per instance; more wait in line (see bulkhead.ts). */
  PROVISION_CONCURRENCY: positive(32),
  /** Longest wait in that line before a 503; below the gateway's HUB_SERVICE_TIMEOUT_MS. */
  PROVISION_QUEUE_TIMEOUT_MS: positive(5_000),
  PROVISION_MAX_QUEUE: positive(5_000),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /**
   * Key material (at least 32 characters) that encrypts webhook signing secrets at rest. Unset: a
   * key derived from SERVICE_JWT_SECRET (development); production sets its own.
   */
  WEBHOOK_SECRET_KEY: z.string().min(32, "must be at least 32 characters (a random secret)").optional(),
  /** Subscription URLs may be http or name local hosts (development and tests; refused in production). */
  WEBHOOK_ALLOW_PRIVATE_URLS: z.stringbool().optional(),
  /** Run the webhook fan-out (log → deliveries) in this process; one replica at a time is active. */
  WEBHOOK_FAN_OUT: z.stringbool().default(true),
  /** How long a log consumer's lease lives: the takeover time after an instance dies. */
  LOG_CONSUMER_LEASE_MS: positive(10_000),
  /** `/metrics` on its own internal listener (unset: on the service port, see METRICS_TOKEN). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().default("127.0.0.1"),
  /** `/metrics` on the service port only with `Authorization: Bearer <token>`; production needs it or a port. */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Traces are exported (OTLP) only when set; unset, the OpenTelemetry SDK is not even loaded. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Old-generation growth past the live heap before a full GC, in % (see limitHeapGrowth); 0: V8 default. */
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(70),
});

export type HubServiceEnv = z.infer<typeof envSchema>;

/** Parses the environment once at start; a bad value stops the process with a readable message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): HubServiceEnv {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`hub-service: invalid environment\n${lines.join("\n")}`);
  }
  return result.data;
}
