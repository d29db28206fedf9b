import { randomUUID } from "node:crypto";
import net from "node:net";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import {
  adminToken,
  expectAcknowledgedStored,
  graphql,
  type Hub,
  heavy,
  inspectDatabase,
  internalsIn,
  LONG_TEST_MS,
  type Outcome,
  provisionRest,
  send,
  serviceToken,
} from "./support.ts";

// Heavy: 10,000 REST cases and 10,000 GraphQL cases; fast: a few hundred in all.
const REST_RUNS = heavy ? 10_000 : 200;
const GRAPHQL_RUNS = heavy ? 10_000 : 150;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const EXPECTED_STATUSES = new Set([200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 422, 431]);

const e2e = useSystem({ RATE_LIMIT_POINTS: "10000000", RATE_LIMIT_IP_POINTS: "10000000" });

/** Hubs the gateway acknowledged with 201 anywhere in this file: the only streams allowed to exist. */
const acknowledged = new Map<string, Hub>();
const THINGS = Array.from({ length: 12 }, (_, i) => `fuzz-thing-${i}`);

beforeAll(async () => {
  for (const thing of THINGS) await e2e.current.createThing(thing);
});

function restUrl(pathId: string) {
  return `${e2e.current.gatewayUrl}/hubs/${pathId}/ProvisionHub`;
}

