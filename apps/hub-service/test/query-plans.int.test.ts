import type { HubListFilter, HubListOrder, PageArgs } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import type { Prisma, PrismaClient } from "../src/generated/prisma/client.ts";
import { eventFeed, hubEvents, lastEvents } from "../src/queries/event-reads.ts";
import { listHubs } from "../src/queries/hub-list.ts";
import { useTestDatabase } from "./support/database.ts";
import { seedHubs } from "./support/hub-fixtures.ts";

/**
 * Every admin read is an index range scan, checked on the plans PostgreSQL (or PGlite) really
 * chooses: enough rows that the planner prefers indexes on its own (no enable_seqscan tricks),
 * statistics up to date, and the exact statements the service sends (captured, not rewritten).
 */
const db = useTestDatabase();
const HUBS = 5000;
let hubIds: string[] = [];
let serials: string[] = [];

beforeAll(async () => {
  const hubs = await seedHubs(db.current.prisma, HUBS, { label: "p" });
  hubIds = hubs.map((hub) => hub.hubId);
  serials = hubs.map((hub) => hub.serial);
  await db.current.prisma.$executeRawUnsafe("ANALYZE hubs");
  await db.current.prisma.$executeRawUnsafe("ANALYZE hub_events");
});

/** The statements a read sends, without running them (a stand-in client that records them). */
async function statementsOf(read: (prisma: PrismaClient) => Promise<unknown>): Promise<Prisma.Sql[]> {
  const captured: Prisma.Sql[] = [];
  const recorder = {
    $queryRaw: (sql: Prisma.Sql) => {
      captured.push(sql);
      return Promise.resolve([]);
    },
  } as unknown as PrismaClient;
  await read(recorder);
  return captured;
}

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] };

async function planOf(sql: { text: string; values: unknown[] }): Promise<PlanNode[]> {
  const rows = await db.current.prisma.$queryRawUnsafe<{ "QUERY PLAN": unknown }[]>(
    `EXPLAIN (FORMAT JSON) ${sql.text}`,
    ...sql.values,
  );
  const raw = rows[0]?.["QUERY PLAN"];
  const document = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  for (const entry of document) walk(entry.Plan);
  return nodes;
}

const INDEX_SCANS = new Set(["Index Scan", "Index Only Scan", "Bitmap Index Scan"]);

async function expectIndexRangeScans(sql: { text: string; values: unknown[] }, table: "hubs" | "hub_events") {
  const nodes = await planOf(sql);
  const summary = nodes.map(
    (n) => `${n["Node Type"]}${n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}`,
  );
  expect(
    nodes.filter(
      (n) => n["Node Type"] === "Seq Scan" && ["hubs", "hub_events"].includes(n["Relation Name"] ?? ""),
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
const filters: HubListFilter[] = [
  {},
  { status: "Suspended" },
  { status: "Provisioned" },
  { model: "HUB-3" },
  { vendorName: "Initech" },
  { serialPrefix: "XYp-0" },
  { provisionedAt: { from: base + 600_000, to: base + 700_000 } },
  { status: "Provisioned", model: "HUB-2" },
  { vendorName: "Acme", model: "HUB-1" },
  { status: "Suspended", serialPrefix: "AB" },
];

describe(`query plans on ${HUBS} hubs (${testEngine()})`, () => {
  it.each(filters.flatMap((filter) => orders.map((orderBy) => ({ filter, orderBy }))))(
    "hubs $filter by $orderBy.field $orderBy.direction: first page and a page deep by cursor, both ways",
    async ({ filter, orderBy }) => {
      const first = await listHubs(db.current.prisma, { filter, orderBy, page: { first: 50 } });
      const pages: PageArgs[] = [{ first: 50 }, { last: 50 }];
      const cursor = first.pageInfo.endCursor;
      if (cursor) pages.push({ first: 50, after: cursor }, { last: 50, before: cursor });
      for (const page of pages) {
        const [sql] = await statementsOf((prisma) => listHubs(prisma, { filter, orderBy, page }));
        if (!sql) throw new Error("no statement");
        await expectIndexRangeScans(sql, "hubs");
      }
    },
  );

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
      const [sql] = await statementsOf((prisma) => hubEvents(prisma, query));
      if (!sql) throw new Error("no statement");
      expect(await expectIndexRangeScans(sql, "hub_events")).toEqual(["hub_events_stream_version_key"]);
    }
  });

  it("the last events of a page of hubs read one index entry per hub", async () => {
    const [sql] = await statementsOf((prisma) => lastEvents(prisma, hubIds.slice(100, 150)));
    if (!sql) throw new Error("no statement");
    expect(await expectIndexRangeScans(sql, "hub_events")).toEqual(["hub_events_stream_version_key"]);
  });

  it("the global feed, both orders and by cursor, scans the position key", async () => {
    for (const order of ["NEWEST_FIRST", "OLDEST_FIRST"] as const) {
      const first = await eventFeed(db.current.prisma, { order, page: { first: 50 } });
      for (const page of [{ first: 50 }, { first: 50, after: first.pageInfo.endCursor ?? "" }]) {
        const [sql] = await statementsOf((prisma) => eventFeed(prisma, { order, page }));
        if (!sql) throw new Error("no statement");
        expect(await expectIndexRangeScans(sql, "hub_events")).toEqual(["hub_events_pkey"]);
      }
    }
  });
});
