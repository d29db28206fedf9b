import { createClient, NetworkError } from "graphql-sse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrape, valueOf } from "./support/prometheus.ts";
import { useSystem } from "./support/system.ts";
import { startTrpcProxy } from "./support/trpc-proxy.ts";

// The live feed through the real gateway, hub-service and database, as a partner's SSE client
// (graphql-sse, distinct connections mode) meets it.
const e2e = useSystem();
const admin = () => e2e.current.token({ role: "admin" }, { subject: "admin-1" });
const service = () => e2e.current.token({ role: "service" }, { subject: "line-7" });
const asAdmin = () => ({ authorization: `Bearer ${admin()}` });

type Received = { position: string; hubId: string; type: string; version: number };
type Filter = { hubId?: string; types?: string[]; after?: string };

const SUBSCRIPTION = /* GraphQL */ `
  subscription Live($filter: HubEventsFilter) {
    hubEvents(filter: $filter) { position hubId type version }
  }`;

/** One subscription: what it received, its end, and waits on both (no wall-clock assertions). */
async function follow(headers: Record<string, string>, filter: Filter = {}, url = e2e.current.gatewayUrl) {
  const client = createClient({
    url: `${url}/graphql`,
    headers,
    singleConnection: false,
    // A refusal or a broken stream is the test's to see, not the client's to retry.
    retryAttempts: 0,
    fetchFn: fetch,
  });
  const received: Received[] = [];
  const errors: { message: string; extensions?: Record<string, unknown> }[] = [];
  const state: { failure?: unknown; completed: boolean } = { completed: false };
  let changed = () => {};
  let connected!: () => void;
  const established = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const dispose = client.subscribe<{ hubEvents: Received }>(
    { query: SUBSCRIPTION, variables: { filter } },
    {
      next(result) {
        if (result.errors) errors.push(...(result.errors as unknown as typeof errors));
        if (result.data?.hubEvents) received.push(result.data.hubEvents);
        changed();
      },
      error(error) {
        state.failure = error;
        changed();
        connected();
      },
      complete() {
        state.completed = true;
        changed();
        connected();
      },
    },
    // Answered once the subscription is attached and its first replay page read: live from here.
    { connected: () => connected() },
  );
  const feed = {
    received,
    errors,
    state,
    /** Waits until `condition` holds (the feed changes) or fails after `timeoutMs`. */
    until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
        changed = () => {
          if (!condition()) return;
          clearTimeout(timer);
          resolve();
        };
        changed();
      });
    },
    of: (hubIds: readonly string[]) => received.filter((event) => hubIds.includes(event.hubId)),
    close() {
      dispose();
      client.dispose();
    },
  };
  await established;
  return feed;
}

/** The refusal of a subscription: its HTTP status and the error its SSE body carries. */
async function refusal(headers: Record<string, string>, filter: Filter = {}) {
  const feed = await follow(headers, filter);
  expect(feed.state.failure).toBeInstanceOf(NetworkError);
  const response = (feed.state.failure as NetworkError<Response>).response as Response;
  const data = (await response.text())
    .split("\n")
    .find((line) => line.startsWith("data: {"))
    ?.slice("data: ".length);
  const body = JSON.parse(data ?? "{}") as { errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, code: body.errors?.[0]?.extensions?.code };
}

async function rest(path: string, body: Record<string, unknown>, headers: Record<string, string>) {
  const response = await fetch(`${e2e.current.gatewayUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
}

const asService = () => ({ authorization: `Bearer ${service()}` });

/** A hub provisioned over REST (by the service unless other credentials are given). */
async function provisioned(headers: Record<string, string> = asService()): Promise<string> {
  const hub = await e2e.current.newHub();
  await rest(`/hubs/${hub.hubId}/ProvisionHub`, hub, headers);
  return hub.hubId;
}

const command = (
  name: string,
  hubId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = asService(),
) => rest(`/hubs/${hubId}/${name}`, { hubId, userId: "ops", ...body }, headers);

/** Every event of the log, in position order, through the admin feed query. */
async function logEvents(): Promise<Received[]> {
  const events: Received[] = [];
  let after: string | undefined;
  for (;;) {
    const response = await fetch(`${e2e.current.gatewayUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...asAdmin() },
      body: JSON.stringify({
        query: `query Log($after: String) { events(first: 100, after: $after, order: OLDEST_FIRST) {
          edges { node { position hubId type version } } pageInfo { hasNextPage endCursor } } }`,
        variables: { after },
      }),
    });
    const { data } = (await response.json()) as { data: { events: any } };
    events.push(...data.events.edges.map((edge: { node: Received }) => edge.node));
    if (!data.events.pageInfo.hasNextPage) return events;
    after = data.events.pageInfo.endCursor;
  }
}

