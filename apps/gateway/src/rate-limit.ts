import { type Principal, RateLimitedError, UnauthenticatedError } from "@hub/shared";
import type { Logger } from "pino";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { Authenticate } from "./yoga.ts";

export type RateLimitOptions = {
  /** Requests per window for one principal (API key organization, JWT subject). */
  readonly points: number;
  /** Requests per window for one client IP that sends no valid credentials. */
  readonly ipPoints: number;
  readonly windowSeconds: number;
  /** Namespace of the counters (several deployments can share one Redis). */
  readonly keyPrefix?: string;
  /**
   * Shared store for many replicas; without it each instance counts alone, in memory. When Redis
   * cannot answer (down, or slower than `redisTimeoutMs`) each instance falls back to its own
   * in-memory budget and logs a warning: the API stays up, limited per instance rather than
   * globally, instead of failing closed (an outage of a cache taking the API down) or open
   * (no limit at all while Redis is away).
   */
  readonly redisUrl?: string;
  readonly redisTimeoutMs?: number;
  readonly logger?: Logger;
};

export type RateLimiters = {
  readonly principal: RateLimiterAbstract;
  readonly anonymous: RateLimiterAbstract;
  readonly store: "memory" | "redis";
  close(): Promise<void>;
};

/** Async: the Redis client (~80 ms of start-up to import) is loaded only when a Redis URL is set. */
export async function createRateLimiters(options: RateLimitOptions): Promise<RateLimiters> {
  const prefix = options.keyPrefix ?? "gw";
  const budgets = {
    principal: { points: options.points, duration: options.windowSeconds, keyPrefix: `${prefix}:principal` },
    anonymous: { points: options.ipPoints, duration: options.windowSeconds, keyPrefix: `${prefix}:ip` },
  };
  if (!options.redisUrl) {
    return {
      principal: new RateLimiterMemory(budgets.principal),
      anonymous: new RateLimiterMemory(budgets.anonymous),
      store: "memory",
      close: async () => {},
    };
  }

  const { Redis } = await import("ioredis");
  const redis = new Redis(options.redisUrl, {
    // Fail fast so the in-memory insurance answers instead of the request waiting for Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.redisTimeoutMs ?? 250,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let warnedAt = 0;
  const warn = (reason: string) => {
    const now = Date.now();
    if (now - warnedAt < 10_000) return;
    warnedAt = now;
    options.logger?.warn(
      { reason },
      "rate-limit store (Redis) unavailable: limiting in memory, per instance, until it is back",
    );
  };
  redis.on("error", (error: Error) => warn(error.message));
  redis.on("ready", () => {
    if (warnedAt !== 0) options.logger?.info("rate-limit store (Redis) available again");
    warnedAt = 0;
  });
  const insured = (budget: (typeof budgets)["principal"]) =>
    new RateLimiterRedis({
      ...budget,
      storeClient: redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new InsuranceLimiter({ ...budget, keyPrefix: `${budget.keyPrefix}:local` }, warn),
    });
  return {
    principal: insured(budgets.principal),
    anonymous: insured(budgets.anonymous),
    store: "redis",
    async close() {
      redis.disconnect();
    },
  };
}

/** The in-memory stand-in used while Redis cannot answer; says so in the log. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly onUse: (reason: string) => void,
  ) {
    super(options);
  }

  override consume(
    ...args: Parameters<RateLimiterMemory["consume"]>
  ): ReturnType<RateLimiterMemory["consume"]> {
    this.onUse("a Redis command failed or timed out");
    return super.consume(...args);
  }
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    throw rejection;
  }
}

export function principalKey(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

/**
 * Authenticated callers are limited per principal (API key organisation, JWT subject); requests
 * without valid credentials count against the client IP, so credential guessing is throttled too.
 */
export function withRateLimit(
  authenticate: Authenticate,
  limiters: Pick<RateLimiters, "principal" | "anonymous">,
) {
  return async (credentials: Parameters<Authenticate>[0], ip: string): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await authenticate(credentials);
    } catch (error) {
      if (error instanceof UnauthenticatedError) await consume(limiters.anonymous, ip);
      throw error;
    }
    await consume(limiters.principal, principalKey(principal));
    return principal;
  };
}

/**
 * Charges one request to a client IP's budget for requests without valid credentials (public
 * routes answering for their own authentication: a wrong secret, an unauthenticated call).
 */
export function anonymousCharge(limiters: Pick<RateLimiters, "anonymous">) {
  return (ip: string): Promise<void> => consume(limiters.anonymous, ip);
}
