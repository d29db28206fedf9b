import { randomUUID } from "node:crypto";
import { type LifecycleCommandName, lifecycleCommandNames, lifecycleCommands } from "@hub/shared";
import { eventLogInvariants } from "@hub/test-support";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { useSystem } from "../support/system.ts";
import {
  adminToken,
  graphql,
  type Hub,
  heavy,
  inspectDatabase,
  internalsIn,
  LONG_TEST_MS,
  mapLimit,
  type Outcome,
  send,
} from "./support.ts";

// The lifecycle routes and mutations under generated input: never a 5xx, never an internal detail,
// and the log and the read model agree afterwards. The registry is healthy and every hub online
// here, so a 502 or 503 would be a bug.
const RUNS = heavy ? 10_000 : 250;
const GRAPHQL_RUNS = heavy ? 5_000 : 120;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const EXPECTED = new Set([200, 400, 401, 403, 404, 405, 409, 413, 415, 431]);

const e2e = useSystem({ RATE_LIMIT_POINTS: "10000000", RATE_LIMIT_IP_POINTS: "10000000" });
const hubs: Hub[] = [];

beforeAll(async () => {
  for (let i = 0; i < 8; i++) {
    const hub = await e2e.current.newHub();
    await e2e.current.setConnected(hub.thingName, true);
    const outcome = await send(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": e2e.current.manageApiKey },
      body: JSON.stringify(hub),
    });
    expect(outcome.status).toBe(201);
    hubs.push(hub);
  }
});

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("", " ", "'; DROP TABLE hubs; --", "\u0000", "\ud800", "𝕏".repeat(200), "x".repeat(300)),
);
const anyValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer()),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 5 });

/** A body the command's schema accepts (the state, the caller and the registry decide the rest). */
const validFields = {
  orgId: fc.constantFrom("own", "other", undefined),
  siteId: fc.constantFrom("site-1", "site-2"),
  newOrgId: fc.constantFrom("own", "other"),
  newSiteId: fc.constantFrom("site-1", "site-3"),
  isPrimary: fc.boolean(),
  reason: fc.constantFrom("lost", "moved", "end of life"),
  userId: fc.uuid(),
  // The commands to the hub (through its Device Shadow).
  command: fc.constantFrom("server_info", "get_nodes", "set_wifi_credentials"),
  args: fc.constantFrom(undefined, { verbose: true }, { ssid: "lobby", credentials: "fuzz-secret-1" }),
  commandId: fc.oneof(fc.constant(undefined), fc.uuid()),
  commissioningCode: fc.constantFrom("34970112332", "749701123365521327694", "MT:Y.K9042C00KA0648G00"),
};
const validBody = fc.record(validFields);

type Fields = {
  orgId?: string | undefined;
  newOrgId?: string | undefined;
  extra?: Record<string, unknown> | undefined;
  [field: string]: unknown;
};

type ValidFields = typeof validBody extends fc.Arbitrary<infer T> ? T : never;

/** The fields of a command's body (all but hubId), from its schema in the command list. */
const bodyFields = (command: LifecycleCommandName) =>
  Object.keys(lifecycleCommands[command].body.shape).filter((field) => field !== "hubId");

/** A valid body for `command`: the generated value of each field its schema has. */
function bodyFor(command: LifecycleCommandName, v: ValidFields): Fields {
  const values = v as Record<string, unknown>;
  return Object.fromEntries(
    bodyFields(command)
      .filter((field) => values[field] !== undefined)
      .map((field) => [field, values[field]]),
  );
}

