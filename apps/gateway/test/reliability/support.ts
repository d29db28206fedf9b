import http from "node:http";
import {
  type EventLogInvariants,
  eventLogInvariants,
  hasPostgres,
  hubRowIds,
  type Query,
  storedStreams,
  withDatabase,
} from "@hub/test-support";
import { expect } from "vitest";
import type { E2E } from "../support/system.ts";

/** `HEAVY=1` (npm run test:heavy) runs the large variants; the default stays fast. */
export const heavy = process.env.HEAVY === "1";
/** Timeout of the scenarios that put load on the system (the suite default is 60 s). */
export const LONG_TEST_MS = heavy ? 600_000 : 180_000;
export const onPostgres = hasPostgres();

export type Hub = { hubId: string; serial: string; model: string; thingName: string; vendorName?: string };

/** An HTTP outcome; status 0 means no response at all (connection refused or cut). */
export type Outcome = {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly headers: Headers | undefined;
  readonly ms: number;
  readonly error?: string;
};

/** fetch that never throws: a transport failure becomes status 0 with the reason. */
export async function send(url: string, init: RequestInit): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return {
      status: response.status,
      body,
      text,
      headers: response.headers,
      ms: performance.now() - started,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: 0,
      body: undefined,
      text: "",
      headers: undefined,
      ms: performance.now() - started,
      error: cause?.code ?? cause?.message ?? String(error),
    };
  }
}

export function serviceToken(e2e: E2E, subject = "manufacturing-line-7"): string {
  return e2e.token({ role: "service" }, { subject });
}

export function adminToken(e2e: E2E): string {
  return e2e.token({ role: "admin" }, { subject: "admin-1" });
}

/** The seed's REST request (both credentials), as partners send it. */
export function provisionRest(
  e2e: E2E,
  hub: Hub,
  options: { gatewayUrl?: string; headers?: Record<string, string>; token?: string } = {},
): Promise<Outcome> {
  return send(`${options.gatewayUrl ?? e2e.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${options.token ?? serviceToken(e2e)}`,
      "x-api-key": e2e.apiKey,
      ...options.headers,
    },
    body: JSON.stringify(hub),
  });
}

