import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { hasRedis, NEEDS_REDIS, testEnv } from "@hub/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import { type Hub, internalsIn, type Outcome, send, statusCounts } from "./support.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

// Runs when TEST_REDIS_URL names a server (CI starts one); then a server that does not answer
// fails these tests instead of skipping them.
const REDIS_URL = testEnv().TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const redisTarget = { host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379) };

const e2e = useSystem();
const proxies: TcpProxy[] = [];
afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
});

/** A cheap authenticated request: the identical repeat of a provisioning (200 after the first 201). */
function repeatAs(gatewayUrl: string, hub: Hub, subject: string): Promise<Outcome> {
  return send(`${gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${e2e.current.token({ role: "service" }, { subject })}`,
    },
    body: JSON.stringify(hub),
  });
}

function byApiKey(gatewayUrl: string, hub: Hub): Promise<Outcome> {
  return send(`${gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": e2e.current.apiKey },
    body: JSON.stringify(hub),
  });
}

function anonymous(gatewayUrl: string): Promise<Outcome> {
  return send(`${gatewayUrl}/hubs/${randomUUID()}/ProvisionHub`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function expect429(outcome: Outcome) {
  expect(outcome.status).toBe(429);
  expect(Number(outcome.headers?.get("retry-after"))).toBeGreaterThan(0);
  expect(outcome.body).toMatchObject({ success: false, code: 429 });
  expect(internalsIn(outcome.text)).toBeUndefined();
}

async function sequence(n: number, request: (i: number) => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < n; i++) outcomes.push(await request(i));
  return outcomes;
}

describe("in memory (one instance)", () => {
  let memory: { url: string } | undefined;
  beforeAll(async () => {
    memory = await e2e.current.startGateway({
      RATE_LIMIT_POINTS: "5",
      RATE_LIMIT_IP_POINTS: "3",
      RATE_LIMIT_WINDOW_SECONDS: "60",
    });
  });
  const gatewayUrl = () => {
    if (!memory) throw new Error("gateway not started");
    return memory.url;
  };

  it("limits each principal separately: 429 with Retry-After past its budget, others unaffected", async () => {
    const gateway = await e2e.current.startGateway({
      RATE_LIMIT_POINTS: "5",
      RATE_LIMIT_WINDOW_SECONDS: "60",
    });
    const hub = await e2e.current.newHub();
    const first = await sequence(6, () => repeatAs(gateway.url, hub, "line-a"));
    expect(first.slice(0, 5).map((o) => o.status)).toEqual([201, 200, 200, 200, 200]);
    expect429(first[5] as Outcome);
    // Another JWT subject has its own budget.
    expect((await repeatAs(gateway.url, hub, "line-b")).status).toBe(200);
    // An API key (its organization) is a principal too.
    const byKey = await sequence(6, () => byApiKey(gateway.url, hub));
    expect(statusCounts(byKey.slice(0, 5))).toEqual({ 200: 5 });
    expect429(byKey[5] as Outcome);
  });

  it("limits requests without valid credentials per IP, apart from the principals' budgets", async () => {
    const gateway = await e2e.current.startGateway({
      RATE_LIMIT_IP_POINTS: "3",
      RATE_LIMIT_WINDOW_SECONDS: "60",
    });
    const outcomes = await sequence(5, (i) =>
      i % 2 === 0
        ? anonymous(gateway.url)
        : send(`${gateway.url}/hubs/${randomUUID()}/ProvisionHub`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: `Bearer ${e2e.current.remember(`not.a.jwt-${randomUUID()}`)}`,
            },
            body: "{}",
          }),
    );
    expect(outcomes.slice(0, 3).map((o) => o.status)).toEqual([401, 401, 401]);
    expect429(outcomes[3] as Outcome);
    expect429(outcomes[4] as Outcome);
    // GraphQL shares the same budget.
    const graphql = await send(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ hub(id: "${randomUUID()}") { id } }` }),
    });
    expect((graphql.body as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      "RATE_LIMITED",
    );
    // A caller with valid credentials from the same IP is not locked out by the anonymous flood.
    const hub = await e2e.current.newHub();
    expect((await repeatAs(gateway.url, hub, "line-c")).status).toBe(201);
  });
});

describe.runIf(hasRedis())(`Redis store, shared by replicas (${NEEDS_REDIS})`, () => {
  const redisEnv = (extra: Record<string, string> = {}) => ({
    RATE_LIMIT_REDIS_URL: REDIS_URL,
    RATE_LIMIT_KEY_PREFIX: `e2e-${randomUUID()}`,
    RATE_LIMIT_POINTS: "6",
    RATE_LIMIT_WINDOW_SECONDS: "60",
    ...extra,
  });

  it("two gateway processes share one budget per principal", async () => {
    const env = redisEnv();
    const [one, two] = await Promise.all([e2e.current.startGateway(env), e2e.current.startGateway(env)]);
    const hub = await e2e.current.newHub();
    const outcomes = await sequence(8, (i) => repeatAs((i % 2 === 0 ? one : two).url, hub, "shared-line"));
    expect(outcomes.slice(0, 6).every((o) => o.status === 201 || o.status === 200)).toBe(true);
    expect429(outcomes[6] as Outcome);
    expect429(outcomes[7] as Outcome);
    // Each gateway saw only 4 of the 8 requests: alone, neither would have refused any.
  });

  it("Redis unreachable, then back, then lost and stalled mid-run: served throughout (no 5xx, no hang), limited in memory with a logged warning meanwhile, counted in Redis again once it is back", async () => {
    const proxy = await startTcpProxy(redisTarget);
    proxies.push(proxy);
    proxy.cut();
    const env = redisEnv({ RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    const gateway = await e2e.current.startGateway(env);
    const hub = await e2e.current.newHub();
    const redis = new Redis(REDIS_URL);
    const counted = async (subject: string) =>
      Number(await redis.get(`${env.RATE_LIMIT_KEY_PREFIX}:principal:service:${subject}`));
    try {
      // Unreachable from the start: the in-memory insurance enforces the same budget per instance.
      const insured = await sequence(7, () => repeatAs(gateway.url, hub, "insured-line"));
      expect(insured.slice(0, 6).every((o) => o.status === 201 || o.status === 200)).toBe(true);
      expect(Math.max(...insured.map((o) => o.ms))).toBeLessThan(2000);
      expect429(insured[6] as Outcome);
      expect(await readFile(gateway.logFile, "utf8")).toMatch(/rate-limit store \(Redis\) unavailable/);

      // Back: counted in Redis.
      proxy.restore();
      await waitFor(
        async () =>
          (await repeatAs(gateway.url, hub, "flaky-line")).status === 200 &&
          (await counted("flaky-line")) > 0,
      );
      const base = await counted("flaky-line");
      const send2 = () => sequence(2, () => repeatAs(gateway.url, hub, "flaky-line"));
      const before = await send2();
      expect(await counted("flaky-line")).toBe(base + 2);
      // Lost, then stalled (every command would wait): the insurance answers within the timeout.
      proxy.cut();
      const cut = await send2();
      proxy.restore();
      proxy.stall();
      const stalled = await send2();
      expect(Math.max(...stalled.map((o) => o.ms))).toBeLessThan(2000);
      proxy.restore();
      await waitFor(async () => {
        await repeatAs(gateway.url, hub, "probe-line");
        return (await counted("probe-line")) > 0;
      });
      const after = await send2();
      expect(await counted("flaky-line")).toBe(base + 4);
      expect(statusCounts([...before, ...cut, ...stalled, ...after])).toEqual({ 200: 8 });
    } finally {
      redis.disconnect();
    }
  });
});
