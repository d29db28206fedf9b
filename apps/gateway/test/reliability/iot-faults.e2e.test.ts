import { waitUntil } from "@hub/test-support/wait";
import { afterEach, describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import {
  expectAcknowledgedStored,
  type Hub,
  internalsIn,
  newHubs,
  type Outcome,
  provisionRest,
  statusCounts,
} from "./support.ts";

// The registry's deadline as hub-service is configured here (all attempts included).
const IOT_DEADLINE_MS = 1500;
// Not a latency check: a bound far above the deadline that turns a request hanging on the registry
// into a failure (the deadline itself is what makes the answer come; a hang would never end).
const HANG_MS = IOT_DEADLINE_MS + 15_000;
// Below PROVISION_CONCURRENCY (32): beyond it, a request also waits its turn in line.
const CONCURRENT = 16;

const e2e = useSystem({
  IOT_DEADLINE_MS: String(IOT_DEADLINE_MS),
  IOT_ATTEMPT_TIMEOUT_MS: "400",
  RATE_LIMIT_POINTS: "100000",
  IOT_BREAKER_COOLDOWN_MS: "1000",
});

const refused: Hub[] = [];
const acknowledged: Hub[] = [];

afterEach(async () => {
  await e2e.current.setFault({ mode: "none" });
});

function expectUnavailable(outcomes: readonly Outcome[]) {
  expect(statusCounts(outcomes)).toEqual({
    [`503 The AWS IoT registry is temporarily unavailable. Please retry later`]: outcomes.length,
  });
  for (const outcome of outcomes) {
    expect(Number(outcome.headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(outcome.ms).toBeLessThan(HANG_MS);
    expect(internalsIn(outcome.text)).toBeUndefined();
  }
}

async function underFault(fault: { mode: string; delayMs?: number }) {
  const hubs = await newHubs(e2e.current, CONCURRENT);
  await e2e.current.setFault(fault);
  const outcomes = await Promise.all(hubs.map((hub) => provisionRest(e2e.current, hub)));
  refused.push(...hubs);
  return outcomes;
}

describe("IoT registry faults: 503 with Retry-After within the deadline, nothing written", () => {
  it(`answering 503 (${CONCURRENT} concurrent requests)`, async () => {
    expectUnavailable(await underFault({ mode: "unavailable" }));
  });

  it("throttling", async () => {
    expectUnavailable(await underFault({ mode: "throttle" }));
  });

  it("hanging (never answers)", async () => {
    expectUnavailable(await underFault({ mode: "hang" }));
  });

  it("answering slower than the deadline", async () => {
    expectUnavailable(await underFault({ mode: "slow", delayMs: IOT_DEADLINE_MS * 3 }));
  });

  it("down (emulator process stopped), then back", async () => {
    const hubs = await newHubs(e2e.current, CONCURRENT);
    await e2e.current.system.stopService("emulator");
    try {
      expectUnavailable(await Promise.all(hubs.map((hub) => provisionRest(e2e.current, hub))));
    } finally {
      await e2e.current.system.startService("emulator");
    }
    // The outage opened the registry breaker: a client retries after its Retry-After, i.e. once
    // hub-service is ready again (the cool-down passed); then the same requests succeed.
    await waitUntil(
      async () => (await fetch(`${e2e.current.system.hubService.url}/readyz`)).ok,
      "hub-service ready",
    );
    const retried = await Promise.all(hubs.map((hub) => provisionRest(e2e.current, hub)));
    expect(statusCounts(retried)).toEqual({ 201: CONCURRENT });
    acknowledged.push(...hubs);
    await expectAcknowledgedStored(e2e.current, hubs);
  });

  it("none of the refused requests wrote anything, in the log or the read model", async () => {
    expect(refused.length).toBe(CONCURRENT * 4);
    await expectAcknowledgedStored(e2e.current, acknowledged, { refused, exact: true });
  });
});
