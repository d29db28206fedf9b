import { randomUUID } from "node:crypto";
import { errorKinds } from "@hub/shared";
import { type ReceivedSpan, startOtlpReceiver } from "@hub/test-support";
import { waitUntil } from "@hub/test-support/wait";
import { afterAll, describe, expect, it } from "vitest";
import { graphql, provisionRest } from "./reliability/support.ts";
import { type Sample, scrape, valueOf } from "./support/prometheus.ts";
import { useSystem } from "./support/system.ts";

// Traces and metrics as an operator meets them: the real processes export spans over OTLP
// (http/json) to an in-memory collector, and /metrics is scraped and parsed before and after.
const METRICS_TOKEN = "e2e-metrics-token-0123456789abcdef";
const receiver = await startOtlpReceiver();
afterAll(() => receiver.close());
const e2e = useSystem({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_BSP_SCHEDULE_DELAY: "100",
  METRICS_TOKEN,
});

/** The spans of one trace, once `names` have all arrived (spans are exported in batches). */
async function traceWith(requestId: string, names: RegExp[]): Promise<ReceivedSpan[]> {
  let spans: ReceivedSpan[] = [];
  await waitUntil(
    () => {
      const root = receiver.spans.find((span) => span.attributes["hub.request_id"] === requestId);
      spans = root ? receiver.spans.filter((span) => span.traceId === root.traceId) : [];
      return names.every((name) => spans.some((span) => name.test(span.name)));
    },
    `spans ${names.join(", ")} of request ${requestId}`,
    { timeoutMs: 15_000 },
  );
  return spans;
}

function one(spans: readonly ReceivedSpan[], name: RegExp): ReceivedSpan {
  const found = spans.filter((span) => name.test(span.name));
  expect(
    found.map((span) => span.name),
    `spans named ${name}`,
  ).toHaveLength(1);
  return found[0] as ReceivedSpan;
}

/** Whether `ancestor` is on `span`'s parent chain (within the trace). */
function descendsFrom(spans: readonly ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  for (let parent = byId.get(span.parentSpanId ?? ""); parent; parent = byId.get(parent.parentSpanId ?? "")) {
    if (parent.spanId === ancestor.spanId) return true;
  }
  return false;
}

describe("traces", () => {
  it("one REST provisioning is one trace: gateway → hub-service procedure → SQL and DescribeThing", async () => {
    const hub = await e2e.current.newHub();
    const requestId = `trace-${randomUUID()}`;
    const outcome = await provisionRest(e2e.current, hub, { headers: { "x-request-id": requestId } });
    expect(outcome.status).toBe(201);

    const spans = await traceWith(requestId, [
      /^REST POST/,
      /^trpc hub\.provision$/,
      /^IoT\.DescribeThing$/,
      /db_query/,
    ]);
    const rest = one(spans, /^REST POST \/hubs\/:id\/ProvisionHub$/);
    const procedure = one(spans, /^trpc hub\.provision$/);
    const describeThing = one(spans, /^IoT\.DescribeThing$/);
    const sql = spans.filter((span) => span.name === "prisma:client:db_query");

    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(rest.service).toBe("gateway");
    expect(rest.attributes["hub.request_id"]).toBe(requestId);
    // The gateway's HTTP server span is the root; the REST route runs inside it.
    const httpServer = spans.find((span) => span.service === "gateway" && span.parentSpanId === undefined);
    expect(httpServer, "the gateway's HTTP server span").toBeDefined();
    expect(descendsFrom(spans, rest, httpServer as ReceivedSpan)).toBe(true);

    expect(procedure.service).toBe("hub-service");
    expect(procedure.attributes["hub.request_id"]).toBe(requestId);
    expect(descendsFrom(spans, procedure, rest), "the procedure is a child of the gateway's route").toBe(
      true,
    );

    expect(describeThing.service).toBe("hub-service");
    expect(describeThing.attributes["rpc.method"]).toBe("DescribeThing");
    expect(describeThing.attributes["aws.iot.thing_name"]).toBe(hub.thingName);
    expect(descendsFrom(spans, describeThing, procedure)).toBe(true);

    // Every statement runs under a procedure (the API key's check is its own, apiKeys.verify);
    // the provisioning's one statement (events and read model in one CTE) under hub.provision.
    const procedures = spans.filter((span) => span.name.startsWith("trpc "));
    expect(sql.length).toBeGreaterThan(0);
    for (const statement of sql) {
      expect(statement.service).toBe("hub-service");
      expect(procedures.some((each) => descendsFrom(spans, statement, each))).toBe(true);
    }
    const append = sql.filter(
      (span) =>
        descendsFrom(spans, span, procedure) &&
        /INSERT INTO "?hub_events/i.test(String(span.attributes["db.query.text"])),
    );
    expect(append).toHaveLength(1);
    // Traces only: no metrics or log records are exported over OTLP (they have /metrics and stdout).
    expect(receiver.otherExports).toEqual([]);
  });

  it("one GraphQL operation has its own span, parent of the hub-service procedure it calls", async () => {
    const hub = await e2e.current.newHub();
    const requestId = `trace-${randomUUID()}`;
    const outcome = await graphql(
      e2e.current,
      `mutation Provision($input: ProvisionHubInput!) { provisionHub(input: $input) { __typename } }`,
      { input: hub },
      { "x-request-id": requestId },
    );
    expect((outcome.body as { data?: unknown }).data).toEqual({
      provisionHub: { __typename: "ProvisionHubSuccess" },
    });

    const spans = await traceWith(requestId, [/^graphql\.mutation Provision$/, /^trpc hub\.provision$/]);
    const operation = one(spans, /^graphql\.mutation Provision$/);
    expect(operation.attributes["hub.request_id"]).toBe(requestId);
    expect(descendsFrom(spans, one(spans, /^trpc hub\.provision$/), operation)).toBe(true);
  });
});