const lifecycleCase = fc.record({
  command: fc.constantFrom(...lifecycleCommandNames),
  valid: fc.oneof({ weight: 3, arbitrary: validBody }, fc.constant(undefined)),
  hub: fc.oneof({ weight: 6, arbitrary: fc.nat(7) }, fc.constant(-1)),
  pathMatches: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, fc.constant(false)),
  body: fc.record(
    {
      orgId: maybe(fc.oneof(fc.constant("own"), fc.constant("other"), fc.uuid(), hostileString)),
      siteId: maybe(fc.oneof(fc.constantFrom("site-1", "site-2"), hostileString)),
      newOrgId: maybe(fc.oneof(fc.constant("own"), fc.constant("other"), hostileString)),
      newSiteId: maybe(fc.oneof(fc.constantFrom("site-1", "site-3"), hostileString)),
      isPrimary: maybe(fc.oneof({ weight: 5, arbitrary: fc.boolean() }, anyValue)),
      reason: maybe(hostileString),
      userId: maybe(fc.oneof(fc.uuid(), hostileString)),
      command: maybe(fc.oneof(fc.constantFrom("server_info", "reboot"), hostileString)),
      args: maybe(fc.oneof(fc.dictionary(hostileString, anyValue, { maxKeys: 3 }), anyValue)),
      commandId: maybe(fc.oneof(fc.uuid(), hostileString)),
      commissioningCode: maybe(fc.oneof(fc.constantFrom("34970112332", "MT:"), hostileString)),
      extra: maybe(fc.dictionary(hostileString, anyValue, { maxKeys: 2 })),
    },
    { requiredKeys: [] },
  ),
  caller: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("manage", "admin", "other-org") },
    fc.constantFrom("reader", "user", "none", "bad-key"),
  ),
  contentType: fc.oneof({ weight: 9, arbitrary: fc.constant("application/json") }, fc.constant("text/plain")),
});

function headersFor(caller: string): Record<string, string> {
  switch (caller) {
    case "manage":
      return { "x-api-key": e2e.current.manageApiKey };
    case "admin":
      return { authorization: `Bearer ${adminToken(e2e.current)}` };
    case "other-org":
      return { "x-api-key": e2e.current.otherOrg.apiKey };
    case "reader":
      return { "x-api-key": e2e.current.readOnlyApiKey };
    case "user":
      return { authorization: `Bearer ${e2e.current.token({}, { subject: "fuzz-user" })}` };
    case "bad-key":
      return { "x-api-key": `hub_${"A".repeat(12)}_${"B".repeat(43)}` };
    default:
      return {};
  }
}

const orgOf = (value: string | undefined) =>
  value === "own" ? e2e.current.orgId : value === "other" ? e2e.current.otherOrg.id : value;

function expectHandled(outcome: Outcome, context: unknown) {
  const where = JSON.stringify(context)?.slice(0, 300);
  expect(
    EXPECTED.has(outcome.status),
    `status ${outcome.status} ${outcome.text.slice(0, 200)} for ${where}`,
  ).toBe(true);
  expect(internalsIn(outcome.text), `internals in ${outcome.text.slice(0, 300)}`).toBeUndefined();
  if (outcome.status >= 400 && outcome.status !== 404) {
    expect(outcome.body, where).toMatchObject({ success: false, code: outcome.status });
  }
}

