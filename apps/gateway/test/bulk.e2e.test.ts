import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/rest/openapi.ts";
import { schemaErrors } from "./support/contract.ts";
import { useSystem } from "./support/system.ts";

// Bulk provisioning through the real gateway, hub-service and registry emulator, as a
// manufacturing line's client meets it. One registry attempt per lookup, so a fault for N
// requests throttles exactly N items; and a generous deadline for that one attempt, so that only
// the faults a test sets fail an item (with the test system's 400 ms, one lookup stalled by a
// loaded CI machine answered UnavailableError and failed a comparison of 108 items).
const e2e = useSystem({ IOT_MAX_ATTEMPTS: "1", IOT_ATTEMPT_TIMEOUT_MS: "15000", IOT_DEADLINE_MS: "20000" });

type Json = Record<string, any>;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${e2e.current.gatewayUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": e2e.current.apiKey, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

async function graphql(query: string, variables: Json) {
  const response = await post("/graphql", { query, variables });
  return response.body as { data?: Json; errors?: Json[] };
}

/** What differs between two scenarios of the same shape: ids, labels and times. */
function comparable(value: unknown, label: string): string {
  return JSON.stringify(value)
    .replaceAll(label, "L")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
    .replace(/"provisionedAt":\d+/g, '"provisionedAt":0');
}

/**
 * 120 items of every kind: new hubs, a repeat of a hub provisioned before, a contradicting
 * repeat, a serial taken, duplicates inside the batch, a missing Thing, invalid items.
 */
async function scenario() {
  const label = randomUUID().slice(0, 8);
  const hub = async (i: number, thing = true) => {
    const body = {
      hubId: randomUUID(),
      serial: `B-${label}-${i}`,
      model: "HUB-2",
      thingName: `b-${label}-${i}`,
    };
    if (thing) await e2e.current.createThing(body.thingName);
    return body;
  };
  const before = await Promise.all([0, 1, 2].map((i) => hub(1000 + i)));
  for (const body of before) expect((await post(`/hubs/${body.hubId}/ProvisionHub`, body)).status).toBe(201);
  const fresh = await Promise.all(Array.from({ length: 100 }, (_, i) => hub(i)));
  const items: unknown[] = [
    ...fresh,
    before[0],
    { ...before[1], model: "HUB-9" },
    { ...(await hub(2000)), serial: before[2]?.serial },
    fresh[3],
    { ...(await hub(2001)), serial: fresh[4]?.serial },
    { ...fresh[5], vendorName: "Other" },
    await hub(3000, false),
    { ...(await hub(4000)), hubId: "not-a-uuid" },
    { hubId: randomUUID(), model: "HUB-2" },
    { ...(await hub(4001)), extra: true },
    42,
    null,
    [],
  ];
  return { label, items };
}

/** The same items one POST /hubs/{id}/ProvisionHub each, in order: what the batch must equal. */
async function oneByOne(items: readonly unknown[]) {
  const answers: { status: number; body: Json }[] = [];
  for (const item of items) {
    const id = (item as { hubId?: unknown } | null)?.hubId;
    const path = `/hubs/${typeof id === "string" ? id : randomUUID()}/ProvisionHub`;
    // A body without a (string) hubId has no path id to equal; the route's own check would differ.
    const { status, body } = await post(path, item);
    answers.push({ status, body });
  }
  return answers;
}

afterEach(() => e2e.current.setFault({ mode: "none" }));

describe("POST /hubs/ProvisionHubs", () => {
  it("answers each item with exactly the status and body of the single call, stores the created ones, and matches its OpenAPI schema", async () => {
    const batch = await scenario();
    const reference = await scenario();
    const answer = await post("/hubs/ProvisionHubs", { hubs: batch.items });
    expect(answer.status).toBe(200);
    const schema = (openApiDocument.paths as Json)["/hubs/ProvisionHubs"].post.responses["200"].content[
      "application/json"
    ].schema;
    expect(schemaErrors(schema, answer.body)).toEqual([]);

    const expected = await oneByOne(reference.items);
    const results = answer.body.results as Json[];
    expect(results.map((r) => r.index)).toEqual(batch.items.map((_, i) => i));
    const differences = results.flatMap((result, i) => {
      const want = expected[i] as { status: number; body: Json };
      const got = comparable({ status: result.status, body: result.body }, batch.label);
      // Items without a string hubId: the single route answers the body's problems the same way
      // only when they are not about the path, so those are checked on their own below.
      const hasId = typeof (batch.items[i] as { hubId?: unknown } | null)?.hubId === "string";
      return hasId && got !== comparable(want, reference.label) ? [{ i, got, want }] : [];
    });
    expect(differences).toEqual([]);
    expect(results.slice(-3).map((r) => [r.status, r.body.details])).toEqual(
      Array(3).fill([400, [{ field: "body", message: "must be an object" }]]),
    );
    expect(answer.body.summary).toEqual({ created: 100, unchanged: 2, failed: 11 });

    for (const result of results.filter((r) => r.status === 201)) {
      const status = await fetch(`${e2e.current.gatewayUrl}/hubs/${result.hubId}/status`, {
        headers: { "x-api-key": e2e.current.manageApiKey },
      });
      expect(status.status).toBe(200);
    }
  }, 60_000);

  it("the registry throttling part of a batch: those items 503 with retryAfter, the rest created and stored, the breaker still closed", async () => {
    const label = randomUUID().slice(0, 8);
    const hubs = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const body = {
          hubId: randomUUID(),
          serial: `T-${label}-${i}`,
          model: "HUB-2",
          thingName: `t-${label}-${i}`,
        };
        await e2e.current.createThing(body.thingName);
        return body;
      }),
    );
    await e2e.current.setFault({ mode: "throttle", times: 20 });
    const answer = await post("/hubs/ProvisionHubs", { hubs });
    expect(answer.status).toBe(200);
    const results = answer.body.results as Json[];
    const throttled = results.filter((r) => r.status === 503);
    expect(throttled).toHaveLength(20);
    for (const item of throttled) {
      expect(item.retryAfter).toBeGreaterThanOrEqual(1);
      expect(item.body).toMatchObject({ success: false, code: 503, error: "Service Unavailable" });
    }
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    expect(answer.body.summary).toEqual({ created: 20, unchanged: 0, failed: 20 });
    // Throttling is not an outage: the retry of the throttled items goes through at once.
    const retry = await post("/hubs/ProvisionHubs", { hubs: throttled.map((r) => hubs[r.index]) });
    expect(retry.body.summary).toEqual({ created: 20, unchanged: 0, failed: 0 });
  }, 60_000);

  it("fails as a whole only for the request as a whole", async () => {
    const hub = await e2e.current.newHub();
    const cases: [string, () => Promise<{ status: number; body: Json }>, number][] = [
      ["no credentials", () => post("/hubs/ProvisionHubs", { hubs: [hub] }, { "x-api-key": "" }), 401],
      [
        "a key without hubs:provision",
        () => post("/hubs/ProvisionHubs", { hubs: [hub] }, { "x-api-key": e2e.current.readOnlyApiKey }),
        403,
      ],
      ["not a list", () => post("/hubs/ProvisionHubs", { hubs: hub }), 400],
      ["an empty list", () => post("/hubs/ProvisionHubs", { hubs: [] }), 400],
      ["1,001 items", () => post("/hubs/ProvisionHubs", { hubs: Array(1001).fill(hub) }), 400],
      ["an unknown field", () => post("/hubs/ProvisionHubs", { hubs: [hub], dryRun: true }), 400],
      ["not JSON", () => post("/hubs/ProvisionHubs", "{hubs:"), 400],
      [
        "more than 1 MiB",
        () => post("/hubs/ProvisionHubs", { hubs: [{ ...hub, model: "x".repeat(1_100_000) }] }),
        413,
      ],
    ];
    for (const [name, send, status] of cases) {
      const answer = await send();
      expect([name, answer.status, answer.body.success]).toEqual([name, status, false]);
    }
    const stored = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/status`, {
      headers: { "x-api-key": e2e.current.manageApiKey },
    });
    expect(stored.status).toBe(404);
  });
});

describe("GraphQL provisionHubs", () => {
  // What a client asks of each ProvisionHubResult, in both mutations alike.
  const result = `__typename
    ... on ProvisionHubSuccess { aggregateId version event { type data { hubId serial provisionedAt } } }
    ... on Error { message }
    ... on ValidationError { details { field message } }
    ... on ConflictError { field reason }
    ... on ThingNotFoundError { thingName }
    ... on UnavailableError { retryAfterSeconds }`;
  const mutation = `mutation Bulk($input: [ProvisionHubInput!]!) {
    provisionHubs(input: $input) { summary { created unchanged failed } results { ${result} } }
  }`;
  const single = `mutation One($input: ProvisionHubInput!) { provisionHub(input: $input) { ${result} } }`;

  it("lists the provisionHub union for each item, equal to the single mutation's answer", async () => {
    const batch = await scenario();
    const reference = await scenario();
    // GraphQL's input type already refuses non-objects and missing fields for the whole operation.
    const typed = (items: unknown[]) =>
      items
        .filter((item): item is Json => typeof item === "object" && item !== null && !Array.isArray(item))
        .filter((item) => typeof item.serial === "string" && !("extra" in item));
    const answer = await graphql(mutation, { input: typed(batch.items) });
    expect(answer.errors).toBeUndefined();
    const results = answer.data?.provisionHubs.results as Json[];
    const expected: Json[] = [];
    for (const input of typed(reference.items)) {
      const one = await graphql(single, { input });
      expect(one.errors).toBeUndefined();
      expect(one.data?.provisionHub).toBeDefined();
      expected.push(one.data?.provisionHub);
    }
    expect(results.map((r) => comparable(r, batch.label))).toEqual(
      expected.map((r) => comparable(r, reference.label)),
    );
    expect(answer.data?.provisionHubs.summary).toEqual({ created: 100, unchanged: 2, failed: 6 });
    expect(new Set(results.map((r) => r.__typename))).toEqual(
      new Set(["ProvisionHubSuccess", "ConflictError", "ThingNotFoundError", "ValidationError"]),
    );
  }, 60_000);

  it("an empty list or more than 1,000 items is an error of the operation", async () => {
    const hub = await e2e.current.newHub();
    for (const input of [[], Array(1001).fill(hub)]) {
      const answer = await graphql(mutation, { input });
      expect(answer.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    }
  });
});
