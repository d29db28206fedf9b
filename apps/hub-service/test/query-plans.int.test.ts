import type { HubListFilter, HubListOrder, HubView } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import type { Prisma, PrismaClient } from "../src/generated/prisma/client.ts";
import { eventFeed, hubEvents, lastEvents } from "../src/queries/event-reads.ts";
import { hubCommands } from "../src/queries/hub-commands.ts";
import { listHubs } from "../src/queries/hub-list.ts";
import { useTestDatabase } from "./support/database.ts";
import { FIXTURE_ORGS, matchesFilter, seedHubCommands, seedHubs } from "./support/hub-fixtures.ts";
import { INDEX_SCANS, planOf } from "./support/plans.ts";

/**
 * Every admin read is an index range scan, checked on the plans PostgreSQL (or PGlite) really
 * chooses: enough rows that the planner prefers indexes on its own (no enable_seqscan tricks),
 * statistics up to date, and the exact statements the service sends (captured, not rewritten).
 */
const db = useTestDatabase();
const HUBS = 5000;
let hubs: HubView[] = [];
let hubIds: string[] = [];
let serials: string[] = [];

beforeAll(async () => {
  hubs = await seedHubs(db.current.prisma, HUBS, { label: "p" });
  hubIds = hubs.map((hub) => hub.hubId);
  serials = hubs.map((hub) => hub.serial);
  await db.current.prisma.$executeRawUnsafe("ANALYZE hubs");
  await db.current.prisma.$executeRawUnsafe("ANALYZE hub_events");
  // 40 commands for each of 250 hubs: enough that the planner reads one hub's by its index.
  await seedHubCommands(db.current.prisma, hubIds.slice(0, 250), 40);
  await db.current.prisma.$executeRawUnsafe("ANALYZE hub_commands");
});

/**
 * The statements a read sends, captured while it really runs against the seeded database (the
 * client is the real one; only its `$queryRaw` calls are recorded on the way through), with what
 * the read returned.
 */