describe("Subscription.hubEvents (SSE)", () => {
  it("delivers a hub provisioned over REST to an admin subscribed without after", async () => {
    const feed = await follow(asAdmin());
    try {
      const hubId = await provisioned();
      await feed.until(() => feed.of([hubId]).length > 0, "the HubProvisioned event");
      expect(feed.of([hubId])).toEqual([
        { position: expect.stringMatching(/^\d+$/), hubId, type: "HubProvisioned", version: 1 },
      ]);
      expect(feed.errors).toEqual([]);
    } finally {
      feed.close();
    }
  });

  it("resumes with after: every event exactly once across a disconnect, in per-hub version order", async () => {
    const first = await follow(asAdmin());
    const hubIds = await Promise.all([provisioned(), provisioned(), provisioned()]);
    // Suspensions keep coming while the first subscription goes away mid-way.
    const suspending = Promise.all(hubIds.map((hubId) => command("SuspendHub", hubId, { reason: "lost" })));
    await first.until(() => first.of(hubIds).length >= 4, "some of the hubs' events");
    first.close();
    // What the client had when it left (graphql-sse may still hand over what it had parsed).
    const before = [...first.received];
    const lastSeen = before.at(-1)?.position as string;
    await suspending;
    await Promise.all(hubIds.map((hubId) => command("ResumeHub", hubId, { reason: "found" })));

    const second = await follow(asAdmin(), { after: lastSeen });
    try {
      await Promise.all(hubIds.map((hubId) => command("DecommissionHub", hubId, { reason: "end of life" })));
      const ours = (events: readonly Received[]) => events.filter((event) => hubIds.includes(event.hubId));
      await second.until(() => ours(before).length + second.of(hubIds).length >= 12, "all 12 events");
      // Give a duplicate the chance to show: one more event after them all must come next.
      const marker = await provisioned();
      await second.until(() => second.of([marker]).length === 1, "the marker event");

      const union = [...ours(before), ...second.of(hubIds)];
      const positions = union.map((event) => event.position);
      expect(new Set(positions).size).toBe(positions.length);
      const log = (await logEvents()).filter((event) => hubIds.includes(event.hubId));
      expect([...positions].sort((a, b) => Number(a) - Number(b))).toEqual(
        log.map((event) => event.position),
      );
      for (const hubId of hubIds) {
        expect(
          union.filter((event) => event.hubId === hubId).map((event) => [event.version, event.type]),
        ).toEqual([
          [1, "HubProvisioned"],
          [2, "HubSuspended"],
          [3, "HubResumed"],
          [4, "HubDecommissioned"],
        ]);
      }
      // The resumptions happened while no one listened: only the replay can have brought them.
      expect(second.of(hubIds).filter((event) => event.type === "HubResumed")).toHaveLength(3);
      expect(second.errors).toEqual([]);
    } finally {
      second.close();
    }
  });

  it("gives an organization the events of its own hubs only, live and replayed", async () => {
    const own = { "x-api-key": e2e.current.manageApiKey };
    const other = { "x-api-key": e2e.current.otherOrg.apiKey };
    const ours = await follow({ "x-api-key": e2e.current.readOnlyApiKey });
    const theirs = await follow(other);
    try {
      const ourHub = await provisioned(own);
      const theirHub = await provisioned(other);
      const nobodysHub = await provisioned();
      // The last event each organization receives (by the service: an organization changes only
      // hubs claimed into it): once it has arrived, everything before it has.
      await command("SuspendHub", ourHub, { reason: "lost" });
      await command("SuspendHub", theirHub, { reason: "lost" });
      await ours.until(() => ours.of([ourHub]).length === 2, "our hub's two events");
      await theirs.until(() => theirs.of([theirHub]).length === 2, "their hub's two events");
      expect(ours.received.map((event) => [event.hubId, event.type])).toEqual([
        [ourHub, "HubProvisioned"],
        [ourHub, "HubSuspended"],
      ]);
      expect(theirs.received.map((event) => event.hubId)).toEqual([theirHub, theirHub]);

      // A replay from the log's start is scoped the same way (by hub-service this time).
      const replay = await follow({ "x-api-key": e2e.current.readOnlyApiKey }, { after: "0" });
      try {
        await replay.until(() => replay.received.length >= 2, "the replayed events");
        await command("ResumeHub", ourHub, {});
        await replay.until(() => replay.received.length === 3, "the live event after the replay");
        expect(replay.received.map((event) => [event.hubId, event.version])).toEqual([
          [ourHub, 1],
          [ourHub, 2],
          [ourHub, 3],
        ]);
      } finally {
        replay.close();
      }
      expect([...ours.received, ...theirs.received].some((event) => event.hubId === nobodysHub)).toBe(false);
    } finally {
      ours.close();
      theirs.close();
    }
  });

  it("refuses a user token and a key without hubs:read (403 FORBIDDEN), no credentials (401 UNAUTHENTICATED), a bad position (400)", async () => {
    const user = e2e.current.token({}, { subject: "user-1" });
    expect(await refusal({ authorization: `Bearer ${user}` })).toEqual({ status: 403, code: "FORBIDDEN" });
    expect(await refusal({ "x-api-key": e2e.current.apiKey })).toEqual({ status: 403, code: "FORBIDDEN" });
    expect(await refusal({})).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    expect(await refusal(asAdmin(), { after: "not-a-position" })).toEqual({
      status: 400,
      code: "VALIDATION",
    });
  });

  it("filters by hub and by event types, live and replayed", async () => {
    const [one, two] = [await provisioned(), await provisioned()];
    const byHub = await follow(asAdmin(), { hubId: one, after: "0" });
    const byType = await follow(asAdmin(), { types: ["HubSuspended", "HubDecommissioned"] });
    try {
      await Promise.all([one, two].map((hubId) => command("SuspendHub", hubId, { reason: "lost" })));
      await byHub.until(() => byHub.received.length === 2, "hub one's two events");
      await byType.until(() => byType.of([one, two]).length === 2, "both suspensions");
      expect(byHub.received.map((event) => [event.hubId, event.type])).toEqual([
        [one, "HubProvisioned"],
        [one, "HubSuspended"],
      ]);
      expect(byType.received.map((event) => event.type)).toEqual(["HubSuspended", "HubSuspended"]);
      expect(new Set(byType.received.map((event) => event.hubId))).toEqual(new Set([one, two]));
    } finally {
      byHub.close();
      byType.close();
    }
  });
});