describe("metrics", () => {
  const hubServiceScrape = () => scrape(e2e.current.system.hubService.url, METRICS_TOKEN);
  const gatewayScrape = () => scrape(e2e.current.gatewayUrl, METRICS_TOKEN);

  it("is refused without the metrics token", async () => {
    for (const url of [e2e.current.gatewayUrl, e2e.current.system.hubService.url]) {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
      expect(wrong.status).toBe(401);
    }
  });

  it("requests, command outcomes and registry calls move by exactly what was done", async () => {
    const [gatewayBefore, hubBefore] = [await gatewayScrape(), await hubServiceScrape()];
    const hubs = [await e2e.current.newHub(), await e2e.current.newHub(), await e2e.current.newHub()];
    const statuses: number[] = [];
    for (const hub of hubs) statuses.push((await provisionRest(e2e.current, hub)).status);
    const [first] = hubs as [(typeof hubs)[0]];
    statuses.push((await provisionRest(e2e.current, first)).status); // identical repeat
    statuses.push((await provisionRest(e2e.current, { ...first, model: "OTHER" })).status); // conflict
    const missing = { ...(await e2e.current.newHub()), thingName: `no-such-thing-${randomUUID()}` };
    statuses.push((await provisionRest(e2e.current, missing)).status);
    const gql = await graphql(
      e2e.current,
      `mutation ProvisionForMetrics($input: ProvisionHubInput!) { provisionHub(input: $input) { __typename } }`,
      { input: await e2e.current.newHub() },
    );
    expect(gql.status).toBe(200);
    expect(statuses).toEqual([201, 201, 201, 200, 409, 422]);
    const [gatewayAfter, hubAfter] = [await gatewayScrape(), await hubServiceScrape()];

    const moved = (before: Sample[], after: Sample[], name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    const route = { method: "POST", route: "/hubs/:id/ProvisionHub" };
    const requests = "gateway_http_request_duration_seconds_count";
    expect(moved(gatewayBefore, gatewayAfter, requests, { ...route, status: "201" })).toBe(3);
    expect(moved(gatewayBefore, gatewayAfter, requests, { ...route, status: "200" })).toBe(1);
    expect(moved(gatewayBefore, gatewayAfter, requests, { ...route, status: "409" })).toBe(1);
    expect(moved(gatewayBefore, gatewayAfter, requests, { ...route, status: "422" })).toBe(1);
    expect(
      moved(gatewayBefore, gatewayAfter, requests, { method: "POST", route: "/graphql", status: "200" }),
    ).toBe(1);
    const operation = { type: "mutation", fields: "provisionHub", outcome: "ok" };
    expect(
      moved(gatewayBefore, gatewayAfter, "gateway_graphql_operation_duration_seconds_count", operation),
    ).toBe(1);

    const commands = "hub_commands_total";
    const provision = { command: "ProvisionHub" };
    expect(moved(hubBefore, hubAfter, commands, { ...provision, result: "created" })).toBe(4); // 3 REST + 1 GraphQL
    expect(moved(hubBefore, hubAfter, commands, { ...provision, result: "unchanged" })).toBe(1);
    expect(moved(hubBefore, hubAfter, commands, { ...provision, result: "CONFLICT" })).toBe(1);
    expect(moved(hubBefore, hubAfter, commands, { ...provision, result: "THING_NOT_FOUND" })).toBe(1);

    const calls = "hub_trpc_call_duration_seconds_count";
    expect(moved(hubBefore, hubAfter, calls, { procedure: "hub.provision", code: "OK" })).toBe(5);
    const conflictCode = errorKinds.CONFLICT.trpcCode;
    expect(moved(hubBefore, hubAfter, calls, { procedure: "hub.provision", code: conflictCode })).toBe(1);
    const missingCode = errorKinds.THING_NOT_FOUND.trpcCode;
    expect(moved(hubBefore, hubAfter, calls, { procedure: "hub.provision", code: missingCode })).toBe(1);

    // Registry first: every provisioning asks DescribeThing (6 found, 1 missing), nothing else.
    const lookups = "hub_iot_registry_call_duration_seconds_count";
    expect(moved(hubBefore, hubAfter, lookups, { operation: "DescribeThing", outcome: "exists" })).toBe(6);
    expect(moved(hubBefore, hubAfter, lookups, { operation: "DescribeThing", outcome: "missing" })).toBe(1);
    expect(
      moved(hubBefore, hubAfter, lookups, { operation: "GetThingConnectivityData", outcome: "connected" }),
    ).toBe(0);

    for (const operation of ["DescribeThing", "GetThingConnectivityData"]) {
      expect(valueOf(hubAfter, "hub_iot_registry_breaker_state", { operation, state: "closed" })).toBe(1);
    }
    expect(valueOf(hubAfter, "hub_bulkhead_commands", { state: "queued" })).toBe(0);
    if (valueOf(hubAfter, "hub_db_pool_connections", { state: "idle" }) === 0) {
      // PGlite has no pool; on PostgreSQL the pool has connections (idle between requests).
      expect(hubAfter.some((sample) => sample.name === "hub_db_pool_connections")).toBe(false);
    }
    expect(valueOf(hubAfter, "hub_db_pool_connections", { state: "waiting" })).toBe(0);
  });
});
