import { randomUUID } from "node:crypto";
import net from "node:net";
import { mintServiceToken } from "@hub/server-kit";
import { waitUntil } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import {
  expectAcknowledgedStored,
  type Hub,
  hubHistory,
  newHubs,
  provisionRest,
  serviceToken,
  statusCounts,
} from "./support.ts";

// Short request timeouts for both services, so the tests can wait for them.
const REQUEST_TIMEOUT_MS = 1500;
// One IoT attempt may take up to 1.4 s, so a slow registry (1.2 s) outlasts the gateway's patience.
const e2e = useSystem({
  REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  IOT_DEADLINE_MS: "1500",
  IOT_ATTEMPT_TIMEOUT_MS: "1400",
});

/** A client that sends the headers and a part of the body, then nothing: what does the server do? */
function slowClient(
  url: string,
  path: string,
  authorization: string,
): Promise<{ response: string; ms: number }> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\nauthorization: ${authorization}\r\ncontent-length: 1000\r\n\r\n{"hubId":`,
      );
    });
    let response = "";
    socket.on("data", (chunk) => {
      response += chunk.toString();
    });
    socket.on("close", () => resolve({ response, ms: performance.now() - started }));
    socket.on("error", reject);
    // A server that never times the request out fails the test instead of hanging it.
    socket.setTimeout(REQUEST_TIMEOUT_MS * 10, () => socket.destroy(new Error("no request timeout")));
  });
}

describe("request timeouts", () => {
  it("gateway: a request body that stops arriving gets 408 in the JSON error shape, and the connection closes", async () => {
    const { response, ms } = await slowClient(
      e2e.current.gatewayUrl,
      `/hubs/${randomUUID()}/ProvisionHub`,
      `Bearer ${serviceToken(e2e.current)}`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(response).toContain('"code":408');
    // Catches a server that never times the request out (the socket's own limit is 10×).
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS * 5);
  });

  it("hub-service: the same on its tRPC port", async () => {
    const { response, ms } = await slowClient(
      e2e.current.system.hubService.url,
      "/trpc/hub.provision",
      `Bearer ${e2e.current.remember(mintServiceToken(e2e.current.system.secrets.service, "limits-test"))}`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS * 5);
  });

  it("gateway → hub-service: past HUB_SERVICE_TIMEOUT_MS the caller gets 503 with Retry-After and nothing is appended after its deadline; a repeat is 201 once, never a duplicate", async () => {
    const impatient = await e2e.current.startGateway({ HUB_SERVICE_TIMEOUT_MS: "300" });
    const hubs: Hub[] = await newHubs(e2e.current, 4);
    // The registry answers after 1.3 s: within hub-service's own deadline (1.5 s), long after the
    // gateway's (0.3 s).
    await e2e.current.setFault({ mode: "slow", delayMs: 1300, times: 4 });
    const outcomes = await Promise.all(
      hubs.map((hub) => provisionRest(e2e.current, hub, { gatewayUrl: impatient.url })),
    );
    // 503 from the gateway's own timeout or from hub-service's deadline check, whichever is first.
    expect(outcomes.map((outcome) => outcome.status)).toEqual([503, 503, 503, 503]);
    for (const outcome of outcomes) expect(Number(outcome.headers?.get("retry-after"))).toBeGreaterThan(0);
    // The gateway answered on its own deadline, while the registry still held hub-service's calls.
    expect((await e2e.current.registryRequests()).inFlight).toBe(4);
    // The gateway forwarded its remaining budget with each call: hub-service stops waiting on the
    // registry then and appends nothing after it, even once the registry has answered.
    await waitUntil(
      async () => (await e2e.current.registryRequests()).inFlight === 0,
      "the registry to answer",
    );
    expect(await Promise.all(hubs.map((hub) => hubHistory(e2e.current, hub.hubId)))).toEqual([
      null,
      null,
      null,
      null,
    ]);
    // The partner's retry provisions each hub once; a second retry is the idempotent 200.
    expect(statusCounts(await Promise.all(hubs.map((hub) => provisionRest(e2e.current, hub))))).toEqual({
      201: 4,
    });
    expect(statusCounts(await Promise.all(hubs.map((hub) => provisionRest(e2e.current, hub))))).toEqual({
      200: 4,
    });
    await expectAcknowledgedStored(e2e.current, hubs);
  });
});
