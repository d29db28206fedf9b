import { randomUUID } from "node:crypto";
import { waitUntil } from "@hub/test-support/wait";
import { afterEach, describe, expect, it } from "vitest";
import { scrape, valueOf } from "../support/prometheus.ts";
import { useSystem } from "../support/system.ts";
import { expectAcknowledgedStored, type Hub, newHubs, provisionRest } from "./support.ts";

// The registry's circuit breaker through the real processes: the emulator fails on command,
// hub-service's breaker opens after 3 unanswered lookups and half-opens after 2 s (short settings
// for the test; defaults 5 and 10 s). The caller's deadline: limits.e2e.test.ts ("request timeouts").
const COOLDOWN_MS = 2_000;
const e2e = useSystem({ IOT_BREAKER_THRESHOLD: "3", IOT_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS) });
afterEach(() => e2e.current.setFault({ mode: "none" }));

async function readiness(url: string) {
  const response = await fetch(`${url}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as { status: string; checks: Record<string, any> },
  };
}
const breakerOf = async () =>
  (await readiness(e2e.current.system.hubService.url)).body.checks.iotRegistryBreaker;

describe("circuit breaker", () => {
  it("opens after consecutive failures, then fails fast with 503 + Retry-After and writes nothing; closes after the cool-down", async () => {
    const hubs = await newHubs(e2e.current, 6);
    await e2e.current.setFault({ mode: "unavailable" });
    const [a, b, c, d, e, f] = hubs as [Hub, Hub, Hub, Hub, Hub, Hub];
    // Three lookups the registry cannot answer (each after its retries): 503, and the breaker opens.
    for (const hub of [a, b, c]) expect((await provisionRest(e2e.current, hub)).status).toBe(503);
    expect(await breakerOf()).toBe("open");

    // Open: answered without asking the registry at all, with the remaining cool-down as Retry-After.
    const before = await e2e.current.registryRequests();
    const fast = [await provisionRest(e2e.current, d), await provisionRest(e2e.current, e)];
    for (const outcome of fast) {
      expect(outcome.status).toBe(503);
      const retryAfter = Number(outcome.headers?.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(COOLDOWN_MS / 1000);
      expect(outcome.body).toMatchObject({ success: false, code: 503 });
    }
    // No lookup reached the registry (other background calls, e.g. shadow reads, are not lookups).
    expect((await e2e.current.registryRequests()).byOperation.DescribeThing).toBe(
      before.byOperation.DescribeThing,
    );
    console.info(`open breaker: 503 in ${fast.map((outcome) => outcome.ms.toFixed(1)).join(" and ")} ms`);

    const notReady = await readiness(e2e.current.system.hubService.url);
    expect(notReady).toEqual({
      status: 503,
      body: {
        status: "unavailable",
        checks: {
          database: "ok",
          iotRegistryBreaker: "open",
          connectivityBreaker: "closed",
          shadowGetBreaker: "closed",
          shadowUpdateBreaker: "closed",
          shadowDeleteBreaker: "closed",
        },
      },
    });
    // The gateway stays in rotation (reads still work), saying hub-service is degraded.
    expect(await readiness(e2e.current.gatewayUrl)).toEqual({
      status: 200,
      body: { status: "ready", checks: { hubService: "degraded" } },
    });
    const metrics = await scrape(e2e.current.system.hubService.url);
    expect(
      valueOf(metrics, "hub_iot_registry_breaker_state", { operation: "DescribeThing", state: "open" }),
    ).toBe(1);
    expect(
      valueOf(metrics, "hub_iot_registry_breaker_state", {
        operation: "GetThingConnectivityData",
        state: "closed",
      }),
    ).toBe(1);
    expect(
      valueOf(metrics, "hub_iot_registry_call_duration_seconds_count", {
        operation: "DescribeThing",
        outcome: "rejected",
      }),
    ).toBe(2);

    // The registry is back; after the cool-down one probe goes through and closes the breaker.
    await e2e.current.setFault({ mode: "none" });
    await waitUntil(async () => (await breakerOf()) !== "open", "the cool-down to pass", {
      timeoutMs: COOLDOWN_MS * 3,
    });
    expect((await readiness(e2e.current.system.hubService.url)).status).toBe(200);
    expect((await provisionRest(e2e.current, f)).status).toBe(201);
    expect(await breakerOf()).toBe("closed");
    // A refused hub may be provisioned now, once.
    expect((await provisionRest(e2e.current, a)).status).toBe(201);
    await expectAcknowledgedStored(e2e.current, [f, a], { refused: [b, c, d, e] });
  });

  it("never opens for Things that do not exist or hubs that are offline (answers, not failures)", async () => {
    for (let i = 0; i < 5; i++) {
      const hub = { ...(await e2e.current.newHub()), thingName: `missing-${randomUUID()}` };
      expect((await provisionRest(e2e.current, hub)).status).toBe(422);
    }
    expect(await breakerOf()).toBe("closed");

    const [hub] = await newHubs(e2e.current, 1);
    if (!hub) throw new Error("no hub");
    expect((await provisionRest(e2e.current, hub)).status).toBe(201);
    await e2e.current.setConnected(hub.thingName, false);
    for (let i = 0; i < 5; i++) {
      const claim = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ClaimHub`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": e2e.current.manageApiKey },
        body: JSON.stringify({ hubId: hub.hubId, siteId: "site-1", userId: "user-1" }),
      });
      expect(claim.status).toBe(502);
    }
    expect(await breakerOf()).toBe("closed");
    const metrics = await scrape(e2e.current.system.hubService.url);
    for (const operation of ["DescribeThing", "GetThingConnectivityData"]) {
      expect(valueOf(metrics, "hub_iot_registry_breaker_state", { operation, state: "closed" })).toBe(1);
    }
  });
});