function post(pathId: string, body: string | Blob, headers: Record<string, string> = {}) {
  return send(restUrl(pathId), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${serviceToken(e2e.current)}`,
      "x-api-key": e2e.current.apiKey,
      ...headers,
    },
    body,
  });
}

/**
 * POSTs a 10 MB JSON-looking body over a raw socket. Declared (`content-length`): sends 64 KiB and
 * waits. Streamed (chunked): 64 KiB at a time as the socket drains, until an answer arrives.
 * Resolves with the answer and how many body bytes had been written by then.
 */
function uploadUntilAnswered(
  baseUrl: string,
  path: string,
  options: { authorization: string; declaredLength?: number },
): Promise<Outcome & { bytesSent: number }> {
  const { hostname, port } = new URL(baseUrl);
  const started = performance.now();
  const chunk = Buffer.from(`{"serial":"${"x".repeat(64 * 1024 - 11)}`);
  const total = 10 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let bytesSent = 0;
    let answer = "";
    const socket = net.connect(Number(port), hostname);
    const framing = options.declaredLength
      ? `content-length: ${options.declaredLength}`
      : "transfer-encoding: chunked";
    // Declared: one chunk, then wait. A gateway that waited for the rest would never answer.
    const limit = options.declaredLength ? chunk.length : total;
    const pump = () => {
      while (answer === "" && bytesSent < limit && !socket.destroyed) {
        const framed = options.declaredLength
          ? chunk
          : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
        bytesSent += chunk.length;
        if (!socket.write(framed)) return socket.once("drain", pump);
      }
    };
    socket.on("connect", () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n` +
          `authorization: ${options.authorization}\r\n${framing}\r\n\r\n`,
      );
      pump();
    });
    socket.on("data", (data) => {
      answer += data.toString("latin1");
    });
    // The gateway closes after its 413; a write racing the close may see EPIPE/ECONNRESET.
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      const [head = "", text = ""] = answer.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      if (status === 0) return reject(new Error(`no answer after ${bytesSent} bytes`));
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      resolve({ status, body, text, headers: undefined, ms: performance.now() - started, bytesSent });
    });
    // Catches a gateway that reads the whole body and never answers; far above the normal case.
    socket.setTimeout(30_000, () => socket.destroy());
  });
}

/** No 5xx, an expected status, a JSON error body in the contract's shape, nothing internal. */
function expectHandled(outcome: Outcome, context: unknown) {
  const where = JSON.stringify(context)?.slice(0, 400);
  expect(EXPECTED_STATUSES.has(outcome.status), `status ${outcome.status} for ${where}`).toBe(true);
  expect(internalsIn(outcome.text), `internals in ${outcome.text.slice(0, 300)}`).toBeUndefined();
  if (outcome.status >= 400) {
    expect(outcome.body, `error body for ${where}`).toMatchObject({
      success: false,
      code: outcome.status,
      message: expect.any(String),
    });
  }
}

function record(outcome: Outcome, hub: unknown) {
  if (outcome.status === 201) {
    const data = (outcome.body as { event: { data: Hub } }).event.data;
    acknowledged.set(data.hubId, data);
  }
  return hub;
}

describe("REST: malformed requests", () => {
  it.each([
    ["truncated JSON", '{"hubId": '],
    ["trailing garbage", '{"hubId":"x"} {'],
    ["single quotes", "{'hubId':'x'}"],
    ["a JSON string", '"hello"'],
    ["a JSON array", "[1,2,3]"],
    ["null", "null"],
    ["a number", "1e309"],
    ["a BOM before JSON", '\ufeff{"hubId":"x"}'],
    ["NUL bytes", '{"hubId":"\u0000"}\u0000'],
    ["empty", ""],
    ["whitespace", " \n\t "],
  ])("%s → 400", async (_name, body) => {
    const outcome = await post(randomUUID(), body);
    expect(outcome.status).toBe(400);
    expectHandled(outcome, body);
  });

  it("invalid UTF-8 bytes → 400", async () => {
    const outcome = await post(
      randomUUID(),
      new Blob([new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])]),
    );
    expect(outcome.status).toBe(400);
    expectHandled(outcome, "bytes");
  });

  it.each([
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/json-patch+json",
    "",
  ])("content type %j → 415", async (contentType) => {
    const outcome = await post(randomUUID(), "{}", { "content-type": contentType });
    expect(outcome.status).toBe(415);
    expectHandled(outcome, contentType);
  });

  it.each([
    ["arrays", (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`],
    ["objects", (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`],
  ])("deeply nested %s (100,000 levels) → 400", async (_name, nest) => {
    const outcome = await post(randomUUID(), nest(100_000));
    expect(outcome.status).toBe(400);
    expectHandled(outcome, "nested");
  });

  it("10 MB bodies → 413, declared or streamed; never read to the end", async () => {
    // A raw socket, so the answer is read even while the upload goes on: fetch would report the
    // close that follows the gateway's early 413 as a failure, hiding whether the 413 came at all.
    const limit = 1024 * 1024;
    const declared = await uploadUntilAnswered(e2e.current.gatewayUrl, `/hubs/${randomUUID()}/ProvisionHub`, {
      authorization: `Bearer ${serviceToken(e2e.current)}`,
      declaredLength: 10 * limit,
    });
    expect(declared.status).toBe(413);
    expectHandled(declared, "declared");
    // Refused on the declared length: it did not wait for the body.
    expect(declared.bytesSent).toBeLessThan(limit);
    const streamed = await uploadUntilAnswered(e2e.current.gatewayUrl, `/hubs/${randomUUID()}/ProvisionHub`, {
      authorization: `Bearer ${serviceToken(e2e.current)}`,
    });
    expect(streamed.status).toBe(413);
    expectHandled(streamed, "streamed");
    // Answered once past the limit, long before the 10 MB were sent.
    expect(streamed.bytesSent).toBeGreaterThan(limit);
    expect(streamed.bytesSent).toBeLessThan(10 * limit);
    // Just over the limit fits in the socket buffers: fetch sees the answer too.
    const over = await post(randomUUID(), JSON.stringify({ serial: "x".repeat(limit + 1) }));
    expect(over.status).toBe(413);
    expectHandled(over, "over");
  });

  it("odd paths and methods → 4xx", async () => {
    for (const path of ["%ZZ", "%00", "..%2F..%2Fetc%2Fpasswd", "a".repeat(5000), "%F0%9F%98%80", " "]) {
      const outcome = await post(path, "{}");
      expectHandled(outcome, path);
      expect(outcome.status).toBeGreaterThanOrEqual(400);
    }
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const outcome = await send(restUrl(randomUUID()), { method });
      expect(outcome.status).toBe(405);
      expectHandled(outcome, method);
    }
  });
});

describe("REST: unicode and SQL-looking strings", () => {
  const accepted = {
    "SQL injection": "'; DROP TABLE hubs; --",
    "SQL comment and quotes": `x" OR 1=1 /* \\'`,
    "RTL override": "\u202Eevil\u202C-serial",
    "right-to-left text": "مرحبا-שלום",
    emoji: "hub-😀-👩‍👩‍👧‍👦-🏳️‍🌈",
    "combining marks": "Z̴̡̛̜͓a̷̘͊l̶̜̈g̸̣̈́o̵̲͊",
    "zero-width and BOM": "a\u200Bb\u200Dc\uFEFFd",
    "astral plane": "𝕳𝖚𝖇-𐍈-𠜎",
    "a JSON-looking value": '{"$gt":""}',
  };

  it(`${Object.keys(accepted).join(", ")}: in every free-text field, stored verbatim and read back identical`, async () => {
    const hubs: Hub[] = [];
    for (const text of Object.values(accepted)) {
      const hub: Hub = {
        hubId: randomUUID(),
        serial: `${text}-${randomUUID()}`,
        model: text,
        vendorName: text,
        thingName: `thing-${randomUUID()}`,
      };
      await e2e.current.createThing(hub.thingName);
      const created = await provisionRest(e2e.current, hub);
      expect(created.status, text).toBe(201);
      record(created, hub);
      expect((created.body as { event: { data: Hub } }).event.data).toMatchObject(hub);
      // Still idempotent with the exotic payload.
      expect((await provisionRest(e2e.current, hub)).status).toBe(200);
      hubs.push(hub);
    }
    const stored = await inspectDatabase(e2e.current, (query) =>
      query<{ id: string; serial: string; model: string; vendor_name: string; data: Hub }>(
        `SELECT h.id, h.serial, h.model, h.vendor_name, e.data
         FROM hubs h JOIN hub_events e ON e.stream_id = h.id WHERE h.id = ANY($1::uuid[])`,
        [hubs.map((hub) => hub.hubId)],
      ),
    );
    const byId = new Map(stored.map((row) => [row.id, row]));
    for (const hub of hubs) {
      expect(byId.get(hub.hubId)).toEqual({
        id: hub.hubId,
        serial: hub.serial,
        model: hub.model,
        vendor_name: hub.vendorName,
        data: expect.objectContaining({ serial: hub.serial, model: hub.model, vendorName: hub.vendorName }),
      });
    }
  });

  const rejected = {
    NUL: "ab\u0000cd",
    "lone high surrogate": "ab\uD800cd",
    "lone low surrogate": "ab\uDC00cd",
    "a control character": "ab\u0007cd",
  };

  it.each(Object.entries(rejected))("%s in any string field → 400, nothing written", async (_name, text) => {
    const base = {
      hubId: randomUUID(),
      serial: `S-${randomUUID()}`,
      model: "M",
      vendorName: "V",
      thingName: THINGS[0],
    };
    for (const field of ["serial", "model", "vendorName", "thingName", "hubId"] as const) {
      const body = { ...base, [field]: field === "hubId" ? `${base.hubId}${text}` : text };
      const outcome = await post(base.hubId, JSON.stringify(body));
      expect(outcome.status, field).toBe(400);
      expectHandled(outcome, body);
      expect((outcome.body as { details: { field: string }[] }).details.map((d) => d.field)).toContain(field);
    }
  });
});

/** Strings meant to hurt: every unicode plane, lone surrogates, controls, SQL and JSON look-alikes. */
const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\uD800",
    "\uDFFF",
    "\u202E",
    "'; DROP TABLE hubs; --",
    "%00",
    "../../",
    "__proto__",
    "constructor",
    "null",
    "x".repeat(129),
    "y".repeat(128),
    "é".normalize("NFD"),
  ),
  fc.string({ unit: "binary-ascii", minLength: 100, maxLength: 2000 }),
);
const hostileValue = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 4 }),
);
const field = (valid: fc.Arbitrary<string>) =>
  fc.option(fc.oneof({ weight: 3, arbitrary: valid }, hostileValue), { nil: undefined, freq: 6 });