describe("lifecycle fuzzing (fast-check)", () => {
  it("generates a valid value for every field of every command's body", () => {
    const missing = lifecycleCommandNames.flatMap((command) =>
      bodyFields(command)
        .filter((field) => !(field in validFields))
        .map((field) => `${command}.${field}`),
    );
    expect(missing).toEqual([]);
  });

  it(
    `REST: ${RUNS} generated lifecycle requests — never a 5xx or an internal detail (seed ${SEED})`,
    async () => {
      const statuses: Record<number, number> = {};
      await fc.assert(
        fc.asyncProperty(lifecycleCase, async (c) => {
          const hubId = c.hub >= 0 ? (hubs[c.hub]?.hubId ?? randomUUID()) : randomUUID();
          const { extra, orgId, newOrgId, ...fields } = c.valid ? bodyFor(c.command, c.valid) : c.body;
          const body = {
            hubId,
            ...fields,
            ...(orgId !== undefined ? { orgId: orgOf(orgId) } : {}),
            ...(newOrgId !== undefined ? { newOrgId: orgOf(newOrgId) } : {}),
            ...extra,
          };
          const pathId = c.pathMatches ? hubId : randomUUID();
          const outcome = await send(`${e2e.current.gatewayUrl}/hubs/${pathId}/${c.command}`, {
            method: "POST",
            headers: { "content-type": c.contentType, ...headersFor(c.caller) },
            body: JSON.stringify(body),
          });
          statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
          expectHandled(outcome, c);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      console.info(`lifecycle REST fuzz, seed ${SEED}: statuses`, statuses);
      // Not vacuous: commands got through, and were refused for their state too.
      expect(statuses[200]).toBeGreaterThan(0);
      expect(statuses[409]).toBeGreaterThan(0);
    },
    LONG_TEST_MS,
  );

  const mutations = lifecycleCommandNames.map(
    (name) => [lifecycleCommands[name].graphql.field, `${name}Input`, name] as const,
  );

  it(
    `GraphQL: ${GRAPHQL_RUNS} generated lifecycle mutations — never a 5xx or an unexpected error (seed ${SEED})`,
    async () => {
      const statuses: Record<number, number> = {};
      const typenames: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...mutations), lifecycleCase, async ([field, input], c) => {
          const hubId = c.hub >= 0 ? (hubs[c.hub]?.hubId ?? randomUUID()) : randomUUID();
          const command = mutations.find(([name]) => name === field)?.[2] ?? "ClaimHub";
          const { extra: _extra, orgId, newOrgId, ...fields } = c.valid ? bodyFor(command, c.valid) : c.body;
          const variables = {
            input: {
              hubId,
              ...fields,
              ...(orgId !== undefined ? { orgId: orgOf(orgId) } : {}),
              ...(newOrgId !== undefined ? { newOrgId: orgOf(newOrgId) } : {}),
            },
          };
          const query = `mutation M($input: ${input}!) { ${field}(input: $input) { __typename ... on Error { message } } }`;
          const outcome = await graphql(e2e.current, query, variables, headersFor(c.caller));
          statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
          expect(outcome.status, outcome.text.slice(0, 300)).toBeLessThan(500);
          expect(internalsIn(outcome.text)).toBeUndefined();
          expect(outcome.text).not.toContain("Unexpected error");
          const typename = (outcome.body as { data?: Record<string, { __typename?: string }> })?.data?.[field]
            ?.__typename;
          if (typename) typenames[typename] = (typenames[typename] ?? 0) + 1;
        }),
        { numRuns: GRAPHQL_RUNS, seed: SEED, endOnFailure: true },
      );
      console.info(`lifecycle GraphQL fuzz, seed ${SEED}: statuses`, statuses, "results", typenames);
      expect(typenames.CommandSuccess).toBeGreaterThan(0);
    },
    LONG_TEST_MS,
  );
});

describe("lifecycle races through the gateway", () => {
  it("32 concurrent REST ClaimHub of one hub by two organizations: one HubClaimed; the winner's repeats 200, the other 409 or 404", async () => {
    const hub = await e2e.current.newHub();
    await e2e.current.setConnected(hub.thingName, true);
    const provisioned = await send(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken(e2e.current)}` },
      body: JSON.stringify(hub),
    });
    expect(provisioned.status).toBe(201);
    const outcomes = await mapLimit(
      Array.from({ length: 32 }, (_, i) => i),
      32,
      (i) =>
        send(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ClaimHub`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-api-key": i % 2 === 0 ? e2e.current.manageApiKey : e2e.current.otherOrg.apiKey,
          },
          body: JSON.stringify({ hubId: hub.hubId, siteId: i % 2 === 0 ? "a" : "b", userId: "installer" }),
        }).then((outcome) => ({ outcome, mine: i % 2 === 0 })),
    );
    const history = await graphql(
      e2e.current,
      `query H($id: ID!) { hub(id: $id) { orgId events(types: ["HubClaimed"]) { edges { node { type } } } } }`,
      { id: hub.hubId },
    );
    const read = (history.body as { data: { hub: { orgId: string; events: { edges: unknown[] } } } }).data
      .hub;
    expect(read.events.edges).toHaveLength(1);
    const winnerIsMine = read.orgId === e2e.current.orgId;
    for (const { outcome, mine } of outcomes) {
      if (mine === winnerIsMine) expect(outcome.status).toBe(200);
      else expect([404, 409]).toContain(outcome.status);
    }
    expect(outcomes.filter(({ outcome }) => (outcome.body as { event?: unknown })?.event).length).toBe(1);
  });
});

it("afterwards: the log and the read model agree (no gaps, every row's version and contents its stream's)", async () => {
  const invariants = await inspectDatabase(e2e.current, eventLogInvariants);
  expect(invariants).toMatchObject({
    hubsWithoutEvents: 0,
    streamsWithoutHub: 0,
    versionMismatches: 0,
    gappedStreams: 0,
    rowMismatches: 0,
  });
  expect(invariants.events).toBeGreaterThan(invariants.hubs);
});
