import { z } from "zod";
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from "./retry-policy.ts";

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** `5d`, `30m`, `2h`, `10s`, `500ms` (or plain milliseconds). */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      try {
        const [ms] = parseRetrySchedule(value);
        return ms ?? 0;
      } catch (error) {
        ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    });

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HUB_SERVICE_URL: z.url().default("http://127.0.0.1:4001"),
  SERVICE_JWT_SECRET: z.string().min(32, "must be at least 32 characters (a random secret)"),
  SERVICE_ID: z.string().default("event-relay"),
  /** /healthz, /readyz and /metrics; 0 picks a free port. */
  RELAY_HOST: z.string().default("127.0.0.1"),
  RELAY_PORT: z.coerce.number().int().min(0).max(65535).default(4002),
  /** Webhook requests in flight at once (this process). */
  RELAY_CONCURRENCY: positive(64),
  /** How long a claimed delivery is this relay's: longer than a request's timeout, the takeover time after a crash. */
  WEBHOOK_LEASE_MS: positive(60_000),
  WEBHOOK_TIMEOUT_MS: positive(10_000),
  /** Delays between attempts after the first (immediate) one; after the last, a dead letter. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE)
    .transform((value, ctx) => {
      try {
        return parseRetrySchedule(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  /** An endpoint failing for this long without one success is paused with the reason. */
  WEBHOOK_DISABLE_AFTER: duration("5d"),
  /**
   * Send to loopback/private addresses: development and tests only, and only when set (a relay
   * deployed without it never reaches internal addresses); refused in production.
   */
  WEBHOOK_ALLOW_PRIVATE_URLS: z.stringbool().default(false),
  /** Requests in flight to one subscription from this relay (default: half of RELAY_CONCURRENCY, at least 8). */
  RELAY_PER_SUBSCRIPTION: z.coerce.number().int().positive().optional(),
  /** With it, every event is also published to JetStream; unset: off. */
  NATS_URL: z.string().optional(),
  NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default("HUB_EVENTS"),
  /** JetStream drops a second publication of the same Nats-Msg-Id within this window (longer than the lease). */
  NATS_DUPLICATE_WINDOW: duration("2m"),
  /** The JetStream publisher's lease (its takeover time after a crash); below the duplicate window. */
  NATS_LEASE_MS: positive(15_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** How often the relay logs its counters (delivered, retried, dead letters, lag). */
  RELAY_STATS_INTERVAL_MS: positive(60_000),
});

export type RelayEnv = z.infer<typeof envSchema>;

/** Parses the environment once at start; a bad value stops the process with a readable message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): RelayEnv {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`event-relay: invalid environment\n${lines.join("\n")}`);
  }
  if (result.data.WEBHOOK_ALLOW_PRIVATE_URLS && result.data.NODE_ENV === "production") {
    // As hub-service refuses it: in production the relay must never reach internal addresses.
    throw new Error(
      "event-relay: invalid environment\n  WEBHOOK_ALLOW_PRIVATE_URLS: must not be set in production (webhooks would reach internal addresses)",
    );
  }
  if (result.data.NATS_URL && result.data.NATS_LEASE_MS >= result.data.NATS_DUPLICATE_WINDOW) {
    throw new Error(
      "event-relay: invalid environment\n  NATS_LEASE_MS: must be shorter than NATS_DUPLICATE_WINDOW",
    );
  }
  return result.data;
}