const restCase = fc.record({
  hubId: fc.oneof({ weight: 4, arbitrary: fc.uuid({ version: 4 }) }, hostileString),
  pathMatches: fc.boolean(),
  body: fc.record(
    {
      serial: field(fc.string({ minLength: 1, maxLength: 20 })),
      model: field(fc.string({ minLength: 1, maxLength: 20 })),
      thingName: field(fc.constantFrom(...THINGS)),
      vendorName: field(fc.string({ minLength: 1, maxLength: 20 })),
      extra: fc.option(fc.dictionary(hostileString, hostileValue, { maxKeys: 2 }), {
        nil: undefined,
        freq: 4,
      }),
    },
    { requiredKeys: [] },
  ),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant("application/json") },
    fc.constantFrom("application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/jsonp"),
  ),
  credentials: fc.oneof(
    { weight: 8, arbitrary: fc.constant("good") },
    fc.constantFrom("none", "bad-token", "bad-key", "huge", "user"),
  ),
  bodyShape: fc.oneof(
    { weight: 8, arbitrary: fc.constant("object") },
    fc.constantFrom("array", "string", "raw"),
  ),
});

/** encodeURIComponent refuses lone surrogates; a client would send their replacement character. */
function encodePathSegment(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udfff]/gu, "\ufffd"));
}

