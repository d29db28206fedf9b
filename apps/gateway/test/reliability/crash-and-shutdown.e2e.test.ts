import { type ServiceName, waitForLogLine, waitUntil } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { contractResponseSchema, schemaErrors } from "../support/contract.ts";
import { useSystem } from "../support/system.ts";
import {
  answersSince,
  countBy,
  duringLoad,
  expectAcknowledgedStored,
  heavy,
  internalsIn,
  LONG_TEST_MS,
  mapLimit,
  newHubs,
  type Outcome,
  provisionOnFreshConnection,
  provisionRest,
  type Sent,
  send,
  serviceToken,
  statusCounts,
} from "./support.ts";

const WORKERS = heavy ? 24 : 8;
const ROUNDS = heavy ? 3 : 1;
// How long the registry holds each call while a shutdown starts: under one IoT attempt's timeout
// (2.5 s), so the calls succeed, and long enough that the requests are surely in flight at SIGTERM.
const HOLD_MS = 1500;
// The services' own drain deadline (closeServer): past it they cut what is left. A drain that
// ends by itself, because the in-flight requests were answered, finishes well before it.
const DRAIN_DEADLINE_MS = 15_000;
const HELD = 8;

const e2e = useSystem({
  RATE_LIMIT_POINTS: "1000000",
  IOT_DEADLINE_MS: "3000",
  IOT_ATTEMPT_TIMEOUT_MS: "2500",
});

