import { randomUUID } from "node:crypto";
import {
  type ClaimedDelivery,
  cursorOf,
  type DeliveryReport,
  LOG_START,
  type LogCursor,
  type WebhookDeliveryView,
} from "@hub/shared";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { createEventDelivery, type EventDelivery } from "../src/event-delivery.ts";
import { EventStore } from "../src/event-store/event-store.ts";
import { hubProjection, hubStreamGates, hubUniqueConflicts } from "../src/hub/projection.ts";
import { readLog } from "../src/log/log-reader.ts";
import { fanOut } from "../src/webhooks/fan-out.ts";
import { useTestDatabase } from "./support/database.ts";

// The delivery store the relay leases from, on the real database (both engines): fan-out,
// per-hub order, leases, reports, auto-pause, replay. The relay and HTTP are the e2e tests'.
const db = useTestDatabase();
let delivery: EventDelivery;
const ORG = randomUUID();
const OTHER = randomUUID();
const meta = { actor: { kind: "service", id: "test" }, requestId: "r1", correlationId: "c1", source: "trpc" };

beforeAll(async () => {
  delivery = createEventDelivery({
    db: db.current,
    secretKey: "test-key-material-0123456789abcdef-0123",
    allowPrivateUrls: true,
  });
  await db.current.prisma.organization.createMany({
    data: [
      { id: ORG, name: `org ${ORG}` },
      { id: OTHER, name: `org ${OTHER}` },
    ],
  });
});

const store = () =>
  new EventStore(db.current.prisma, {
    projection: hubProjection,
    uniqueConflicts: hubUniqueConflicts,
    streamGates: hubStreamGates,
  });

/** A hub of `orgId` with `extra` suspend/resume events after its provisioning; fanned out. */
async function hubWithEvents(orgId: string, extra = 0): Promise<string> {
  const hubId = randomUUID();
  const s = store();
  await s.appendToStream(hubId, 0, [
    {
      type: "HubProvisioned",
      data: { hubId, serial: `SN-${hubId}`, model: "HUB-2", thingName: `t-${hubId}`, provisionedAt: 1 },
      metadata: meta,
      orgIds: [orgId.toLowerCase()],
    },
  ]);
  for (let v = 1; v <= extra; v++) {
    await s.appendToStream(hubId, v, [
      v % 2 === 1
        ? {
            type: "HubSuspended",
            data: { hubId, reason: "r", suspendedBy: "u", suspendedAt: v },
            metadata: meta,
            orgIds: [orgId],
          }
        : {
            type: "HubResumed",
            data: { hubId, resumedBy: "u", resumedAt: v },
            metadata: meta,
            orgIds: [orgId],
          },
    ]);
  }
  await fanOutEverything();
  return hubId;
}

/**
 * The fan-out consumer's work, checkpointed like it: everything committed since the last call
 * (waiting while another database's writer on a shared server holds the log back).
 */