function restHeaders(credentials: string, contentType: string): Record<string, string> {
  const good = { authorization: `Bearer ${serviceToken(e2e.current)}`, "x-api-key": e2e.current.apiKey };
  const headers: Record<string, string> = { "content-type": contentType };
  switch (credentials) {
    case "good":
      return { ...headers, ...good };
    case "bad-token":
      return { ...headers, ...good, authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." };
    case "bad-key":
      return { ...headers, ...good, "x-api-key": `hub_${"A".repeat(12)}_${"B".repeat(43)}` };
    case "huge":
      return { ...headers, authorization: `Bearer ${"a".repeat(60_000)}` };
    case "user":
      return { ...headers, authorization: `Bearer ${e2e.current.token({}, { subject: "fuzz-user" })}` };
    default:
      return headers;
  }
}

describe("fuzzing (fast-check)", () => {
  it(
    `REST: ${REST_RUNS} generated ProvisionHub requests (bodies, headers, paths) — never a 5xx or an internal detail (seed ${SEED})`,
    async () => {
      const statuses: Record<number, number> = {};
      await fc.assert(
        fc.asyncProperty(restCase, async (c) => {
          const { extra, ...fields } = c.body;
          const object = { hubId: c.hubId, ...fields, ...extra };
          const body =
            c.bodyShape === "array"
              ? JSON.stringify([object])
              : c.bodyShape === "string"
                ? JSON.stringify(JSON.stringify(object))
                : c.bodyShape === "raw"
                  ? JSON.stringify(object).slice(0, -1)
                  : JSON.stringify(object);
          const pathId = c.pathMatches && typeof c.hubId === "string" ? c.hubId : randomUUID();
          const outcome = await post(
            encodePathSegment(pathId),
            body,
            restHeaders(c.credentials, c.contentType),
          );
          statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
          expectHandled(outcome, c);
          record(outcome, object);
        }),
        { numRuns: REST_RUNS, seed: SEED, endOnFailure: true },
      );
      console.info(`REST fuzz, seed ${SEED}: statuses`, statuses);
    },
    LONG_TEST_MS,
  );

  const documents = [
    `mutation P($input: ProvisionHubInput!) { provisionHub(input: $input) { __typename ... on ProvisionHubSuccess { version event { data { hubId serial } } } ... on ValidationError { details { field message } } ... on Error { message } } }`,
    `query H($id: ID!) { hub(id: $id) { id serial status events(first: 5) { edges { node { type version } } } } }`,
    `query S($serial: String!) { hubBySerial(serial: $serial) { id serial } }`,
    `query L($filter: HubFilter, $first: Int, $after: String) { hubs(filter: $filter, first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage } } }`,
    `query F($first: Int, $before: String) { events(first: $first, before: $before) { edges { node { type } } } }`,
  ];
  const tokens = [
    "{",
    "}",
    "(",
    ")",
    "...",
    "$",
    "!",
    ":",
    "@skip",
    "@include(if: true)",
    "#",
    '"',
    "\\",
    "fragment",
    "on",
    "__schema",
    "query",
    "mutation",
    "subscription",
    " ",
    "\n",
    "\u0000",
    "1e999",
    "[",
    "]",
  ];

  const graphqlCase = fc.record({
    document: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...documents) },
      // A valid document with tokens spliced in or cut out.
      fc
        .tuple(
          fc.constantFrom(...documents),
          fc.nat(),
          fc.nat({ max: 10 }),
          fc.array(fc.constantFrom(...tokens), { maxLength: 4 }),
        )
        .map(([doc, at, cut, insert]) => {
          const i = at % (doc.length + 1);
          return doc.slice(0, i) + insert.join(" ") + doc.slice(i + cut);
        }),
      hostileString,
    ),
    variables: fc.oneof(
      fc.record(
        {
          input: fc.record(
            {
              hubId: fc.oneof(fc.uuid({ version: 4 }), hostileValue),
              serial: field(fc.string({ minLength: 1, maxLength: 20 })),
              model: field(fc.string({ minLength: 1, maxLength: 20 })),
              thingName: field(fc.constantFrom(...THINGS)),
              vendorName: field(fc.string({ minLength: 1, maxLength: 20 })),
            },
            { requiredKeys: [] },
          ),
          id: fc.oneof(fc.uuid({ version: 4 }), hostileValue),
          serial: hostileValue,
          first: fc.oneof(fc.integer({ min: -5, max: 1000 }), hostileValue),
          after: hostileValue,
          before: hostileValue,
          filter: fc.oneof(
            fc.record(
              {
                serialPrefix: hostileValue,
                model: hostileValue,
                vendorName: hostileValue,
                status: hostileValue,
              },
              { requiredKeys: [] },
            ),
            hostileValue,
          ),
        },
        { requiredKeys: [] },
      ),
      hostileValue,
    ),
    operationName: fc.option(fc.oneof(fc.constantFrom("P", "H", "S", "L", "F"), hostileString), {
      nil: undefined,
    }),
    asAdmin: fc.boolean(),
  });

  it(
    `GraphQL: ${GRAPHQL_RUNS} generated documents and variables — never a 5xx, an unexpected error or an internal detail (seed ${SEED})`,
    async () => {
      const statuses: Record<number, number> = {};
      await fc.assert(
        fc.asyncProperty(graphqlCase, async (c) => {
          const payload: Record<string, unknown> = { query: c.document, variables: c.variables };
          if (c.operationName !== undefined) payload.operationName = c.operationName;
          const outcome = await send(`${e2e.current.gatewayUrl}/graphql`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: `Bearer ${c.asAdmin ? adminToken(e2e.current) : serviceToken(e2e.current)}`,
            },
            body: JSON.stringify(payload),
          });
          const where = JSON.stringify(c).slice(0, 400);
          statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
          expect(outcome.status, `status for ${where}`).toBeLessThan(500);
          expect(internalsIn(outcome.text), `internals in ${outcome.text.slice(0, 300)}`).toBeUndefined();
          // Masked errors mean the server hit something it did not expect: a bug to fix.
          expect(outcome.text, where).not.toContain("Unexpected error");
          const result = (
            outcome.body as { data?: { provisionHub?: { __typename: string; event?: { data: Hub } } } }
          )?.data?.provisionHub;
          if (result?.__typename === "ProvisionHubSuccess" && result.event) {
            acknowledged.set(result.event.data.hubId, result.event.data);
          }
        }),
        { numRuns: GRAPHQL_RUNS, seed: SEED, endOnFailure: true },
      );
      console.info(`GraphQL fuzz, seed ${SEED}: statuses`, statuses);
    },
    LONG_TEST_MS,
  );
});

it("afterwards: the only hubs stored, in the log and the read model, are the ones acknowledged with 201, each with its own contents (no write on any rejected request)", async () => {
  const report = await expectAcknowledgedStored(e2e.current, [...acknowledged.values()], { exact: true });
  // The SQL-looking serial did not drop anything.
  expect(report.events).toBe(acknowledged.size);
});

it("GraphQL over a second request path: the same SQL-looking serial reads back through hubBySerial", async () => {
  const hub = [...acknowledged.values()].find((h) => h.serial.startsWith("'; DROP TABLE hubs; --"));
  if (!hub) throw new Error("the SQL-looking hub was not provisioned");
  const outcome = await graphql(
    e2e.current,
    `query S($serial: String!) { hubBySerial(serial: $serial) { id serial } }`,
    {
      serial: hub.serial,
    },
  );
  expect(outcome.body).toEqual({ data: { hubBySerial: { id: hub.hubId, serial: hub.serial } } });
});
