import { describe, expect, it } from "vitest";
import type { SendResult } from "../src/http-sender.ts";
import { DEFAULT_RETRY_SCHEDULE, nextStep, parseRetrySchedule } from "../src/retry-policy.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const NOW = 1_800_000_000_000;
const schedule = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE);
const retryable: SendResult = { kind: "retryable", status: 503, error: "HTTP 503", durationMs: 12 };

describe("parseRetrySchedule", () => {
  it("parses the default schedule: 7 retries after the first attempt, about 27.6 h", () => {
    expect(schedule).toEqual([5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]);
    const total = schedule.reduce((sum, delay) => sum + delay, 0);
    expect(total / H).toBeCloseTo(27.585, 3);
  });

  it.each([
    ["500ms", [500]],
    [" 500ms , 1s,2 m,\t1d ", [500, S, 2 * M, 24 * H]],
    ["1.5h", [90 * M]],
    ["0s,10s", [0, 10 * S]],
  ])("parses %j", (text, expected) => {
    expect(parseRetrySchedule(text)).toEqual(expected);
  });

  it.each([
    ["", /at least one delay/],
    ["   ", /at least one delay/],
    ["5", /entry 1 "5"/],
    ["5s,5x", /entry 2 "5x"/],
    ["5s,,5m", /entry 2 ""/],
    ["5s,", /entry 2 ""/],
    ["-5s", /entry 1 "-5s"/],
    ["s", /entry 1 "s"/],
    ["5S", /entry 1 "5S"/],
    ["5 s 3", /entry 1 "5 s 3"/],
    ["1e3s", /entry 1 "1e3s"/],
    ["99999999999999999999d", /too large/],
  ])("rejects %j", (text, message) => {
    expect(() => parseRetrySchedule(text)).toThrow(message);
  });
});

describe("nextStep", () => {
  it("ends with delivered on success and with dead on a permanent failure, whatever the attempt", () => {
    for (const attempt of [1, 4, 8, 20]) {
      expect(nextStep({ attempt, now: NOW, schedule, result: { kind: "delivered" } })).toEqual({
        outcome: "delivered",
      });
      expect(nextStep({ attempt, now: NOW, schedule, result: { kind: "permanent" } })).toEqual({
        outcome: "dead",
      });
    }
  });

  it("retries after the scheduled delay, without jitter at random = 0.5", () => {
    schedule.forEach((delay, index) => {
      expect(
        nextStep({ attempt: index + 1, result: retryable, now: NOW, schedule, random: () => 0.5 }),
      ).toEqual({
        outcome: "retry",
        nextAttemptAt: NOW + delay,
      });
    });
  });

  it("keeps the jitter within ±20 %", () => {
    const step = (attempt: number, random: number) =>
      nextStep({ attempt, result: retryable, now: NOW, schedule, random: () => random });
    expect(step(1, 0)).toEqual({ outcome: "retry", nextAttemptAt: NOW + 4 * S });
    expect(step(3, 0.75)).toEqual({ outcome: "retry", nextAttemptAt: NOW + 33 * M });
    for (const [index, delay] of schedule.entries()) {
      for (const random of [0, 0.1, 0.25, 0.5, 0.9, 0.999999]) {
        const result = step(index + 1, random);
        if (result.outcome !== "retry") throw new Error(`expected a retry, got ${result.outcome}`);
        expect(result.nextAttemptAt - NOW).toBeGreaterThanOrEqual(delay * 0.8);
        expect(result.nextAttemptAt - NOW).toBeLessThanOrEqual(delay * 1.2);
      }
    }
  });

  it("stays within bounds with the default Math.random", () => {
    for (let i = 0; i < 200; i += 1) {
      const result = nextStep({ attempt: 2, result: retryable, now: NOW, schedule });
      if (result.outcome !== "retry") throw new Error(`expected a retry, got ${result.outcome}`);
      expect(result.nextAttemptAt - NOW).toBeGreaterThanOrEqual(4 * M);
      expect(result.nextAttemptAt - NOW).toBeLessThanOrEqual(6 * M);
    }
  });

  it("gives up after the last scheduled retry: 8 attempts in all", () => {
    expect(nextStep({ attempt: 7, result: retryable, now: NOW, schedule, random: () => 0.5 })).toEqual({
      outcome: "retry",
      nextAttemptAt: NOW + 10 * H,
    });
    expect(nextStep({ attempt: 8, result: retryable, now: NOW, schedule })).toEqual({ outcome: "dead" });
    expect(nextStep({ attempt: 9, result: retryable, now: NOW, schedule })).toEqual({ outcome: "dead" });
    expect(nextStep({ attempt: 1, result: retryable, now: NOW, schedule: [] })).toEqual({ outcome: "dead" });
  });

  it("waits at least as long as Retry-After asks", () => {
    const result = { ...retryable, retryAfterMs: 60 * S };
    expect(nextStep({ attempt: 1, result, now: NOW, schedule, random: () => 0 })).toEqual({
      outcome: "retry",
      nextAttemptAt: NOW + 60 * S,
    });
  });

  it("keeps the scheduled delay when Retry-After is shorter", () => {
    const result = { ...retryable, retryAfterMs: 10 * S };
    expect(nextStep({ attempt: 2, result, now: NOW, schedule, random: () => 0 })).toEqual({
      outcome: "retry",
      nextAttemptAt: NOW + 4 * M,
    });
  });

  it("caps Retry-After at twice the longest scheduled delay", () => {
    const result = { ...retryable, retryAfterMs: 10 * 24 * H };
    expect(nextStep({ attempt: 1, result, now: NOW, schedule, random: () => 0.5 })).toEqual({
      outcome: "retry",
      nextAttemptAt: NOW + 20 * H,
    });
    expect(nextStep({ attempt: 1, result, now: NOW, schedule: [S, 2 * S], random: () => 0.5 })).toEqual({
      outcome: "retry",
      nextAttemptAt: NOW + 4 * S,
    });
  });

  it("does not let Retry-After revive a delivery past its last attempt", () => {
    const result = { ...retryable, retryAfterMs: 60 * S };
    expect(nextStep({ attempt: 8, result, now: NOW, schedule })).toEqual({ outcome: "dead" });
  });

  it("rejects an attempt number below 1", () => {
    expect(() => nextStep({ attempt: 0, result: retryable, now: NOW, schedule })).toThrow(RangeError);
    expect(() => nextStep({ attempt: 1.5, result: retryable, now: NOW, schedule })).toThrow(RangeError);
  });
});
