import { z } from "zod";

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
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
  REQUEST_TIMEOUT_MS: positive(10_000),
  /** Provisionings running at once per instance; more wait in line (see bulkhead.ts). */
  PROVISION_CONCURRENCY: positive(32),
  /** Longest wait in that line before a 503; below the gateway's HUB_SERVICE_TIMEOUT_MS. */
  PROVISION_QUEUE_TIMEOUT_MS: positive(5_000),
  PROVISION_MAX_QUEUE: positive(5_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Old-generation growth past the live heap before a full GC, in % (see limitHeapGrowth); 0: V8 default. */
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(70),
});

export type HubServiceEnv = z.infer<typeof schema>;

/** Parses the environment once at start; a bad value stops the process with a readable message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): HubServiceEnv {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`hub-service: invalid environment\n${lines.join("\n")}`);
  }
  return result.data;
}
