/**
 * A client-side rate limit for the registry, shared by every request of the process: AWS IoT
 * allows DescribeThing 350 requests/s per account and region by default, and a batch of 1,000
 * hubs must not spend it in one burst (the rest of the account's callers would be throttled).
 *
 * GCRA (a token bucket kept as one "theoretical arrival time"): a sustained `ratePerSecond` with a
 * burst of `burst` calls after a quiet spell. A call reserves its slot up front, so a call whose
 * slot lies beyond its caller's deadline is refused at once, with the wait as Retry-After, and
 * spends no slot: queued work that can no longer be served never starves work that can. (The
 * queue-based libraries, p-throttle or limiter, admit a call only when its turn comes, deadline
 * or not.)
 */
export type RateLimiter = {
  /** Milliseconds to wait before calling, or `refused` with the seconds to retry after. */
  reserve(
    deadline: number,
    now?: number,
  ): { readonly waitMs: number } | { readonly retryAfterSeconds: number };
};

export function createRateLimiter(ratePerSecond: number, burst = Math.max(1, Math.ceil(ratePerSecond / 10))) {
  const interval = 1000 / ratePerSecond;
  const tolerance = (burst - 1) * interval;
  let arrival = 0;
  const limiter: RateLimiter = {
    reserve(deadline, now = Date.now()) {
      const start = Math.max(arrival, now);
      const at = Math.max(now, start - tolerance);
      if (at >= deadline) return { retryAfterSeconds: Math.max(1, Math.ceil((at - now) / 1000)) };
      arrival = start + interval;
      return { waitMs: at - now };
    },
  };
  return limiter;
}
