import { NEEDS_HEAVY } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import {
  expectAcknowledgedStored,
  type Hub,
  heavy,
  hubHistory,
  LONG_TEST_MS,
  newHubs,
  type Outcome,
  provisionRest,
  statusCounts,
} from "./support.ts";

// A burst of 1,000 takes seconds on two cores: the rate limit (tested elsewhere) gets out of the
// way, the wait in hub-service's admission line may exceed the production default, and the IoT
// lookup keeps its production deadline (the suite's default is shortened for the fault tests).
const e2e = useSystem({
  RATE_LIMIT_POINTS: "1000000",
  HUB_SERVICE_TIMEOUT_MS: "60000",
  PROVISION_QUEUE_TIMEOUT_MS: "45000",
  IOT_DEADLINE_MS: "3000",
  IOT_ATTEMPT_TIMEOUT_MS: "1000",
});
const RACERS = 64;
const DISTINCT = 1000;

async function expectOneEvent(hubId: string, serial: string | undefined) {
  expect(await hubHistory(e2e.current, hubId)).toEqual({
    serial,
    version: 1,
    events: [{ type: "HubProvisioned", version: 1 }],
  });
}

function fire(hubs: readonly Hub[]): Promise<Outcome[]> {
  return Promise.all(hubs.map((hub) => provisionRest(e2e.current, hub)));
}

describe("races on one hub", () => {
  it(`${RACERS} concurrent identical ProvisionHub: one 201, ${RACERS - 1} × 200 with event null, one event`, async () => {
    const [hub] = await newHubs(e2e.current, 1);
    if (!hub) throw new Error("no hub");
    const outcomes = await fire(Array.from({ length: RACERS }, () => hub));
    expect(statusCounts(outcomes)).toEqual({ 200: RACERS - 1, 201: 1 });
    for (const outcome of outcomes.filter((o) => o.status === 200)) {
      expect(outcome.body).toEqual({ success: true, aggregateId: hub.hubId, version: 1, event: null });
    }
    await expectOneEvent(hub.hubId, hub.serial);
  });

  it(`${RACERS} concurrent ProvisionHub with different serials: one 201, the rest 409, one event`, async () => {
    const [hub] = await newHubs(e2e.current, 1);
    if (!hub) throw new Error("no hub");
    const variants = Array.from({ length: RACERS }, (_, i) => ({ ...hub, serial: `${hub.serial}-${i}` }));
    const outcomes = await fire(variants);
    expect(countStatus(outcomes)).toEqual({ 201: 1, 409: RACERS - 1 });
    const winner = variants[outcomes.findIndex((o) => o.status === 201)];
    await expectOneEvent(hub.hubId, winner?.serial);
  });
});

describe("a storm of distinct hubs", () => {
  it(
    `${DISTINCT} concurrent first provisionings: ${DISTINCT} × 201, every stream at version 1, log and read model agree`,
    async () => {
      const hubs = await newHubs(e2e.current, DISTINCT);
      const outcomes = await fire(hubs);
      expect(statusCounts(outcomes)).toEqual({ 201: DISTINCT });
      expect(outcomes.every((o) => (o.body as { version: number }).version === 1)).toBe(true);
      const report = await expectAcknowledgedStored(e2e.current, hubs);
      expect(report.events).toBe(report.hubs);
      console.info(`${DISTINCT} distinct hubs:`, statusCounts(outcomes), report);
    },
    LONG_TEST_MS,
  );

  it.runIf(heavy)(
    `heavy: 5 waves of 1,000 (800 new hubs, 200 repeats) stay exact (${NEEDS_HEAVY})`,
    async () => {
      const all: Hub[] = [];
      for (let wave = 0; wave < 5; wave++) {
        const fresh = await newHubs(e2e.current, 800);
        const repeats = all.slice(-200);
        const outcomes = await fire([...fresh, ...repeats]);
        expect(statusCounts(outcomes)).toEqual({ 201: 800, ...(repeats.length > 0 ? { 200: 200 } : {}) });
        all.push(...fresh);
      }
      await expectAcknowledgedStored(e2e.current, all);
    },
    LONG_TEST_MS,
  );
});

function countStatus(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of outcomes) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
