import { readFile } from "node:fs/promises";
import { mintServiceToken } from "@hub/server-kit";
import { waitUntil } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import {
  adminToken,
  graphql,
  hubHistory,
  provisionRest,
  send,
  serviceToken,
  sleep,
  statusCounts,
} from "./support.ts";
import { startTcpProxy } from "./tcp-proxy.ts";

// The gateway's wait for hub-service in this file: short, so a partition outlasts it quickly.
const GATEWAY_WAIT_MS = 3000;

/**
 * A network partition between a gateway and hub-service that heals: what the gateway sent
 * meanwhile reaches hub-service late, after the gateway has answered 503. A command the client
 * was told failed must not happen afterwards: hub-service refuses a call that arrives past its
 * caller's deadline, and stops work whose caller has disconnected.
 */
describe("a partition between gateway and hub-service", () => {
  const e2e = useSystem({
    // Room for a registry answer the test slows down on purpose (the last test).
    IOT_DEADLINE_MS: "6000",
    IOT_ATTEMPT_TIMEOUT_MS: "4000",
  });

  /** A second gateway that reaches hub-service only through a proxy the test controls. */
  async function gatewayBehindProxy() {
    const target = new URL(e2e.current.system.hubService.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const gateway = await e2e.current.startGateway({
      HUB_SERVICE_URL: `http://127.0.0.1:${proxy.port}`,
      HUB_SERVICE_TIMEOUT_MS: String(GATEWAY_WAIT_MS),
      RATE_LIMIT_POINTS: "1000000",
    });
    return { proxy, gateway };
  }

  const hubServiceLog = () => readFile(e2e.current.system.hubService.logFile, "utf8");
  const linesWith = async (text: string) =>
    (await hubServiceLog()).split("\n").filter((line) => line.includes(text)).length;
  const refusals = () => linesWith("arrived past its deadline");
  /** A tRPC call straight to hub-service, as a backend service sends it (no client library). */
  const callHubService = (
    procedure: string,
    input: unknown,
    init: { method?: string; signal?: AbortSignal } = {},
  ) => {
    const token = mintServiceToken(e2e.current.system.secrets.service, "impatient-service");
    const base = `${e2e.current.system.hubService.url}/trpc/${procedure}`;
    const get = init.method === "GET";
    return fetch(get ? `${base}?input=${encodeURIComponent(JSON.stringify(input))}` : base, {
      method: get ? "GET" : "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      ...(get ? {} : { body: JSON.stringify(input) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  };

  it("commands held past the gateway's wait are answered 503 and never executed after the link heals; one still awaited completes", async () => {
    const { proxy, gateway } = await gatewayBehindProxy();
    try {
      // A hub provisioned through the proxy while the link is up, to be suspended during the hold.
      const claimed = await e2e.current.newHub();
      expect((await provisionRest(e2e.current, claimed, { gatewayUrl: gateway.url })).status).toBe(201);
      const rest = await e2e.current.newHub();
      const viaGraphql = await e2e.current.newHub();
      const refusedBefore = await refusals();

      proxy.hold();
      const held = await Promise.all([
        provisionRest(e2e.current, rest, { gatewayUrl: gateway.url }),
        graphql(
          e2e.current,
          `mutation P($input: ProvisionHubInput!) { provisionHub(input: $input) { __typename } }`,
          { input: viaGraphql },
          {},
          gateway.url,
        ),
        send(`${gateway.url}/hubs/${claimed.hubId}/SuspendHub`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${adminToken(e2e.current)}` },
          body: JSON.stringify({ hubId: claimed.hubId, reason: "stolen", userId: "ops" }),
        }),
      ]);
      // Each answered as unavailable at the gateway's wait (GraphQL: its result union's error).
      expect(statusCounts([held[0] as never, held[2] as never])).toEqual({
        "503 The hub service is temporarily unavailable. Please retry later": 2,
      });
      expect(held[1]?.body).toMatchObject({ data: { provisionHub: { __typename: "UnavailableError" } } });
      for (const outcome of held) expect(outcome.ms).toBeLessThan(GATEWAY_WAIT_MS + 2000);
      await sleep(1000); // the partition outlasts the answers
      proxy.heal();

      // hub-service receives the three calls now, well past their deadlines, and refuses them.
      await waitUntil(
        async () => (await refusals()) >= refusedBefore + 3,
        "hub-service to refuse the three late calls",
        { timeoutMs: 20_000 },
      );
      expect(await hubHistory(e2e.current, rest.hubId)).toBeNull();
      expect(await hubHistory(e2e.current, viaGraphql.hubId)).toBeNull();
      expect((await hubHistory(e2e.current, claimed.hubId))?.events).toEqual([
        { type: "HubProvisioned", version: 1 },
      ]);

      // A short hold the gateway still waits through: the request completes normally.
      const awaited = await e2e.current.newHub();
      proxy.hold();
      const pending = provisionRest(e2e.current, awaited, { gatewayUrl: gateway.url });
      await sleep(500);
      proxy.heal();
      expect((await pending).status).toBe(201);
      expect((await hubHistory(e2e.current, awaited.hubId))?.events).toEqual([
        { type: "HubProvisioned", version: 1 },
      ]);

      // Repeating the refused ones now works, once each.
      expect((await provisionRest(e2e.current, rest, { gatewayUrl: gateway.url })).status).toBe(201);
    } finally {
      await gateway.stop();
      await proxy.close();
    }
  }, 90_000);

  it("a call whose caller disconnected while it waited on the registry writes nothing", async () => {
    const hub = await e2e.current.newHub();
    // The registry answers DescribeThing after 1.5 s; the caller gives up before that.
    await e2e.current.setFault({ mode: "slow", delayMs: 1500, times: 1 });
    const before = (await e2e.current.registryRequests()).received;
    const stoppedBefore = await linesWith("caller disconnected");
    const abort = new AbortController();
    // No deadline of its own: only the disconnect can tell hub-service the caller is gone.
    const call = callHubService("hub.provision", { command: hub }, { signal: abort.signal }).catch(
      (error: unknown) => error,
    );
    await waitUntil(
      async () => (await e2e.current.registryRequests()).received > before,
      "the registry lookup to start",
    );
    abort.abort();
    expect(await call).toBeInstanceOf(Error);
    // Logged when the lookup has come back and the command has stopped instead of appending.
    await waitUntil(
      async () => (await linesWith("caller disconnected")) > stoppedBefore,
      "hub-service to stop the call whose caller had gone",
      { timeoutMs: 10_000 },
    );
    expect(await hubHistory(e2e.current, hub.hubId)).toBeNull();
    // The same call, awaited, provisions it.
    expect((await provisionRest(e2e.current, hub, { token: serviceToken(e2e.current) })).status).toBe(201);
  }, 60_000);

  it("a command whose caller's deadline (deadlineAt) passed before it arrived is refused unexecuted; a read is still answered", async () => {
    const hub = await e2e.current.newHub();
    const caller = {
      principal: { kind: "service", id: "impatient-service", permissions: [] },
      requestId: "held-in-transit",
      correlationId: "held-in-transit",
      source: "trpc",
      // Sent 6 s ago with 4 s to spare (by the caller's clock): it arrives 2 s too late, although
      // its budget alone, counted from arrival, would still allow it.
      deadlineAt: Date.now() - 2000,
      budgetMs: 4000,
    };
    const refusedBefore = await refusals();
    const late = await callHubService("hub.provision", { caller, command: hub });
    expect(late.status).toBe(503);
    expect(await late.text()).toMatch(/arrived after its caller's deadline/);
    expect(await refusals()).toBe(refusedBefore + 1);
    expect(await hubHistory(e2e.current, hub.hubId)).toBeNull();

    const read = await callHubService(
      "hub.byId",
      { caller: { ...caller, principal: { ...caller.principal, kind: "admin" } }, hubId: hub.hubId },
      { method: "GET" },
    );
    // Answered (no such hub: null), not refused: a late read changes nothing.
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ result: { data: null } });
  });
});
