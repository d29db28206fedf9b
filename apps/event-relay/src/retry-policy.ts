import type { SendResult } from "./http-sender.ts";

/**
 * Delays after each failed attempt (the first attempt is immediate): 8 attempts over about 27.6 h,
 * close to Svix's schedule, so a partner's outage of a day loses nothing.
 */
export const DEFAULT_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h";

/** ±20 %: spreads the retries of a burst that failed together. */
const JITTER = 0.2;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const TOKEN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** "5s,5m,30m,2h" → delays in ms; throws with the offending entry for anything else. */
export function parseRetrySchedule(text: string): number[] {
  const tokens = text.split(",").map((token) => token.trim());
  if (tokens.length === 1 && tokens[0] === "") {
    throw new Error("retry schedule: needs at least one delay, e.g. 5s,5m,30m");
  }
  return tokens.map((token, index) => {
    const match = TOKEN.exec(token);
    const amount = match?.[1];
    const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
    if (amount === undefined || unit === undefined) {
      throw new Error(
        `retry schedule: entry ${index + 1} ${JSON.stringify(token)} is not a delay like 30s, 5m, 2h, 1d or 500ms`,
      );
    }
    const ms = Math.round(Number(amount) * UNIT_MS[unit]);
    if (!Number.isSafeInteger(ms)) {
      throw new Error(`retry schedule: entry ${index + 1} ${JSON.stringify(token)} is too large`);
    }
    return ms;
  });
}

export type NextStep =
  | { outcome: "delivered" }
  | { outcome: "retry"; nextAttemptAt: number }
  | { outcome: "dead" };

export type NextStepInput = {
  /** 1-based number of the attempt that just finished. */
  attempt: number;
  result: Pick<SendResult, "kind" | "retryAfterMs">;
  /** Epoch ms; passed in so that the policy stays a pure function. */
  now: number;
  schedule: readonly number[];
  /** In [0, 1); Math.random by default. */
  random?: () => number;
};

export function nextStep({ attempt, result, now, schedule, random = Math.random }: NextStepInput): NextStep {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  }
  if (result.kind === "delivered") return { outcome: "delivered" };
  if (result.kind === "permanent") return { outcome: "dead" };
  const base = schedule[attempt - 1];
  if (base === undefined) return { outcome: "dead" };
  let delay = Math.round(base * (1 + JITTER * (2 * random() - 1)));
  if (result.retryAfterMs !== undefined && result.retryAfterMs > 0) {
    // Honoured, but bounded by the schedule so that a server cannot push a delivery out indefinitely.
    const ceiling = Math.max(...schedule) * 2;
    delay = Math.max(delay, Math.min(result.retryAfterMs, ceiling));
  }
  return { outcome: "retry", nextAttemptAt: now + delay };
}
