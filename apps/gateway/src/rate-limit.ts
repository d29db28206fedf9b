import { type Principal, RateLimitedError, UnauthenticatedError } from "@hub/shared";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Authenticate } from "./yoga.ts";

export type RateLimitOptions = { readonly points: number; readonly windowSeconds: number };

export function createRateLimiter(options: RateLimitOptions): RateLimiterAbstract {
  return new RateLimiterMemory({ points: options.points, duration: options.windowSeconds, keyPrefix: "gw" });
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
 * Authenticated callers are limited per principal (API key organisation, JWT subject); failed
 * authentications count against the client IP, so credential guessing is throttled too.
 */
export function withRateLimit(authenticate: Authenticate, limiter: RateLimiterAbstract) {
  return async (credentials: Parameters<Authenticate>[0], ip: string): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await authenticate(credentials);
    } catch (error) {
      if (error instanceof UnauthenticatedError) await consume(limiter, `ip:${ip}`);
      throw error;
    }
    await consume(limiter, principalKey(principal));
    return principal;
  };
}
