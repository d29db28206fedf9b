import { NEEDS_POSTGRES, waitUntil } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import {
  duringLoad,
  expectAcknowledgedStored,
  heavy,
  internalsIn,
  LONG_TEST_MS,
  mapLimit,
  onPostgres,
  provisionRest,
  sleep,
  statusCounts,
} from "./support.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

const DB_CONNECT_TIMEOUT_MS = 1500;
const DB_QUERY_TIMEOUT_MS = 2000;
// The gateway's own deadline for hub-service; hub-service must answer well before it.
const HUB_SERVICE_TIMEOUT_MS = 15_000;
const WORKERS = heavy ? 24 : 12;
// A readiness probe's timeout in common orchestrators (Kubernetes' default): /readyz answers within it.
const PROBE_TIMEOUT_MS = 1000;
const CYCLES = heavy ? 4 : 1;

/**
 * PostgreSQL behind a TCP proxy the test controls, cut off and stalled while requests flow.
 * PGlite runs inside hub-service: there is no connection to cut, so this file needs a server.
 */
describe.runIf(onPostgres)(`PostgreSQL cut off mid-load (${NEEDS_POSTGRES})`, () => {
  let proxy: TcpProxy | undefined;
  const e2e = useSystem(async ({ url }) => {
    const target = new URL(url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    return {
      DATABASE_URL: proxied.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: String(DB_CONNECT_TIMEOUT_MS),
      DATABASE_QUERY_TIMEOUT_MS: String(DB_QUERY_TIMEOUT_MS),
      HUB_SERVICE_TIMEOUT_MS: String(HUB_SERVICE_TIMEOUT_MS),
      RATE_LIMIT_POINTS: "1000000",
    };
  });
  const control = () => {
    if (!proxy) throw new Error("proxy not started");
    return proxy;
  };

  it(
    `${CYCLES} × (cut 2 s, stalled 3 s) under load from ${WORKERS} clients: 201 or 503, none hangs, every 201 stored, recovery by itself`,
    async () => {
      const timeline: string[] = [];
      const sent = await duringLoad(e2e.current, { workers: WORKERS, tail: 2 }, async (progress) => {
        for (let cycle = 0; cycle < CYCLES; cycle++) {
          await sleep(1500);
          timeline.push(`cut@${progress.sent}`);
          control().cut();
          await sleep(2000);
          control().restore();
          timeline.push(`up@${progress.sent}`);
          await sleep(1500);
          timeline.push(`stall@${progress.sent}`);
          control().stall();
          await sleep(3000);
          control().restore();
          timeline.push(`up@${progress.sent}`);
        }
        await sleep(2000);
      });
      const outcomes = sent.map((s) => s.outcome);
      const slowest = Math.round(Math.max(...outcomes.map((o) => o.ms)));
      console.info(
        `${sent.length} requests, slowest ${slowest} ms;`,
        timeline.join(" "),
        statusCounts(outcomes),
      );

      // Only successes and clean "unavailable" answers from hub-service itself (not the gateway's
      // timeout), each with Retry-After, none waiting anywhere near the gateway's deadline.
      for (const outcome of outcomes.filter((o) => o.status !== 201)) {
        expect(outcome.status).toBe(503);
        expect(outcome.body).toMatchObject({ message: expect.stringMatching(/database|busy/) });
        expect(Number(outcome.headers?.get("retry-after"))).toBeGreaterThan(0);
        expect(internalsIn(outcome.text)).toBeUndefined();
      }
      expect(outcomes.some((o) => o.status === 503)).toBe(true);
      expect(slowest).toBeLessThan(HUB_SERVICE_TIMEOUT_MS);
      // Recovered by itself: the last requests of every worker succeeded.
      expect(outcomes.slice(-WORKERS).every((o) => o.status === 201)).toBe(true);

      // Every 201 has its event and row; nothing half-written either way.
      await expectAcknowledgedStored(
        e2e.current,
        sent.filter((s) => s.outcome.status === 201).map((s) => s.hub),
      );
      // The refused requests, repeated, now succeed (200 when the refused attempt had committed
      // before its answer was lost), and then every hub is stored exactly once.
      const failed = sent.filter((s) => s.outcome.status !== 201).map((s) => s.hub);
      const retried = await mapLimit(failed, WORKERS, (hub) => provisionRest(e2e.current, hub));
      expect(Object.keys(statusCounts(retried)).filter((s) => s !== "200" && s !== "201")).toEqual([]);
      await expectAcknowledgedStored(
        e2e.current,
        sent.map((s) => s.hub),
      );
    },
    LONG_TEST_MS,
  );

  it("/readyz answers 503 with the reason within its bound while the database does not answer, then ready again", async () => {
    const probe = async (url: string) => {
      const started = performance.now();
      const response = await fetch(`${url}/readyz`);
      return { status: response.status, body: await response.json(), ms: performance.now() - started };
    };
    const { hubService, gateway } = e2e.current.system;
    control().stall();
    try {
      // A database answer from just before the stall may be reused for up to a second; every
      // probe, that one included, answers within its bound.
      await waitUntil(async () => {
        const own = await probe(hubService.url);
        expect(own.ms).toBeLessThan(PROBE_TIMEOUT_MS);
        return own.status === 503;
      }, "hub-service to report its database unready");
      // Then probes while the database holds every query (each would otherwise wait for
      // DATABASE_QUERY_TIMEOUT_MS): each answers 503 within its bound, with why.
      for (let i = 0; i < 3; i++) {
        const own = await probe(hubService.url);
        expect(own.status).toBe(503);
        // Still waiting for the probe, or the probe failed at DATABASE_QUERY_TIMEOUT_MS.
        expect(own.body).toMatchObject({
          status: "unavailable",
          checks: { database: expect.stringMatching(/^(no answer within 500 ms|unavailable)$/) },
        });
        expect(own.ms).toBeLessThan(PROBE_TIMEOUT_MS);
        const edge = await probe(gateway.url);
        expect(edge.status).toBe(503);
        // hub-service's 503 with why (or, on a loaded machine, no answer within the gateway's bound).
        expect(edge.body).toMatchObject({
          status: "unavailable",
          checks: { hubService: expect.stringMatching(/^(unavailable|no answer within 800 ms)$/) },
        });
        expect(edge.ms).toBeLessThan(PROBE_TIMEOUT_MS);
      }
    } finally {
      control().restore();
    }
    await waitUntil(async () => (await probe(hubService.url)).status === 200, "hub-service ready again");
    expect((await probe(gateway.url)).status).toBe(200);
  });
});