/** A request either succeeded (and then it is stored) or failed visibly: never a 500. */
function expectSuccessOrCleanError(outcomes: readonly Outcome[], allowNoResponse: boolean) {
  for (const outcome of outcomes) {
    if (outcome.status === 201) continue;
    if (outcome.status === 0 && allowNoResponse) continue;
    expect(outcome.status).toBe(503);
    expect(Number(outcome.headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(internalsIn(outcome.text)).toBeUndefined();
  }
}

/** The full 201 of a first provisioning: the contract's body, for this hub, parsed to the end. */
function expectFullCreated(outcome: Outcome, hubId: string) {
  expect(outcome.status, outcome.error ?? outcome.text).toBe(201);
  expect(schemaErrors(contractResponseSchema("201"), outcome.body)).toEqual([]);
  expect(outcome.body).toMatchObject({ success: true, aggregateId: hubId, version: 1 });
}

/**
 * After any storm the failed requests are repeated (only those: an acknowledged hub whose event
 * was lost would stay missing), then every hub must be stored exactly once, nothing half-written.
 */
async function expectNothingLost(sent: readonly Sent[]) {
  const failed = sent.filter((s) => s.outcome.status !== 201).map((s) => s.hub);
  const retried = await mapLimit(failed, WORKERS, (hub) => provisionRest(e2e.current, hub));
  expect(Object.keys(statusCounts(retried)).filter((s) => s !== "200" && s !== "201")).toEqual([]);
  return expectAcknowledgedStored(
    e2e.current,
    sent.map((s) => s.hub),
  );
}

describe("crash: hub-service killed with SIGKILL under load, then restarted", () => {
  it(
    `${ROUNDS} kill(s) under load from ${WORKERS} clients: every acknowledged provisioning stored, nothing half-written`,
    async () => {
      const sent = await duringLoad(e2e.current, { workers: WORKERS, tail: 2 }, async (progress) => {
        for (let round = 0; round < ROUNDS; round++) {
          const before = progress.answered.length;
          await waitUntil(
            () => answersSince(progress, before, (o) => o.status === 201) >= 2 * WORKERS,
            "load",
          );
          await e2e.current.system.stopService("hubService", "SIGKILL");
          const killed = progress.answered.length;
          // Clients meet the dead hub-service (the gateway answers 503) before it comes back.
          await waitUntil(() => answersSince(progress, killed, (o) => o.status === 503) > 0, "a 503");
          await e2e.current.system.startService("hubService");
        }
        const restarted = progress.answered.length;
        await waitUntil(
          () => answersSince(progress, restarted, (o) => o.status === 201) >= 2 * WORKERS,
          "recovery",
        );
      });
      const outcomes = sent.map((s) => s.outcome);
      console.info(`${sent.length} requests`, statusCounts(outcomes));
      expectSuccessOrCleanError(outcomes, false);
      expect(outcomes.some((o) => o.status === 503)).toBe(true);
      expect(outcomes.slice(-WORKERS).every((o) => o.status === 201)).toBe(true);
      await expectNothingLost(sent);
    },
    LONG_TEST_MS,
  );
});

describe("crash under a bulk batch", () => {
  it(
    "the batch answers 503 with Retry-After as a whole while some items were stored; re-sent, those answer 200 (never 409), the rest 201, every hub stored once",
    async () => {
      const hubs = await newHubs(e2e.current, 600);
      const post = () =>
        send(`${e2e.current.gatewayUrl}/hubs/ProvisionHubs`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${serviceToken(e2e.current)}`,
            "x-api-key": e2e.current.apiKey,
          },
          body: JSON.stringify({ hubs }),
        });
      // The registry is asked at most IOT_REGISTRY_RPS (300/s) times a second: a third of the batch
      // looked up means the batch is well under way, its first items stored, when hub-service dies.
      const before = (await e2e.current.registryRequests()).received;
      const cut = post();
      await waitUntil(
        async () => (await e2e.current.registryRequests()).received >= before + 200,
        "a third of the batch looked up",
      );
      await e2e.current.system.stopService("hubService", "SIGKILL");
      const answer = await cut;
      expect(answer.status, answer.text).toBe(503);
      expect(Number(answer.headers?.get("retry-after"))).toBeGreaterThan(0);
      expect(internalsIn(answer.text)).toBeUndefined();
      await e2e.current.system.startService("hubService");

      // What the README tells a line to do: send the same batch again.
      const again = await post();
      expect(again.status, again.text).toBe(200);
      const body = again.body as {
        results: { status: number }[];
        summary: { created: number; unchanged: number; failed: number };
      };
      expect(body.results).toHaveLength(hubs.length);
      expect(Object.keys(countBy(body.results, (item) => item.status)).sort()).toEqual(["200", "201"]);
      expect(body.summary.unchanged, "items stored before the crash").toBeGreaterThan(0);
      expect(body.summary).toEqual({
        created: hubs.length - body.summary.unchanged,
        unchanged: body.summary.unchanged,
        failed: 0,
      });
      await expectAcknowledgedStored(e2e.current, hubs);
    },
    LONG_TEST_MS,
  );
});

/**
 * SIGTERM to `name` while `HELD` provisionings are in flight, held there by the registry (seen
 * there, not assumed after a sleep); then two more requests once it has logged its shutdown.
 * Returns what each group got and how the process ended; the service is started again afterwards.
 */
async function sigtermWithRequestsInFlight(name: ServiceName, logName: string) {
  const heldHubs = await newHubs(e2e.current, HELD);
  const lateHubs = await newHubs(e2e.current, 2);
  expect((await e2e.current.registryRequests()).inFlight).toBe(0);
  await e2e.current.setFault({ mode: "slow", delayMs: HOLD_MS, times: HELD });
  const pending = heldHubs.map((hub) => provisionOnFreshConnection(e2e.current, hub));
  await waitUntil(
    async () => (await e2e.current.registryRequests()).inFlight === HELD,
    `${HELD} requests held by the registry`,
  );
  const service = e2e.current.system[name];
  const started = performance.now();
  const stopped = e2e.current.system.stopService(name, "SIGTERM");
  // Once it has logged the shutdown it has stopped listening: a new connection must be refused.
  await waitForLogLine(service.logFile, `"msg":"${logName} shutting down"`);
  const late = await Promise.all(
    lateHubs.map((hub) => provisionOnFreshConnection(e2e.current, hub, service.url)),
  );
  await stopped;
  const drainMs = performance.now() - started;
  const exit = await service.exited;
  const held = await Promise.all(pending);
  await e2e.current.system.startService(name);
  console.info(
    `${name} SIGTERM: drained in ${Math.round(drainMs)} ms; held`,
    statusCounts(held),
    "late",
    statusCounts(late),
  );
  return { held, heldHubs, late, lateHubs, exit, drainMs };
}

describe("graceful shutdown: SIGTERM drains in-flight requests", () => {
  it.each([
    ["hubService", "hub-service"],
    ["gateway", "gateway"],
  ] as const)(
    "%s: every request in flight at SIGTERM gets its full 201, a new connection after it is refused, it exits 0 by itself well within the drain deadline, nothing else written",
    async (name, logName) => {
      const run = await sigtermWithRequestsInFlight(name, logName);
      // Exit code 0 and no signal: the drain finished by itself (the harness SIGKILLs after 20 s).
      expect(run.exit).toEqual({ code: 0, signal: null });
      expect(run.drainMs).toBeLessThan(DRAIN_DEADLINE_MS);
      run.held.forEach((outcome, i) => expectFullCreated(outcome, run.heldHubs[i]?.hubId ?? ""));
      expect(run.late.map((o) => o.error)).toEqual(["ECONNREFUSED", "ECONNREFUSED"]);
      await expectAcknowledgedStored(e2e.current, run.heldHubs, { refused: run.lateHubs });
    },
    LONG_TEST_MS,
  );
});
