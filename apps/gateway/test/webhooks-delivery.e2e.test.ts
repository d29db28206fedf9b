import { randomUUID } from "node:crypto";
import { createHubServiceClient } from "@hub/hub-client";
import { mintServiceToken } from "@hub/server-kit";
import { type RequestContext } from "@hub/shared";
import {
  freePort,
  hasPostgres,
  holdEventWriter,
  NEEDS_POSTGRES,
  type ServiceProcess,
  startService,
} from "@hub/test-support";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { useSystem } from "./support/system.ts";
import { eventually, type Receiver, startReceiver, versionsByHub } from "./support/webhook-receiver.ts";

// Webhook delivery as partners meet it: the real gateway, hub-service, registry emulator and
// event relay as processes, endpoints on loopback that verify every request with the
// `standardwebhooks` package. A short retry schedule, lease and timeout keep it quick.
const RELAY = {
  WEBHOOK_RETRY_SCHEDULE: "1s,1s,2s,2s,4s,4s,8s,8s,8s,8s",
  // Longer than a loaded machine may take to report an attempt (a lease running out meanwhile
  // means a second send, as it should), short enough for the crash test's takeover.
  WEBHOOK_LEASE_MS: "10000",
  WEBHOOK_TIMEOUT_MS: "1500",
};
// The lifecycle commands of 100 hubs come from one admin: above the default per-principal rate limit.
const e2e = useSystem({ RATE_LIMIT_POINTS: "100000" }, { relay: RELAY });

const caller = (principal: RequestContext["principal"]): RequestContext => ({
  principal,
  requestId: `req-${randomUUID()}`,
  correlationId: "webhooks-e2e",
  source: "trpc",
});
const ADMIN = caller({ kind: "admin", id: "e2e-admin", permissions: [] });
const hubService = () =>
  createHubServiceClient({
    url: e2e.current.system.hubService.url,
    serviceToken: mintServiceToken(e2e.current.system.secrets.service, "webhooks-e2e"),
  });

const receivers: Receiver[] = [];
const subscriptions: string[] = [];
afterEach(async () => {
  // Each test's subscriptions and endpoints end with it: later events go nowhere.
  for (const id of subscriptions.splice(0)) await hubService().webhooks.delete.mutate({ caller: ADMIN, id });
  for (const receiver of receivers.splice(0)) await receiver.close();
});

/** An endpoint of `orgId`'s, subscribed to `eventTypes` (all by default); returns its secret too. */
async function subscribe(orgId: string, eventTypes?: string[]) {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const created = await hubService().webhooks.create.mutate({
    caller: ADMIN,
    orgId,
    url: receiver.url,
    ...(eventTypes ? { eventTypes: eventTypes as never } : {}),
  });
  e2e.current.remember(created.secret);
  receiver.secrets.push(created.secret);
  subscriptions.push(created.subscription.id);
  return { receiver, subscription: created.subscription, secret: created.secret };
}