export async function graphql(
  e2e: E2E,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  gatewayUrl = e2e.gatewayUrl,
): Promise<Outcome> {
  return send(`${gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken(e2e)}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** n hubs whose IoT Things exist, created a few at a time. */
export async function newHubs(e2e: E2E, n: number): Promise<Hub[]> {
  return mapLimit(Array.from({ length: n }), 16, () => e2e.newHub());
}

const HISTORY_QUERY = /* GraphQL */ `query History($id: ID!) {
  hub(id: $id) { serial version events(first: 10) { edges { node { type version } } } }
}`;

/** One hub's read model and history through the admin GraphQL API (cheap on both engines). */
export async function hubHistory(
  e2e: E2E,
  hubId: string,
): Promise<{ serial: string; version: number; events: { type: string; version: number }[] } | null> {
  const outcome = await graphql(e2e, HISTORY_QUERY, { id: hubId });
  const body = outcome.body as {
    data?: {
      hub: {
        serial: string;
        version: number;
        events: { edges: { node: { type: string; version: number } }[] };
      } | null;
    };
    errors?: unknown[];
  };
  if (!body.data || body.errors) throw new Error(`history query failed: ${outcome.text.slice(0, 300)}`);
  const hub = body.data.hub;
  return hub && { serial: hub.serial, version: hub.version, events: hub.events.edges.map((e) => e.node) };
}

/**
 * Reads the database directly. On PostgreSQL while everything runs; on PGlite hub-service owns the
 * directory, so it is stopped (drained) for the look and started again.
 */
export async function inspectDatabase<T>(e2e: E2E, use: (query: Query) => Promise<T>): Promise<T> {
  if (onPostgres) return withDatabase(e2e.databaseUrl, use);
  await e2e.system.stopService("hubService");
  try {
    return await withDatabase(e2e.databaseUrl, use);
  } finally {
    await e2e.system.startService("hubService");
  }
}

/**
 * The guarantee after any storm, checked on both sides of the log: every 201 a client received has
 * its event and a read-model row with that event's contents; nothing is half-written (no hub
 * without events, no events without hub, versions 1..n); no stream holds more than the one
 * HubProvisioned event; a hub whose request was `refused` has neither an event nor a row; and with
 * `exact`, the log holds no stream but the acknowledged ones (nothing written by a rejected request).
 */
export async function expectAcknowledgedStored(
  e2e: E2E,
  acknowledged: readonly Hub[],
  options: { refused?: readonly Hub[]; exact?: boolean } = {},
): Promise<
  EventLogInvariants & { lost: number; duplicated: number; written: number; unacknowledged: number }
> {
  const { invariants, streams, rows } = await inspectDatabase(e2e, async (query) => ({
    invariants: await eventLogInvariants(query),
    streams: await storedStreams(query),
    rows: await hubRowIds(query),
  }));
  const lost = acknowledged.filter(
    (hub) => streams.get(hub.hubId)?.serial !== hub.serial || !rows.has(hub.hubId),
  ).length;
  const duplicated = [...streams.values()].filter((stream) => stream.events !== 1).length;
  const written = (options.refused ?? []).filter(
    (hub) => streams.has(hub.hubId) || rows.has(hub.hubId),
  ).length;
  const acknowledgedIds = new Set(acknowledged.map((hub) => hub.hubId));
  const unacknowledged = options.exact
    ? new Set([...streams.keys(), ...rows].filter((id) => !acknowledgedIds.has(id))).size
    : 0;
  const report = { ...invariants, lost, duplicated, written, unacknowledged };
  expect(report).toEqual({
    ...invariants,
    hubs: invariants.events,
    hubsWithoutEvents: 0,
    streamsWithoutHub: 0,
    versionMismatches: 0,
    gappedStreams: 0,
    rowMismatches: 0,
    lost: 0,
    duplicated: 0,
    written: 0,
    unacknowledged: 0,
  });
  return report;
}

/** What no response may contain: stack frames, source paths, driver or ORM internals. */
const INTERNALS =
  /\bat [\w$.<>]+ \(|\.(?:ts|js|mjs|cjs):\d+|node_modules|prisma|PrismaClient|ECONN|EPIPE|TypeError|ReferenceError|RangeError|SyntaxError: Unexpected token|"stack"|driverAdapter|invalid input syntax|violates|duplicate key/i;

export function internalsIn(text: string): string | undefined {
  return INTERNALS.exec(text)?.[0];
}

/**
 * Outcomes counted by status; errors also by message, so a failing assertion says what went wrong
 * (e.g. `{ "201": 985, "503 The AWS IoT registry is temporarily unavailable…": 15 }`).
 */
export function statusCounts(outcomes: readonly Outcome[]): Record<string, number> {
  return countBy(outcomes, (o) => {
    if (o.status === 0) return `no response (${o.error})`;
    if (o.status < 400) return String(o.status);
    const message = (o.body as { message?: unknown } | undefined)?.message;
    return `${o.status} ${typeof message === "string" ? message : o.text.slice(0, 80)}`;
  });
}

export function countBy<T>(items: readonly T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export type Sent = { readonly hub: Hub; readonly outcome: Outcome };

/** What a load run has done so far: requests started, and the answers in the order they came. */
export type LoadProgress = { readonly sent: number; readonly answered: readonly Sent[] };

/**
 * Steady load while `scenario` runs: `workers` clients, each creating a hub's IoT Thing and then
 * provisioning it, one after the other, until the scenario has finished (then `tail` more each).
 * The scenario waits on `progress` (answers seen), not on time.
 */
export async function duringLoad(
  e2e: E2E,
  options: { workers: number; tail?: number; send?: (hub: Hub) => Promise<Outcome> },
  scenario: (progress: LoadProgress) => Promise<void>,
): Promise<Sent[]> {
  const sent: Sent[] = [];
  const progress = { sent: 0, answered: sent };
  let done = false;
  const send = options.send ?? ((hub: Hub) => provisionRest(e2e, hub));
  const worker = async () => {
    let tail = options.tail ?? 0;
    while (!done || tail-- > 0) {
      const hub = await e2e.newHub();
      progress.sent++;
      sent.push({ hub, outcome: await send(hub) });
    }
  };
  const workers = Array.from({ length: options.workers }, worker);
  try {
    await scenario(progress);
  } finally {
    done = true;
  }
  await Promise.all(workers);
  return sent;
}

/** Answers counted from `from` on (an index into `progress.answered`) that satisfy `match`. */
export function answersSince(
  progress: LoadProgress,
  from: number,
  match: (outcome: Outcome) => boolean,
): number {
  return progress.answered.slice(from).filter((s) => match(s.outcome)).length;
}

/**
 * The seed's REST request on a connection of its own (no pooled keep-alive socket), so that a
 * transport failure says something about the server: ECONNREFUSED means nothing listens any more.
 */
export function provisionOnFreshConnection(e2e: E2E, hub: Hub, baseUrl = e2e.gatewayUrl): Promise<Outcome> {
  const started = performance.now();
  const body = JSON.stringify(hub);
  return new Promise((resolve) => {
    const request = http.request(
      `${baseUrl}/hubs/${hub.hubId}/ProvisionHub`,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `Bearer ${serviceToken(e2e)}`,
          "x-api-key": e2e.apiKey,
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("error", (error) => resolve(failed(error)));
        response.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === "string") headers.set(name, value);
          }
          resolve({
            status: response.statusCode ?? 0,
            body: parsed,
            text,
            headers,
            ms: performance.now() - started,
          });
        });
      },
    );
    const failed = (error: NodeJS.ErrnoException): Outcome => ({
      status: 0,
      body: undefined,
      text: "",
      headers: undefined,
      ms: performance.now() - started,
      error: error.code ?? error.message,
    });
    request.on("error", (error) => resolve(failed(error)));
    request.end(body);
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
