import { randomBytes, randomUUID } from "node:crypto";
import { CreateThingCommand, IoTClient } from "@aws-sdk/client-iot";
import {
  cloneTemplate,
  hasNats,
  hasPostgres,
  holdEventWriter,
  NEEDS_NATS,
  NEEDS_POSTGRES,
  type ServiceProcess,
  type System,
  startSystem,
  TEST_SECRETS,
  type TestDatabase,
  testEnv,
  waitUntil,
} from "@hub/test-support";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import jwt from "jsonwebtoken";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { JETSTREAM_CONSUMER } from "../src/jetstream-publisher.ts";

// The relay's JetStream publisher end to end: real emulator, hub-service, gateway and relay
// processes, a real NATS server with JetStream. Events are made the way clients make them (the
// gateway's REST routes); what the stream holds is compared with the log as the admin feed shows it.

type Json = Record<string, unknown>;

/** One event as the gateway's admin feed (GraphQL `events`) shows it. */
type FeedEvent = {
  position: string;
  hubId: string;
  version: number;
  type: string;
  data: Json;
  metadata: string;
  recordedAt: number;
};

type FeedPage = {
  edges: { node: FeedEvent }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

/** One message of the stream, as a JetStream consumer receives it. */
type Published = { seq: number; subject: string; msgId: string | undefined; body: unknown };

type HubBody = { hubId: string; serial: string; model: string; thingName: string };

/** Longer than any run of this file: a test stream older than that is a leftover of a killed run. */
const STALE_TEST_STREAM_MS = 30 * 60_000;
const TEST_STREAM_PREFIX = "HUB_TEST_";

const isStreamNotFound = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;

/**
 * The relay's stream captures `hubs.>`, and NATS lets no two streams capture overlapping
 * subjects: a test stream left behind by a run killed before its afterAll would make every later
 * run's relay fail to start. Those (old, with our prefix) are removed; anything else is left alone.
 */
async function deleteStaleTestStreams(jsm: JetStreamManager): Promise<void> {
  for await (const info of jsm.streams.list()) {
    const age = Date.now() - new Date(info.created).getTime();
    if (info.config.name.startsWith(TEST_STREAM_PREFIX) && age > STALE_TEST_STREAM_MS) {
      await jsm.streams.delete(info.config.name);
    }
  }
}

/** Runs `task` on each item, `limit` at once (the emulator rewrites its store file on every change). */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/**
 * A system with the relay publishing to a stream of its own (`HUB_TEST_<random>`, deleted after),
 * with a short lease so a crashed relay's successor takes over within the test.
 */
function useRelaySystem() {
  const natsUrl = testEnv().TEST_NATS_URL ?? "";
  const stream = `${TEST_STREAM_PREFIX}${randomBytes(6).toString("hex")}`;
  let database: TestDatabase | undefined;
  let system: System | undefined;
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  let js: JetStreamClient | undefined;
  let iot: IoTClient | undefined;

  beforeAll(async () => {
    nc = await connect({ servers: natsUrl, name: "jetstream.e2e" });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await deleteStaleTestStreams(jsm);
    database = await cloneTemplate(inject("dbTemplate"));
    system = await startSystem({
      databaseUrl: database.url,
      // This file tests no registry fault: startSystem's short registry deadlines (the fault
      // tests') and the breaker would turn a loaded machine's slow lookups into 503 items, and a
      // 1,000-hub batch may outlast the gateway's default 10 s budget there.
      env: {
        IOT_DEADLINE_MS: "30000",
        IOT_ATTEMPT_TIMEOUT_MS: "10000",
        IOT_BREAKER_THRESHOLD: "100000",
        HUB_SERVICE_TIMEOUT_MS: "300000",
        REQUEST_TIMEOUT_MS: "300000",
      },
      relay: { NATS_URL: natsUrl, NATS_STREAM: stream, NATS_LEASE_MS: "2000" },
    });
    iot = new IoTClient({
      endpoint: system.emulator.url,
      region: "us-east-1",
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
  });

  afterAll(async () => {
    iot?.destroy();
    await system?.stop();
    await database?.drop();
    if (jsm) {
      try {
        await jsm.streams.delete(stream);
      } catch (error) {
        // The relay creates the stream when it starts: a relay that never started made none.
        if (!isStreamNotFound(error)) throw error;
      }
    }
    await nc?.close();
  });

  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the system did not start (see beforeAll)");
    return value;
  };

  const adminToken = () =>
    jwt.sign({ role: "admin" }, TEST_SECRETS.gatewayJwt, {
      algorithm: "HS256",
      issuer: "hub-platform-dev",
      audience: "hub-api",
      subject: "jetstream-e2e",
      expiresIn: "5m",
    });

  async function post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${need(system).gateway.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken()}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  /** Hub bodies whose Things exist in the registry emulator (ProvisionHub looks the Thing up). */
  async function newHubs(count: number): Promise<HubBody[]> {
    const label = randomUUID().slice(0, 8);
    const hubs = Array.from({ length: count }, (_, i) => ({
      hubId: randomUUID(),
      serial: `JS-${label}-${i}`,
      model: "HUB-2",
      thingName: `js-${label}-${i}`,
    }));
    await inPool(hubs, 16, async (hub) => {
      await need(iot).send(new CreateThingCommand({ thingName: hub.thingName }));
    });
    return hubs;
  }

  /** POST /hubs/ProvisionHubs, 1,000 a request (its limit), one after the other; every hub created. */
  async function provisionBulk(hubs: readonly HubBody[]): Promise<void> {
    for (let i = 0; i < hubs.length; i += 1000) {
      const chunk = hubs.slice(i, i + 1000);
      const answer = await post("/hubs/ProvisionHubs", { hubs: chunk });
      expect(answer.status, JSON.stringify(answer.body).slice(0, 500)).toBe(200);
      const failures = (answer.body.results as { status: number }[]).filter(
        (result) => result.status !== 201,
      );
      expect(answer.body.summary, JSON.stringify(failures.slice(0, 3))).toEqual({
        created: chunk.length,
        unchanged: 0,
        failed: 0,
      });
    }
  }

  /** The whole log, oldest first, as the gateway's admin feed pages it. */
  async function feed(): Promise<FeedEvent[]> {
    const query = `query Feed($after: String) {
      events(order: OLDEST_FIRST, first: 100, after: $after) {
        edges { node { position hubId version type data metadata recordedAt } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const events: FeedEvent[] = [];
    let after: string | null = null;
    for (;;) {
      const { status, body } = await post("/graphql", { query, variables: { after } });
      expect(status, JSON.stringify(body).slice(0, 500)).toBe(200);
      const page = (body.data as { events: FeedPage }).events;
      events.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return events;
      after = page.pageInfo.endCursor;
    }
  }

  async function streamCount(): Promise<number> {
    return (await need(jsm).streams.info(stream)).state.messages;
  }

  /** Every message of the stream in stream order, through an ordered consumer (ephemeral, from the start). */
  async function streamMessages(): Promise<Published[]> {
    const { state } = await need(jsm).streams.info(stream);
    if (state.messages === 0) return [];
    const consumer = await need(js).consumers.get(stream);
    const messages = await consumer.consume();
    const published: Published[] = [];
    for await (const message of messages) {
      published.push({
        seq: message.seq,
        subject: message.subject,
        msgId: message.headers?.get("Nats-Msg-Id"),
        body: message.json(),
      });
      if (message.seq >= state.last_seq) break;
    }
    await messages.close();
    return published;
  }

  /** Waits until the stream holds as many messages as the log has events (or more: then the check fails). */
  async function waitForStream(count: number): Promise<void> {
    await waitUntil(async () => (await streamCount()) >= count, `${count} messages in stream ${stream}`, {
      timeoutMs: 90_000,
      intervalMs: 100,
    });
  }

  /**
   * The stream holds each event of the log exactly once, as `hubs.<type>.<hubId>` with
   * `Nats-Msg-Id` = its position and the webhook body's shape; each hub's events in version order.
   */
  function expectExactlyOnce(messages: readonly Published[], log: readonly FeedEvent[]): void {
    const ids = messages.map((message) => message.msgId);
    expect(new Set(ids).size, "no position twice in the stream").toBe(ids.length);
    expect(messages).toHaveLength(log.length);
    const byPosition = new Map(log.map((event) => [event.position, event]));
    const unexpected: unknown[] = [];
    const versions = new Map<string, number[]>();
    for (const message of messages) {
      const event = message.msgId === undefined ? undefined : byPosition.get(message.msgId);
      if (!event) {
        unexpected.push({ seq: message.seq, msgId: message.msgId, subject: message.subject });
        continue;
      }
      expect(message.subject).toBe(`hubs.${event.type}.${event.hubId}`);
      expect(message.body).toEqual({
        type: event.type,
        timestamp: new Date(event.recordedAt).toISOString(),
        data: { ...event.data, hubId: event.hubId, version: event.version, position: event.position },
        metadata: JSON.parse(event.metadata),
      });
      versions.set(event.hubId, [...(versions.get(event.hubId) ?? []), event.version]);
    }
    expect(unexpected, "messages that are no event of the log").toEqual([]);
    const outOfOrder = [...versions].filter(([, seen]) => seen.some((version, i) => version !== i + 1));
    expect(outOfOrder, "hubs whose events are not in version order 1, 2, 3…").toEqual([]);
  }

  return {
    stream,
    get system() {
      return need(system);
    },
    get nc() {
      return need(nc);
    },
    get databaseUrl() {
      return need(database).url;
    },
    post,
    newHubs,
    provisionBulk,
    feed,
    streamCount,
    streamMessages,
    waitForStream,
    expectExactlyOnce,
  };
}

/** A counter of the relay's Prometheus endpoint (0 when it has no sample yet). */
async function relayCounter(relay: ServiceProcess, sample: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

describe.runIf(hasNats())(`the relay publishes the event log to JetStream (${NEEDS_NATS})`, () => {
  const relay = useRelaySystem();

  it("every event of bulk provisioning and lifecycle commands once, as hubs.<type>.<hubId> with Nats-Msg-Id = position and the webhook body, each hub in version order", async () => {
    const hubs = await relay.newHubs(300);
    await relay.provisionBulk(hubs);
    const [first, second, third] = hubs as [HubBody, HubBody, HubBody];
    for (const hub of [first, second, third]) {
      const suspended = await relay.post(`/hubs/${hub.hubId}/SuspendHub`, {
        hubId: hub.hubId,
        reason: "lost",
        userId: "ops",
      });
      expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);
    }
    for (const hub of [first, second]) {
      const resumed = await relay.post(`/hubs/${hub.hubId}/ResumeHub`, {
        hubId: hub.hubId,
        reason: "found",
        userId: "ops",
      });
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    }

    const log = await relay.feed();
    expect(log).toHaveLength(300 + 3 + 2);
    await relay.waitForStream(log.length);
    const messages = await relay.streamMessages();
    relay.expectExactlyOnce(messages, log);
    const subjectsOf = (hubId: string) =>
      messages.filter((message) => message.subject.endsWith(`.${hubId}`)).map((message) => message.subject);
    expect(subjectsOf(first.hubId)).toEqual([
      `hubs.HubProvisioned.${first.hubId}`,
      `hubs.HubSuspended.${first.hubId}`,
      `hubs.HubResumed.${first.hubId}`,
    ]);
    expect(subjectsOf(third.hubId)).toEqual([
      `hubs.HubProvisioned.${third.hubId}`,
      `hubs.HubSuspended.${third.hubId}`,
    ]);
  }, 120_000);

  it("a relay killed while it publishes a large batch: its successor continues after the lease, and the stream holds every event exactly once", async ({
    annotate,
  }) => {
    const hubs = await relay.newHubs(2000);
    const batch = new Set(hubs.map((hub) => hub.hubId));
    const crashed = relay.system.relay;
    // Every publication reaches a plain subscriber too, re-publications JetStream drops included;
    // the relay dies as soon as the first event of the batch is out, before it can commit.
    let publications = 0;
    let killed: Promise<void> | undefined;
    let subscriptionError: Error | undefined;
    const subscription = relay.nc.subscribe("hubs.>", {
      callback: (error, message) => {
        if (error) {
          subscriptionError = error;
          return;
        }
        if (!batch.has(message.subject.split(".")[2] ?? "")) return;
        publications++;
        killed ??= relay.system.stopService("relay", "SIGKILL");
      },
    });
    let storedAtCrash = 0;
    const crashAndRestart = async () => {
      await waitUntil(() => killed !== undefined, "the first publication of the batch", {
        timeoutMs: 120_000,
      });
      await killed;
      expect((await crashed.exited).signal).toBe("SIGKILL");
      storedAtCrash = await relay.streamCount();
      return relay.system.startService("relay");
    };
    const [, successor] = await Promise.all([relay.provisionBulk(hubs), crashAndRestart()]);

    const log = await relay.feed();
    expect(storedAtCrash, "the crash came before the batch was all published").toBeLessThan(log.length);
    await relay.waitForStream(log.length);
    const messages = await relay.streamMessages();
    relay.expectExactlyOnce(messages, log);

    // Each publication the subscriber saw is a message stored or a copy JetStream dropped, and only
    // the successor re-publishes (what the crashed relay had published after its last checkpoint):
    // its duplicate count must account for every publication beyond one per event. Its counters
    // move when a batch's acks are in, a moment after the stream holds the messages.
    const dropped = 'relay_jetstream_published_total{result="duplicate"}';
    let duplicates = -1;
    try {
      await waitUntil(
        async () => {
          duplicates = await relayCounter(successor, dropped);
          return publications === hubs.length + duplicates;
        },
        "the successor's duplicate count to account for every re-publication",
        { intervalMs: 100 },
      );
    } catch (error) {
      throw new Error(`${publications} publications of ${hubs.length} events, ${duplicates} dropped`, {
        cause: error,
      });
    }
    await subscription.drain();
    expect(subscriptionError).toBeUndefined();
    // The relay died on the first publication the subscriber saw, long before the acks of its
    // batch and the checkpoint's round trip to hub-service: that batch was published twice.
    expect(duplicates, "re-publications after the crash").toBeGreaterThan(0);
    await annotate(
      `${publications} publications of the batch's ${hubs.length} events; re-published by the successor and dropped by JetStream: ${duplicates}`,
    );
  }, 240_000);
});