async function statementsOf<T>(
  read: (prisma: PrismaClient) => Promise<T>,
): Promise<{ sql: Prisma.Sql[]; result: T }> {
  const sql: Prisma.Sql[] = [];
  const real = db.current.prisma;
  const recording = new Proxy(real, {
    get(target, property, receiver) {
      if (property === "$queryRaw") {
        return (query: Prisma.Sql) => {
          sql.push(query);
          return target.$queryRaw(query);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  const result = await read(recording);
  return { sql, result };
}

async function expectIndexRangeScans(
  sql: { text: string; values: unknown[] },
  table: "hubs" | "hub_events" | "hub_commands",
) {
  const nodes = await planOf(db.current.prisma, sql);
  const summary = nodes.map(
    (n) => `${n["Node Type"]}${n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}`,
  );
  expect(
    nodes.filter(
      (n) =>
        n["Node Type"] === "Seq Scan" &&
        ["hubs", "hub_events", "hub_commands"].includes(n["Relation Name"] ?? ""),
    ),
    summary.join(" > "),
  ).toEqual([]);
  const indexed = nodes.filter((n) => INDEX_SCANS.has(n["Node Type"]) && n["Index Name"]?.startsWith(table));
  expect(indexed.length, summary.join(" > ")).toBeGreaterThan(0);
  return indexed.map((n) => n["Index Name"]);
}

const orders: HubListOrder[] = [
  { field: "PROVISIONED_AT", direction: "DESC" },
  { field: "PROVISIONED_AT", direction: "ASC" },
  { field: "SERIAL", direction: "ASC" },
  { field: "SERIAL", direction: "DESC" },
];
const base = Date.UTC(2025, 0, 1);
// Each selects some hubs and leaves others out (asserted below), so every plan is of a real read
// and the deep pages exist. Acme makes HUB-2 (hub-fixtures.ts).
const filters: HubListFilter[] = [
  { status: "Suspended" },
  { status: "Provisioned" },
  { model: "HUB-3" },
  { vendorName: "Initech" },
  { serialPrefix: "XYp-0" },
  { provisionedAt: { from: base + 600_000, to: base + 700_000 } },
  { status: "Provisioned", model: "HUB-2" },
  { vendorName: "Acme", model: "HUB-2" },
  { status: "Suspended", serialPrefix: "AB" },
  { orgId: FIXTURE_ORGS[1] },
  { siteId: "site-2" },
  { orgId: FIXTURE_ORGS[0], siteId: "site-1" },
  { isPrimary: false, status: "Claimed" },
  { online: true },
  { online: false, model: "HUB-3" },
];

describe(`query plans on ${HUBS} hubs (${testEngine()})`, () => {
  it("the filter cases are not vacuous: each selects more than a page of hubs, and not all", () => {
    for (const filter of filters) {
      const selected = hubs.filter((hub) => matchesFilter(hub, filter)).length;
      expect(selected, JSON.stringify(filter)).toBeGreaterThan(50);
      expect(selected, JSON.stringify(filter)).toBeLessThan(HUBS);
    }
  });

  it.each([{}, ...filters].flatMap((filter) => orders.map((orderBy) => ({ filter, orderBy }))))(
    "hubs $filter by $orderBy.field $orderBy.direction: first page and a page deep by cursor, both ways",
    async ({ filter, orderBy }) => {
      const expected = hubs.filter((hub) => matchesFilter(hub, filter)).length;
      const first = await listHubs(db.current.prisma, { filter, orderBy, page: { first: 50 } });
      expect(first.edges).toHaveLength(Math.min(50, expected));
      const cursor = first.pageInfo.endCursor;
      if (!cursor) throw new Error("a non-empty first page has an end cursor");
      for (const page of [
        { first: 50 },
        { last: 50 },
        { first: 50, after: cursor },
        { last: 50, before: cursor },
      ]) {
        const {
          sql: [sql],
          result,
        } = await statementsOf((prisma) => listHubs(prisma, { filter, orderBy, page }));
        if (!sql) throw new Error("no statement");
        // Each of these pages holds hubs (more than 50 match): the plan is of a read that finds rows.
        expect(result.edges.length).toBeGreaterThan(0);
        await expectIndexRangeScans(sql, "hubs");
      }
    },
  );

  it("a contradictory vendor + model pair (no hub) is still an index range, not a walk of the model", async () => {
    const filter: HubListFilter = { vendorName: "Acme", model: "HUB-1" };
    expect(hubs.filter((hub) => matchesFilter(hub, filter))).toEqual([]);
    for (const orderBy of orders) {
      for (const page of [{ first: 50 }, { last: 50 }]) {
        const {
          sql: [sql],
          result,
        } = await statementsOf((prisma) => listHubs(prisma, { filter, orderBy, page }));
        if (!sql) throw new Error("no statement");
        expect(result.edges).toEqual([]);
        await expectIndexRangeScans(sql, "hubs");
      }
    }
  });

  it("hub by id and by serial use the primary key and the serial index", async () => {
    const columns = "id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at";
    expect(
      await expectIndexRangeScans(
        { text: `SELECT ${columns} FROM hubs WHERE id = $1::uuid`, values: [hubIds[9]] },
        "hubs",
      ),
    ).toEqual(["hubs_pkey"]);
    expect(
      await expectIndexRangeScans(
        { text: `SELECT ${columns} FROM hubs WHERE serial = $1`, values: [serials[9]] },
        "hubs",
      ),
    ).toEqual(["hubs_serial_key"]);
  });

  it("one hub's events, filtered and by cursor, use the (stream_id, version) index", async () => {
    const hubId = hubIds[3] ?? "";
    const first = await hubEvents(db.current.prisma, { hubId, page: { first: 1 } });
    for (const query of [
      { hubId, page: { first: 100 } },
      { hubId, types: ["HubSuspended"], fromVersion: 2, page: { first: 100 } },
      { hubId, page: { first: 1, after: first.pageInfo.endCursor ?? "" } },
    ]) {
      const {
        sql: [sql],
      } = await statementsOf((prisma) => hubEvents(prisma, query));
      if (!sql) throw new Error("no statement");
      expect(await expectIndexRangeScans(sql, "hub_events")).toEqual(["hub_events_stream_version_key"]);
    }
  });

  it("the last events of a page of hubs read one index entry per hub", async () => {
    const {
      sql: [sql],
    } = await statementsOf((prisma) => lastEvents(prisma, hubIds.slice(100, 150)));
    if (!sql) throw new Error("no statement");
    expect(await expectIndexRangeScans(sql, "hub_events")).toEqual(["hub_events_stream_version_key"]);
  });

  it("the global feed, both orders and by cursor, scans the position key", async () => {
    for (const order of ["NEWEST_FIRST", "OLDEST_FIRST"] as const) {
      const first = await eventFeed(db.current.prisma, { order, page: { first: 50 } });
      for (const page of [{ first: 50 }, { first: 50, after: first.pageInfo.endCursor ?? "" }]) {
        const {
          sql: [sql],
        } = await statementsOf((prisma) => eventFeed(prisma, { order, page }));
        if (!sql) throw new Error("no statement");
        expect(await expectIndexRangeScans(sql, "hub_events")).toEqual(["hub_events_pkey"]);
      }
    }
  });

  it("one hub's commands, newest first, by state and by cursor, read the (hub_id[, state], sent_at, command_id) indexes", async () => {
    const hubId = hubIds[7] ?? "";
    for (const state of [undefined, "SENT", "SUCCEEDED"] as const) {
      const first = await hubCommands(db.current.prisma, { hubId, state, page: { first: 5 } });
      expect(first.edges).toHaveLength(5);
      for (const page of [
        { first: 5 },
        { first: 5, after: first.pageInfo.endCursor ?? "" },
        { last: 5, before: first.pageInfo.endCursor ?? "" },
      ]) {
        const {
          sql: [sql],
        } = await statementsOf((prisma) => hubCommands(prisma, { hubId, state, page }));
        if (!sql) throw new Error("no statement");
        expect(await expectIndexRangeScans(sql, "hub_commands")).toEqual([
          state === undefined
            ? "hub_commands_hub_id_sent_at_command_id_idx"
            : "hub_commands_hub_id_state_sent_at_command_id_idx",
        ]);
      }
    }
  });
});