async function rest(path: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(`${e2e.current.gatewayUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const adminHeaders = () => ({
  authorization: `Bearer ${e2e.current.token({ role: "admin", sub: "e2e-admin" })}`,
});

/** `count` hubs provisioned by organization A (its key), in bulk, as a line would. */
async function provisionHubs(count: number): Promise<string[]> {
  const hubs = await Promise.all(Array.from({ length: count }, () => e2e.current.newHub()));
  for (let i = 0; i < hubs.length; i += 500) {
    const answer = await rest(
      "/hubs/ProvisionHubs",
      { hubs: hubs.slice(i, i + 500) },
      { "x-api-key": e2e.current.manageApiKey },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.summary).toMatchObject({ created: Math.min(500, hubs.length - i), failed: 0 });
  }
  return hubs.map((hub) => hub.hubId);
}

async function suspendAndResume(hubId: string, times: number) {
  for (let i = 0; i < times; i++) {
    const suspended = await rest(
      `/hubs/${hubId}/SuspendHub`,
      { hubId, reason: "audit", userId: "u1" },
      adminHeaders(),
    );
    expect(suspended.status).toBe(200);
    const resumed = await rest(`/hubs/${hubId}/ResumeHub`, { hubId, userId: "u1" }, adminHeaders());
    expect(resumed.status).toBe(200);
  }
}

async function deliveries(subscriptionId: string, status?: "PENDING" | "DELIVERED" | "DEAD") {
  const page = await hubService().webhooks.deliveries.query({
    caller: ADMIN,
    filter: { subscriptionId, ...(status ? { status } : {}) },
    first: 100,
  });
  return page.nodes;
}

function expectVersionOrder(receiver: Receiver) {
  for (const [hubId, versions] of versionsByHub(receiver.received)) {
    expect(versions, `hub ${hubId}`).toEqual([...versions].sort((a, b) => a - b));
  }
}

/** Duplicates are allowed only as the same delivery again: the same webhook-id and the same body. */
function expectDuplicatesIdentical(receiver: Receiver) {
  const bodies = new Map<string, string>();
  for (const entry of receiver.received) {
    const first = bodies.get(entry.id);
    if (first !== undefined) expect(JSON.parse(entry.body)).toEqual(JSON.parse(first));
    else bodies.set(entry.id, entry.body);
  }
}

describe("webhook delivery", { timeout: 180_000 }, () => {
  it("delivers 1,000 events of 100 hubs, each verified, in version order per hub", async () => {
    const { receiver } = await subscribe(e2e.current.orgId);
    const hubIds = await provisionHubs(100);
    // Nine more events per hub: 100 × (1 + 9) = 1,000 events in all.
    await Promise.all(
      hubIds.map(async (hubId) => {
        await suspendAndResume(hubId, 4);
        expect(
          (await rest(`/hubs/${hubId}/SuspendHub`, { hubId, reason: "x", userId: "u" }, adminHeaders()))
            .status,
        ).toBe(200);
      }),
    );
    await eventually("1,000 deliveries", () => receiver.ids().size === 1000, 120_000);
    expect(receiver.unverified).toEqual([]);
    for (const hubId of hubIds) {
      expect(versionsByHub(receiver.received).get(hubId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    expectVersionOrder(receiver);
    expectDuplicatesIdentical(receiver);
    const sample = receiver.received.find((entry) => entry.payload.data.version === 1);
    expect(sample?.payload).toMatchObject({ type: "HubProvisioned", data: { version: 1 } });
    expect(sample?.id).toBe(`${sample?.payload.data.hubId}:1`);
    expect(Number.isNaN(Date.parse(sample?.payload.timestamp ?? ""))).toBe(false);
  });

  it("an endpoint down for 30 s gets everything once it is back", async () => {
    const { receiver } = await subscribe(e2e.current.orgId);
    await receiver.down();
    const hubIds = await provisionHubs(20);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    expect(receiver.received).toEqual([]);
    await receiver.up();
    await eventually("20 deliveries after the outage", () => receiver.ids().size === 20);
    expect([...receiver.ids()].sort()).toEqual(hubIds.map((id) => `${id}:1`).sort());
    expect(receiver.unverified).toEqual([]);
  });

  it("retries 500s, hangs and 429 with Retry-After on schedule; a slow endpoint is fine", async () => {
    const { receiver, subscription } = await subscribe(e2e.current.orgId);
    const [failing, hanging, throttled, slow] = await provisionHubs(4);
    receiver.behave(({ id, attempt }) => {
      if (id === `${failing}:1`) return attempt <= 3 ? 500 : 204;
      if (id === `${hanging}:1`) return attempt === 1 ? "hang" : 204;
      if (id === `${throttled}:1`) return attempt === 1 ? 429 : 204;
      if (id === `${slow}:1`) return { delayMs: 500, status: 204 };
      return 204;
    });
    await eventually("the four deliveries", () => receiver.ids().size === 4, 60_000);
    expect(receiver.attempts.get(`${failing}:1`)).toBe(4);
    expect(receiver.attempts.get(`${hanging}:1`)).toBe(2);
    expect(receiver.attempts.get(`${throttled}:1`)).toBe(2);
    expect(receiver.attempts.get(`${slow}:1`)).toBe(1);
    // The endpoint has its 2xx before the relay reports it: wait for the reports.
    await eventually(
      "the four reported delivered",
      async () => (await deliveries(subscription.id, "DELIVERED")).length === 4,
    );
    const byHub = new Map((await deliveries(subscription.id)).map((d) => [d.hubId, d]));
    const failed = byHub.get(failing ?? "");
    expect(failed?.status).toBe("DELIVERED");
    expect(failed?.attemptLog.map((a) => a.status)).toEqual([500, 500, 500, 204]);
    // The schedule's delays (1 s, 1 s, 2 s, ±20 % jitter) lie between the attempts.
    const times = failed?.attemptLog.map((a) => a.attemptedAt) ?? [];
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(800);
    expect(gaps[1]).toBeGreaterThanOrEqual(800);
    expect(gaps[2]).toBeGreaterThanOrEqual(1600);
    const hung = byHub.get(hanging ?? "");
    expect(hung?.attemptLog[0]?.error).toMatch(/timed out/);
    expect(hung?.attemptLog[0]?.status).toBeNull();
  });

  it("400 and 410 are dead letters; a replay delivers them again with the same id", async () => {
    const { receiver, subscription } = await subscribe(e2e.current.orgId);
    const [rejected, gone] = await provisionHubs(2);
    receiver.behave(({ id, attempt }) => {
      if (attempt > 1) return 204;
      return id === `${rejected}:1` ? 400 : id === `${gone}:1` ? 410 : 204;
    });
    await eventually(
      "two dead letters",
      async () => (await deliveries(subscription.id, "DEAD")).length === 2,
    );
    const dead = await deliveries(subscription.id, "DEAD");
    expect(dead.map((d) => d.lastStatus).sort()).toEqual([400, 410]);
    expect(dead.every((d) => d.attempts === 1 && d.attemptLog.length === 1)).toBe(true);
    expect(receiver.received).toEqual([]);

    // One by one…
    const one = dead.find((d) => d.hubId === rejected);
    expect(await hubService().webhooks.replay.mutate({ caller: ADMIN, ids: [one?.id ?? ""] })).toEqual({
      replayed: 1,
    });
    await eventually("the replayed delivery", () => receiver.ids().has(`${rejected}:1`));
    // …and in bulk: every dead letter of the subscription.
    expect(
      await hubService().webhooks.replay.mutate({
        caller: ADMIN,
        filter: { subscriptionId: subscription.id },
      }),
    ).toEqual({ replayed: 1 });
    await eventually("both replayed", () => receiver.ids().size === 2);
    expect([...receiver.ids()].sort()).toEqual([`${rejected}:1`, `${gone}:1`].sort());
    expect(receiver.unverified).toEqual([]);
    expect(await deliveries(subscription.id, "DEAD")).toEqual([]);
  });

  it("a relay killed mid-run: a new one sends what was not acknowledged, nothing lost", async () => {
    const { receiver } = await subscribe(e2e.current.orgId);
    // Slow enough (64 in flight, 200 ms each) that the crash lands mid-run.
    receiver.behave(() => ({ delayMs: 200, status: 204 }));
    const hubIds = await provisionHubs(300);
    await eventually("some deliveries", () => receiver.ids().size >= 30);
    await e2e.current.system.stopService("relay", "SIGKILL");
    const before = receiver.ids().size;
    expect(before).toBeLessThan(300);
    await e2e.current.system.startService("relay");
    await eventually("all 300 after the crash", () => receiver.ids().size === 300, 90_000);
    expect([...receiver.ids()].sort()).toEqual(hubIds.map((id) => `${id}:1`).sort());
    expectDuplicatesIdentical(receiver);
  });

  it("two relays at once: each event delivered once per subscription", async () => {
    const second = await startRelay();
    try {
      const one = await subscribe(e2e.current.orgId);
      const two = await subscribe(e2e.current.orgId);
      const hubIds = await provisionHubs(200);
      await Promise.all(hubIds.slice(0, 50).map((hubId) => suspendAndResume(hubId, 1)));
      for (const { receiver } of [one, two]) {
        await eventually("300 deliveries", () => receiver.ids().size === 300, 90_000);
        // Every endpoint answered 2xx at once: no retry, so no second delivery of anything.
        expect(receiver.received.length).toBe(300);
        expectVersionOrder(receiver);
      }
    } finally {
      await second.stop();
    }
  });

  it("rotating the secret: both signatures verify during the overlap, only the new one after", async () => {
    const { receiver, subscription, secret: oldSecret } = await subscribe(e2e.current.orgId);
    const rotated = await hubService().webhooks.rotateSecret.mutate({
      caller: ADMIN,
      id: subscription.id,
      overlapSeconds: 3600,
    });
    e2e.current.remember(rotated.secret);
    expect(rotated.secret).not.toBe(oldSecret);
    const [during] = await provisionHubs(1);
    await eventually("the delivery during the overlap", () => receiver.ids().has(`${during}:1`));
    const overlap = receiver.received.find((entry) => entry.id === `${during}:1`);
    expect(overlap?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const secret of [oldSecret, rotated.secret]) {
      expect(() => new Webhook(secret).verify(overlap?.body ?? "", overlap?.headers ?? {})).not.toThrow();
    }

    const ended = await hubService().webhooks.rotateSecret.mutate({
      caller: ADMIN,
      id: subscription.id,
      overlapSeconds: 0,
    });
    e2e.current.remember(ended.secret);
    receiver.secrets.push(ended.secret);
    const [after] = await provisionHubs(1);
    await eventually("the delivery after the overlap", () => receiver.ids().has(`${after}:1`));
    const late = receiver.received.find((entry) => entry.id === `${after}:1`);
    expect(late?.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(() => new Webhook(ended.secret).verify(late?.body ?? "", late?.headers ?? {})).not.toThrow();
    for (const secret of [oldSecret, rotated.secret]) {
      expect(() => new Webhook(secret).verify(late?.body ?? "", late?.headers ?? {})).toThrow();
    }
  });

  it("isolates organizations; after a ReClaim the old owner gets that event and nothing later", async () => {
    const orgA = await subscribe(e2e.current.orgId);
    const orgB = await subscribe(e2e.current.otherOrg.id);
    const hub = await e2e.current.newHub();
    await e2e.current.setConnected(hub.thingName, true);
    expect(
      (await rest(`/hubs/${hub.hubId}/ProvisionHub`, hub, { "x-api-key": e2e.current.manageApiKey })).status,
    ).toBe(201);
    const claim = { hubId: hub.hubId, siteId: "lobby", userId: "installer" };
    expect(
      (await rest(`/hubs/${hub.hubId}/ClaimHub`, claim, { "x-api-key": e2e.current.manageApiKey })).status,
    ).toBe(200);
    await eventually("org A's first two events", () => orgA.receiver.ids().size === 2);
    expect(orgB.receiver.received).toEqual([]);

    const move = {
      hubId: hub.hubId,
      newOrgId: e2e.current.otherOrg.id,
      newSiteId: "hall",
      reason: "sold",
      userId: "u",
    };
    expect((await rest(`/hubs/${hub.hubId}/ReClaimHub`, move, adminHeaders())).status).toBe(200);
    await suspendAndResume(hub.hubId, 1);
    await eventually("org B's events since the ReClaim", () => orgB.receiver.ids().size === 3);
    expect([...orgB.receiver.ids()].sort()).toEqual([3, 4, 5].map((v) => `${hub.hubId}:${v}`));
    // Org A: provisioned, claimed, re-claimed away, and nothing after.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([...orgA.receiver.ids()].sort()).toEqual([1, 2, 3].map((v) => `${hub.hubId}:${v}`));
    expect(orgA.receiver.received.find((e) => e.id.endsWith(":3"))?.payload.type).toBe("HubReClaimed");
  });

  describe.runIf(hasPostgres())(`commits out of position order (${NEEDS_POSTGRES})`, () => {
    it("an event whose transaction commits after a later position is still delivered", async () => {
      const { receiver } = await subscribe(e2e.current.orgId);
      const [first] = await provisionHubs(1);
      await eventually("the first hub's event", () => receiver.ids().has(`${first}:1`));
      // A writer that took its position and has not committed yet: a suspension of that hub,
      // written the way the event store writes (the same columns), held open.
      const held = await holdEventWriter(e2e.current.databaseUrl, {
        streamId: first ?? "",
        version: 2,
        type: "HubSuspended",
        data: { hubId: first, reason: "held", suspendedAt: Date.now() },
        orgIds: [e2e.current.orgId.toLowerCase()],
      });
      try {
        const [later] = await provisionHubs(1);
        // Held back behind the open transaction, not skipped: nothing after it goes out yet.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(receiver.ids().has(`${later}:1`)).toBe(false);
        await held.commit();
        await eventually(
          "both events",
          () => receiver.ids().has(`${first}:2`) && receiver.ids().has(`${later}:1`),
        );
        const heldPosition = receiver.received.find((e) => e.id === `${first}:2`)?.payload.data.position;
        const laterPosition = receiver.received.find((e) => e.id === `${later}:1`)?.payload.data.position;
        expect(BigInt(heldPosition ?? 0)).toBe(BigInt(held.position));
        expect(BigInt(heldPosition ?? 0)).toBeLessThan(BigInt(laterPosition ?? 0));
      } finally {
        await held.end();
      }
    });
  });
});

/** A second relay process beside the system's, as a replica would run. */
async function startRelay(): Promise<ServiceProcess> {
  const port = await freePort();
  return startService({
    name: `event-relay-${port}`,
    entry: "apps/event-relay/src/main.ts",
    env: {
      HUB_SERVICE_URL: e2e.current.system.hubService.url,
      SERVICE_JWT_SECRET: e2e.current.system.secrets.service,
      RELAY_PORT: String(port),
      WEBHOOK_ALLOW_PRIVATE_URLS: "true",
      ...RELAY,
    },
    port,
    readyPath: "/healthz",
    logDir: e2e.current.system.logDir,
  });
}
