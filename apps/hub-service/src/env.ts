import { DEFAULT_HEAP_GROWING_PERCENT } from "@hub/server-kit";
import { z } from "zod";
import { DATA_PLANE_DEFAULT_RPS } from "./iot/data-plane-rates.ts";

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
  /**
   * The Device Shadow (IoT data plane) endpoint. Unset: AWS_ENDPOINT_URL_IOT when that names this
   * machine (the local emulator serves both APIs), otherwise the SDK's own resolution
   * (AWS_ENDPOINT_URL_IOT_DATA_PLANE, then AWS's shared data-ats host of the region); production
   * names the account's own: `aws iot describe-endpoint --endpoint-type iot:Data-ATS`.
   */
  IOT_DATA_ENDPOINT: z.url().optional(),
  /**
   * Device Shadow calls per second from this process, each operation its own limit (see
   * DATA_PLANE_DEFAULT_RPS for AWS's quotas); replicas share the account's, as for the registry.
   */
  IOT_DATA_GET_RPS: positive(DATA_PLANE_DEFAULT_RPS.GetThingShadow),
  IOT_DATA_UPDATE_RPS: positive(DATA_PLANE_DEFAULT_RPS.UpdateThingShadow),
  IOT_DATA_DELETE_RPS: positive(DATA_PLANE_DEFAULT_RPS.DeleteThingShadow),
  /** How long a hub command may wait for the hub's answer, in seconds (decimals allowed). */
  HUB_COMMAND_TIMEOUT: z.coerce.number().min(0.1).max(86_400).default(60),
  /**
   * The shared secret the IoT topic rule sends in a static header (the gateway's
   * IOT_RULE_HEADER_NAME, forwarded here where it is checked); messages without it are refused. `npm start` passes a generated one (`.data/dev-secrets.json`).
   */
  IOT_RULE_SECRET: z.string().min(16, "must be at least 16 characters (a random secret)").optional(),
  /** Confirm the topic rule's HTTP destination by itself (ConfirmTopicRuleDestination with its token). */
  IOT_RULE_AUTO_CONFIRM: z.stringbool().default(false),
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
  /** Where a hub deletion (DELETE_DO_AND_EVENTS) writes the archive of the hub's events. */
  HUB_ARCHIVE_DIR: z.string().min(1).default(".data/archive"),
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
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(DEFAULT_HEAP_GROWING_PERCENT),
});

export type HubServiceEnv = z.infer<typeof envSchema>;

/**
 * The data plane endpoint: IOT_DATA_ENDPOINT; unset, the registry's when that is this machine (the
 * local emulator, `npm start` and the tests, serves the shadow API too); otherwise undefined, for
 * the SDK's own resolution.
 */
export function iotDataEndpoint(env: HubServiceEnv): string | undefined {
  if (env.IOT_DATA_ENDPOINT) return env.IOT_DATA_ENDPOINT;
  const registry = env.AWS_ENDPOINT_URL_IOT;
  if (!registry) return undefined;
  const host = new URL(registry).hostname;
  const local = host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  return local ? registry : undefined;
}

/** Parses the environment once at start; a bad value stops the process with a readable message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): HubServiceEnv {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`hub-service: invalid environment\n${lines.join("\n")}`);
  }
  return result.data;
}