const METRICS_TOKEN = "live-feed-metrics-token-0123456789";

describe("the live feed through the HTTP layer", () => {
  /** events.read calls a second gateway makes to hub-service (its log tail and replays). */
  let reads = 0;
  let proxy: Awaited<ReturnType<typeof startTrpcProxy>> | undefined;
  let gateway: Awaited<ReturnType<typeof e2e.current.startGateway>> | undefined;

  beforeAll(async () => {
    proxy = await startTrpcProxy(e2e.current.system.hubService.url, (procedures) => {
      reads += procedures.filter((name) => name.endsWith("events.read")).length;
    });
    // A request must arrive within a second here; a stream must still outlive that.
    gateway = await e2e.current.startGateway({
      HUB_SERVICE_URL: proxy.url,
      REQUEST_TIMEOUT_MS: "1000",
      METRICS_TOKEN,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
  });

  it("keeps an idle stream open past the request timeout, with heartbeats, and still delivers", async () => {
    const url = gateway?.url as string;
    const controller = new AbortController();
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...asAdmin() },
      body: JSON.stringify({ query: SUBSCRIPTION, variables: { filter: {} } }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (condition: () => boolean) => {
      while (!condition()) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    try {
      // Yoga's heartbeat is a comment line (every 12 s; every 300 ms under NODE_ENV=test, as here):
      // the first and eight more span well over the 1 s request timeout (checked each second).
      await readUntil(() => text.split(":\n\n").length > 9);
      const hubId = await provisioned();
      await readUntil(() => text.includes(hubId));
      expect(text).toMatch(
        new RegExp(`event: next\\ndata: \\{"data":\\{"hubEvents":\\{[^\\n]*"hubId":"${hubId}"`),
      );
    } finally {
      controller.abort();
    }
    // Measured apart from GraphQL requests (499: the client ended it), once the gateway saw it go.
    const streams = async () =>
      valueOf(await scrape(url, METRICS_TOKEN), "gateway_http_request_duration_seconds_count", {
        route: "/graphql (sse)",
        status: "499",
      });
    for (let i = 0; i < 100 && (await streams()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await streams()).toBe(1);
  });

  it("stops reading the log when the last subscriber leaves", async () => {
    const url = gateway?.url as string;
    const feed = await follow(asAdmin(), {}, url);
    const atStart = reads;
    // The tail polls at least every 250 ms while idle.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(reads).toBeGreaterThan(atStart);
    feed.close();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the read in flight, if any, ends
    const afterLeaving = reads;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(reads).toBe(afterLeaving);
  });

  it("ends open feeds with UNAVAILABLE (resume with after) when the gateway shuts down", async () => {
    const url = gateway?.url as string;
    const feed = await follow(asAdmin(), {}, url);
    await gateway?.stop("SIGTERM");
    await feed.until(() => feed.state.completed || feed.state.failure !== undefined, "the feed's end");
    expect(feed.state.completed).toBe(true);
    expect(feed.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/shutting down.*after/),
        extensions: expect.objectContaining({ code: "UNAVAILABLE" }),
      }),
    ]);
    feed.close();
  });
});