describe.runIf(hasNats() && hasPostgres())(
  `the JetStream publisher and a transaction that commits late (${NEEDS_NATS}; ${NEEDS_POSTGRES})`,
  () => {
    const relay = useRelaySystem();

    it("an event whose transaction commits after a later position is published, first; nothing after it is published before", async () => {
      const observer = new pg.Client({ connectionString: relay.databaseUrl });
      await observer.connect();
      let writer: Awaited<ReturnType<typeof holdEventWriter>> | undefined;
      try {
        const leaseUntil = async (): Promise<number> => {
          const { rows } = await observer.query<{ lease_until: Date | null }>(
            "SELECT lease_until FROM log_consumers WHERE name = $1",
            [JETSTREAM_CONSUMER],
          );
          return rows[0]?.lease_until?.getTime() ?? 0;
        };
        await waitUntil(async () => (await leaseUntil()) > 0, "the relay's first lease");

        const lateId = randomUUID();
        writer = await holdEventWriter(relay.databaseUrl, {
          streamId: lateId,
          version: 1,
          type: "HubSuspended",
        });
        const latePosition = writer.position;
        const [hub] = (await relay.newHubs(1)) as [HubBody];
        const provisioned = await relay.post(`/hubs/${hub.hubId}/ProvisionHub`, hub);
        expect(provisioned.status, JSON.stringify(provisioned.body)).toBe(201);

        // The later event is committed (the feed, by position, shows it) and took a higher position.
        const before = await relay.feed();
        expect(before.map((event) => event.hubId)).toEqual([hub.hubId]);
        const laterPosition = before[0]?.position ?? "";
        expect(BigInt(latePosition)).toBeLessThan(BigInt(laterPosition));

        // The relay takes its lease, then reads, in a loop: two leases taken after the commit mean
        // one whole read after it. That read must have held the later event back.
        const seen = await leaseUntil();
        let renewed = seen;
        await waitUntil(
          async () => (renewed = await leaseUntil()) > seen,
          "a lease renewal after the commit",
        );
        await waitUntil(
          async () => (await leaseUntil()) > renewed,
          "a second lease renewal after the commit",
        );
        expect(await relay.streamCount(), "published while an earlier position was uncommitted").toBe(0);

        await writer.commit();
        const log = await relay.feed();
        expect(log.map((event) => event.position)).toEqual([latePosition, laterPosition]);
        await relay.waitForStream(2);
        const messages = await relay.streamMessages();
        relay.expectExactlyOnce(messages, log);
        expect(messages.map((message) => [message.subject, message.msgId])).toEqual([
          [`hubs.HubSuspended.${lateId}`, latePosition],
          [`hubs.HubProvisioned.${hub.hubId}`, laterPosition],
        ]);
      } finally {
        await writer?.end();
        await observer.end();
      }
    }, 120_000);
  },
);