let fannedOut: LogCursor = LOG_START;
async function fanOutEverything() {
  const [{ total } = { total: 0n }] = await db.current.prisma.$queryRaw<{ total: bigint }[]>`
    SELECT count(*) AS total FROM hub_events
    WHERE (transaction_id, position) > (${fannedOut.tx}::xid8, ${fannedOut.position}::int8)`;
  let done = 0;
  for (let i = 0; done < Number(total) && i < 400; i++) {
    const events = await db.current.prisma.$transaction(async (tx) => {
      const read = await readLog(tx, { after: fannedOut, limit: 10_000 });
      await fanOut(tx, read);
      return read;
    });
    const last = events.at(-1);
    if (last) fannedOut = cursorOf(last);
    done += events.length;
    if (done < Number(total)) await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const report = (
  claimed: ClaimedDelivery,
  outcome: DeliveryReport["outcome"],
  extra: Partial<DeliveryReport> = {},
) => ({
  id: claimed.id,
  attempt: claimed.attempt,
  outcome,
  durationMs: 5,
  attemptedAt: Date.now(),
  ...extra,
});

async function subscription(orgId = ORG, eventTypes?: string[]) {
  return delivery.subscriptions.create({ orgId, url: "http://127.0.0.1:9/hooks", eventTypes });
}

/** Claims until nothing is due, delivering each: the ids in the order they were handed out. */
async function drain(owner = "relay-1"): Promise<string[]> {
  const order: string[] = [];
  for (;;) {
    const claimed = await delivery.deliveries.claim(owner, 50, 30_000);
    if (claimed.length === 0) return order;
    order.push(...claimed.map((c) => c.headers["webhook-id"] ?? ""));
    await delivery.deliveries.report(
      owner,
      claimed.map((c) => report(c, "delivered", { status: 204 })),
      {
        disableAfterMs: 3_600_000,
      },
    );
  }
}

describe("webhook deliveries", () => {
  it("fans an event out to the receiving organization's subscriptions only, by type, once", async () => {
    const all = await subscription();
    const claims = await subscription(ORG, ["HubClaimed"]);
    const other = await subscription(OTHER);
    const hubId = await hubWithEvents(ORG);
    await fanOutEverything(); // a redone batch adds nothing
    const bySubscription = async (id: string) =>
      (await delivery.deliveries.list({ subscriptionId: id }, { first: 100 })).nodes.map((d) => d.webhookId);
    expect(await bySubscription(all.subscription.id)).toEqual([`${hubId}:1`]);
    expect(await bySubscription(claims.subscription.id)).toEqual([]);
    expect(await bySubscription(other.subscription.id)).toEqual([]);
    await drain();
    for (const s of [all, claims, other]) await delivery.subscriptions.remove(s.subscription.id);
  });

  it("hands a hub's events out one at a time, in version order, signed with the secret", async () => {
    const { subscription: sub, secret } = await subscription();
    const hubId = await hubWithEvents(ORG, 4);
    const first = await delivery.deliveries.claim("relay-1", 50, 30_000);
    expect(first.map((c) => c.headers["webhook-id"])).toEqual([`${hubId}:1`]);
    const [one] = first as [ClaimedDelivery];
    expect(() => new Webhook(secret).verify(one.body, one.headers)).not.toThrow();
    expect(JSON.parse(one.body)).toMatchObject({ type: "HubProvisioned", data: { hubId, version: 1 } });
    // Leased: another relay gets neither it nor the hub's next event.
    expect(await delivery.deliveries.claim("relay-2", 50, 30_000)).toEqual([]);
    await delivery.deliveries.report("relay-1", [report(one, "delivered", { status: 200 })], {
      disableAfterMs: 1e9,
    });
    expect(await drain()).toEqual([2, 3, 4, 5].map((v) => `${hubId}:${v}`));
    await delivery.subscriptions.remove(sub.id);
  });

  it("a report under a lost lease changes nothing; the new holder's does", async () => {
    const { subscription: sub } = await subscription();
    await hubWithEvents(ORG);
    const [stale] = (await delivery.deliveries.claim("relay-1", 50, 1_000)) as [ClaimedDelivery];
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const [fresh] = (await delivery.deliveries.claim("relay-2", 50, 30_000)) as [ClaimedDelivery];
    expect(fresh.id).toBe(stale.id);
    expect(fresh.attempt).toBe(2);
    expect(
      await delivery.deliveries.report("relay-1", [report(stale, "delivered")], { disableAfterMs: 1e9 }),
    ).toBe(0);
    expect(
      await delivery.deliveries.report("relay-2", [report(fresh, "delivered")], { disableAfterMs: 1e9 }),
    ).toBe(1);
    const [node] = (await delivery.deliveries.list({ subscriptionId: sub.id }, { first: 10 })).nodes;
    expect(node?.status).toBe("DELIVERED");
    await delivery.subscriptions.remove(sub.id);
  });

  it("a retry holds the hub's later events until it is delivered; then they are due at once", async () => {
    const { subscription: sub } = await subscription();
    const hubId = await hubWithEvents(ORG, 2);
    const [first] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
    await delivery.deliveries.report(
      "relay-1",
      [report(first, "retry", { status: 503, nextAttemptAt: Date.now() + 1_000 })],
      { disableAfterMs: 1e9 },
    );
    expect(await delivery.deliveries.claim("relay-1", 50, 30_000)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [again] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
    expect(again.headers["webhook-id"]).toBe(`${hubId}:1`);
    expect(again.scheduleAttempt).toBe(2);
    await delivery.deliveries.report("relay-1", [report(again, "delivered")], { disableAfterMs: 1e9 });
    expect(await drain()).toEqual([`${hubId}:2`, `${hubId}:3`]);
    const [attempted] = (
      await delivery.deliveries.list({ subscriptionId: sub.id, hubId }, { first: 10 })
    ).nodes.slice(-1);
    expect(attempted?.attemptLog.map((a) => a.attempt)).toEqual([1, 2]);
    await delivery.subscriptions.remove(sub.id);
  });

  it("a delivery waiting behind its hub's earlier one, or held by a pause, lists with its real state (by subscription, hub and organization)", async () => {
    const { subscription: sub } = await subscription();
    const hubId = await hubWithEvents(ORG, 2);
    // The endpoint fails: the head waits for its retry, the two behind it for the head.
    const [first] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
    await delivery.deliveries.report(
      "relay-1",
      [report(first, "retry", { status: 503, nextAttemptAt: Date.now() + 60_000 })],
      { disableAfterMs: 1e9 },
    );
    const states = async (filter: Parameters<EventDelivery["deliveries"]["list"]>[0]) =>
      (await delivery.deliveries.list(filter, { first: 100 })).nodes
        .filter((node) => node.hubId === hubId)
        .map(({ id, version, status, nextAttemptAt, waitingReason, waitingFor }) => ({
          id,
          version,
          status,
          next: nextAttemptAt === null ? null : "at",
          waitingReason,
          waitingFor,
        }));
    const failing = await states({ subscriptionId: sub.id });
    expect(failing).toEqual([
      {
        id: expect.any(String),
        version: 3,
        status: "PENDING",
        next: null,
        waitingReason: "QUEUED_BEHIND",
        waitingFor: first.id,
      },
      {
        id: expect.any(String),
        version: 2,
        status: "PENDING",
        next: null,
        waitingReason: "QUEUED_BEHIND",
        waitingFor: first.id,
      },
      { id: first.id, version: 1, status: "PENDING", next: "at", waitingReason: null, waitingFor: null },
    ]);
    // The same rows by hub and organization-wide (every subscription of the organization).
    expect(await states({ hubId })).toEqual(failing);
    expect(await states({ orgId: ORG })).toEqual(failing);

    // Paused: the whole queue is held, the head too; nothing is being sent.
    await delivery.subscriptions.setPaused(sub.id, true);
    expect(await states({ orgId: ORG })).toEqual([
      { ...failing[0], waitingReason: "SUBSCRIPTION_PAUSED", waitingFor: null },
      { ...failing[1], waitingReason: "SUBSCRIPTION_PAUSED", waitingFor: null },
      { ...failing[2], next: null, waitingReason: "SUBSCRIPTION_PAUSED" },
    ]);
    await delivery.subscriptions.remove(sub.id);
  });

  it("a replayed dead letter waits behind the delivery its hub's queue is sending, even a later version", async () => {
    const { subscription: sub } = await subscription();
    const hubId = await hubWithEvents(ORG, 1);
    const [first] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
    await delivery.deliveries.report("relay-1", [report(first, "dead", { status: 410, error: "HTTP 410" })], {
      disableAfterMs: 1e9,
    });
    // Version 2 is now the head (due); version 1, replayed, queues behind it.
    expect(await delivery.deliveries.replay({ ids: [first.id] })).toBe(1);
    const nodes = (await delivery.deliveries.list({ subscriptionId: sub.id, hubId }, { first: 10 })).nodes;
    const [second, replayed] = nodes as [WebhookDeliveryView, WebhookDeliveryView];
    expect(second).toMatchObject({ version: 2, waitingReason: null, waitingFor: null });
    expect(second.nextAttemptAt).toEqual(expect.any(Number));
    expect(replayed).toMatchObject({
      id: first.id,
      version: 1,
      nextAttemptAt: null,
      waitingReason: "QUEUED_BEHIND",
      waitingFor: second.id,
    });
    expect(await drain()).toEqual([`${hubId}:2`, `${hubId}:1`]);
    await delivery.subscriptions.remove(sub.id);
  });

  it("a dead letter does not hold the hub back; a replay sends it again with the same id and a new schedule", async () => {
    const { subscription: sub } = await subscription();
    const hubId = await hubWithEvents(ORG, 1);
    const [first] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
    await delivery.deliveries.report("relay-1", [report(first, "dead", { status: 410, error: "HTTP 410" })], {
      disableAfterMs: 1e9,
    });
    expect(await drain()).toEqual([`${hubId}:2`]);
    const dead = (await delivery.deliveries.list({ subscriptionId: sub.id, status: "DEAD" }, { first: 10 }))
      .nodes;
    expect(dead.map((d) => [d.webhookId, d.lastStatus])).toEqual([[`${hubId}:1`, 410]]);
    expect(await delivery.deliveries.replay({ filter: { subscriptionId: sub.id } })).toBe(1);
    const [replayed] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
    expect(replayed.headers["webhook-id"]).toBe(`${hubId}:1`);
    expect([replayed.attempt, replayed.scheduleAttempt]).toEqual([2, 1]);
    await delivery.deliveries.report("relay-1", [report(replayed, "delivered")], { disableAfterMs: 1e9 });
    expect(
      (await delivery.deliveries.list({ subscriptionId: sub.id, status: "DEAD" }, { first: 10 })).nodes,
    ).toEqual([]);
    await delivery.subscriptions.remove(sub.id);
  });

  it("an endpoint failing past the limit is paused with a reason; its events wait, and resuming sends them", async () => {
    const { subscription: sub } = await subscription();
    const hubs = [await hubWithEvents(ORG), await hubWithEvents(ORG)];
    const claimed = await delivery.deliveries.claim("relay-1", 1, 30_000);
    const [first] = claimed as [ClaimedDelivery];
    const fail = (c: ClaimedDelivery) =>
      delivery.deliveries.report(
        "relay-1",
        [report(c, "retry", { error: "connection refused", nextAttemptAt: Date.now() })],
        {
          disableAfterMs: 1_000,
        },
      );
    await fail(first);
    expect((await delivery.subscriptions.get(sub.id)).failingSince).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [second] = (await delivery.deliveries.claim("relay-1", 1, 30_000)) as [ClaimedDelivery];
    await fail(second);
    const paused = await delivery.subscriptions.get(sub.id);
    expect(paused.status).toBe("PAUSED");
    expect(paused.pausedReason).toMatch(/paused automatically: .*connection refused/);
    expect(await delivery.deliveries.claim("relay-1", 50, 30_000)).toEqual([]);
    await hubWithEvents(ORG); // queued while paused
    expect(await delivery.deliveries.claim("relay-1", 50, 30_000)).toEqual([]);
    await delivery.subscriptions.setPaused(sub.id, false);
    const sent = await drain();
    expect(sent).toHaveLength(3);
    expect(sent).toEqual(expect.arrayContaining(hubs.map((h) => `${h}:1`)));
    const stats = await delivery.subscriptions.stats([sub.id]);
    expect(stats[0]).toMatchObject({ pending: 0, delivered: 3, dead: 0, lagPositions: 0 });
    expect((await delivery.subscriptions.get(sub.id)).failingSince).toBeNull();
    await delivery.subscriptions.remove(sub.id);
  });

  it("secrets are stored encrypted, and a rotation signs with both during the overlap", async () => {
    const { subscription: sub, secret } = await subscription();
    const row = await db.current.prisma.webhookSubscription.findUniqueOrThrow({ where: { id: sub.id } });
    expect(row.secret).not.toContain(secret.slice(6));
    const rotated = await delivery.subscriptions.rotateSecret(sub.id, 60_000);
    await hubWithEvents(ORG);
    const [claimed] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
    expect(claimed.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const s of [secret, rotated.secret])
      expect(() => new Webhook(s).verify(claimed.body, claimed.headers)).not.toThrow();
    await delivery.deliveries.report("relay-1", [report(claimed, "delivered")], { disableAfterMs: 1e9 });
    await delivery.subscriptions.remove(sub.id);
  });

  it("a secret it cannot decrypt pauses that subscription only; nothing is sent unsigned or lost", async () => {
    const broken = await subscription();
    const fine = await subscription();
    const foreign = createEventDelivery({
      db: db.current,
      secretKey: "another-key-material-0123456789abcdef",
      allowPrivateUrls: true,
    });
    const sealedElsewhere = await foreign.subscriptions.create({ orgId: OTHER, url: "http://127.0.0.1:9/x" });
    const { secret } = await db.current.prisma.webhookSubscription.findUniqueOrThrow({
      where: { id: sealedElsewhere.subscription.id },
    });
    await db.current.prisma.webhookSubscription.update({
      where: { id: broken.subscription.id },
      data: { secret },
    });
    const hubId = await hubWithEvents(ORG);
    const claimed = await delivery.deliveries.claim("relay-1", 50, 30_000);
    expect(claimed.map((c) => c.subscriptionId)).toEqual([fine.subscription.id]);
    const paused = await delivery.subscriptions.get(broken.subscription.id);
    expect(paused.status).toBe("PAUSED");
    expect(paused.pausedReason).toMatch(/cannot be decrypted/);
    const [held] = (await delivery.deliveries.list({ subscriptionId: broken.subscription.id }, { first: 10 }))
      .nodes;
    expect(held).toMatchObject({ webhookId: `${hubId}:1`, status: "PENDING", attempts: 0 });
    for (const s of [broken, fine, sealedElsewhere]) await delivery.subscriptions.remove(s.subscription.id);
  });

  it("a bulk replay of one hub's dead letters sends them one at a time, in version order", async () => {
    const { subscription: sub } = await subscription();
    const hubId = await hubWithEvents(ORG, 2);
    const kill = async () => {
      const [claimed] = (await delivery.deliveries.claim("relay-1", 50, 30_000)) as [ClaimedDelivery];
      await delivery.deliveries.report("relay-1", [report(claimed, "dead", { status: 400 })], {
        disableAfterMs: 1e9,
      });
      return claimed.headers["webhook-id"];
    };
    expect([await kill(), await kill()]).toEqual([`${hubId}:1`, `${hubId}:2`]);
    expect(await drain()).toEqual([`${hubId}:3`]);
    expect(await delivery.deliveries.replay({ filter: { subscriptionId: sub.id } })).toBe(2);
    const one = await delivery.deliveries.claim("relay-1", 50, 30_000);
    expect(one.map((c) => c.headers["webhook-id"])).toEqual([`${hubId}:1`]);
    await delivery.deliveries.report("relay-1", [report(one[0] as ClaimedDelivery, "delivered")], {
      disableAfterMs: 1e9,
    });
    expect(await drain()).toEqual([`${hubId}:2`]);
    await delivery.subscriptions.remove(sub.id);
  });
});
