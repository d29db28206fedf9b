/**
 * `npm run bench:queries`: latency of the admin dashboard reads through hub-service (tRPC over
 * HTTP with the typed client, exactly as the gateway calls it) at 10,000 and at 1,000,000 hubs
 * in the same run. The 10k database is the baseline: a read that scales with the table shows up
 * as a 1M/10k ratio well above 1. Also prints EXPLAIN ANALYZE of each read's SQL at 1M.
 * The console overview's statements (counts: no latency target, they grow with the fleet) are
 * explained one by one at 1M and must read hubs, hub_commands and webhook_deliveries through
 * indexes: a Seq Scan on any of them fails the run.
 *
 * The databases (hub_bench_v2_10k, hub_bench_v2_1m) are seeded by bench/seed-hubs.ts when missing.
 * Flags: see `--help`. Results: a table on stdout, JSON on stdout and in bench/results/.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createHubServiceClient, type HubServiceClient } from "@hub/hub-client";
import { mintServiceToken } from "@hub/server-kit";
import { type HubListFilter, type HubListOrder, type PageArgs, type RequestContext } from "@hub/shared";
import { repoRoot } from "@hub/test-support";
import pg from "pg";
import pino from "pino";
import { createHubServiceApp, type HubServiceApp } from "../apps/hub-service/src/app.ts";
import { loadEnv } from "../apps/hub-service/src/env.ts";
import type { Prisma, PrismaClient } from "../apps/hub-service/src/generated/prisma/client.ts";
import { eventFeed, hubEvents, lastEvents } from "../apps/hub-service/src/queries/event-reads.ts";
import {
  commandCountsSql,
  deliveryCountsSql,
  hubCountsSql,
  overviewStart,
  provisionedPerDaySql,
} from "../apps/hub-service/src/queries/fleet-overview.ts";
import { listHubs } from "../apps/hub-service/src/queries/hub-list.ts";
import { organizationHubCounts } from "../apps/hub-service/src/queries/organization-hub-counts.ts";
import { benchFlags } from "./lib/flags.ts";
import {
  DEFAULT_SERVER_URL,
  databaseExists,
  databaseUrl,
  dropBenchDatabase,
  seedHubsDatabase,
} from "./seed-hubs.ts";

const HELP = `npm run bench:queries -- [flags]
  --iterations <n>      measured calls per read and size (default 400)
  --warmup <n>          unmeasured calls per read and size first (default 40)
  --sizes <list>        hub counts, baseline first (default 10000,1000000)
  --reseed              seed the databases again even if they exist
  --drop                drop the bench databases at the end
  --no-explain          skip EXPLAIN ANALYZE
  --database-url <url>  PostgreSQL server (default ${DEFAULT_SERVER_URL})
  --smoke               seconds-long check that the bench works: every read at 1,000 and 2,000 hubs
                        (5 warm-up + 20 measured calls each, EXPLAIN included), seeded afresh into
                        hub_bench_smoke_q_1k and hub_bench_smoke_q_2k and dropped at the end (flags
                        above still apply); exits non-zero on any failed call; no targets checked`;

const flags = benchFlags(HELP, {
  iterations: { type: "string" },
  warmup: { type: "string" },
  sizes: { type: "string" },
  reseed: { type: "boolean", default: false },
  drop: { type: "boolean", default: false },
  "no-explain": { type: "boolean", default: false },
  "database-url": { type: "string" },
});
const smoke = flags.smoke;
const config = {
  iterations: Number(flags.iterations ?? (smoke ? 20 : 400)),
  warmup: Number(flags.warmup ?? (smoke ? 5 : 40)),
  sizes: (flags.sizes ?? (smoke ? "1000,2000" : "10000,1000000")).split(",").map(Number),
  serverUrl: flags["database-url"] ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_SERVER_URL,
};
/** The targets of the issue, checked at the largest size against the smallest. */
const TARGET = { p99Ms: 20, ratio: 1.5 };
const PAGE = 50;
const DEEP = 10_000;

const log = (message: string) => process.stderr.write(`${message}\n`);
const label = (size: number) => (size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`);
// The seed's shape is in the name: a database seeded by an older version is not reused. A smoke
// run seeds databases of its own (never the real runs' cached ones) and drops them at the end.
// Version 3: the hubs (provisioned_by_org_id) index of Organization.hubCount.
const SEED_VERSION = 3;
const databaseName = (size: number) =>
  smoke
    ? `hub_bench_smoke_q_${label(size).toLowerCase()}`
    : `hub_bench_v${SEED_VERSION}_${label(size).toLowerCase()}`;

const admin: RequestContext = {
  principal: { kind: "admin", id: "bench-admin", permissions: [] },
  requestId: "bench",
  correlationId: "bench",
  source: "graphql",
};

type Dataset = {
  readonly size: number;
  readonly url: string;
  readonly app: HubServiceApp;
  readonly client: HubServiceClient;
  readonly pool: pg.Pool;
  readonly sample: { id: string; serial: string }[];
  readonly deepCursor: string;
  readonly deepDepth: number;
};

/** A read as the dashboard makes it: what it sends over tRPC, and the SQL hub-service runs for it. */
type Read = {
  readonly name: string;
  call(dataset: Dataset, i: number): Promise<unknown>;
  sql(dataset: Dataset): Promise<{ text: string; values: unknown[] }>;
  /** Indexes its plan must use (checked on the EXPLAIN at the largest size). */
  readonly indexes?: readonly RegExp[];
  /** Overview: counts read every matching index entry, so they grow with the fleet (no target). */
  readonly untargeted?: boolean;
};

const pick = <T>(items: readonly T[], i: number): T => items[(i * 7919) % items.length] as T;

/** The statement a service query function sends, without running it. */
async function statementOf(read: (prisma: PrismaClient) => Promise<unknown>): Promise<Prisma.Sql> {
  let captured: Prisma.Sql | undefined;
  const recorder = {
    $queryRaw: (sql: Prisma.Sql) => {
      captured = sql;
      return Promise.resolve([]);
    },
  } as unknown as PrismaClient;
  await read(recorder);
  if (!captured) throw new Error("no statement captured");
  return captured;
}

const HUB_COLUMNS =
  "id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at, " +
  "provisioned_by_org_id, org_id, site_id, is_primary, claimed_at";

function hubsRead(
  name: string,
  query: { filter?: HubListFilter; orderBy?: HubListOrder },
  page?: (d: Dataset) => PageArgs,
): Read {
  const pageOf = (dataset: Dataset) => page?.(dataset) ?? { first: PAGE };
  return {
    name,
    call: (dataset) => dataset.client.hub.list.query({ caller: admin, ...query, page: pageOf(dataset) }),
    sql: (dataset) => statementOf((prisma) => listHubs(prisma, { ...query, page: pageOf(dataset) })),
  };
}

const monthFrom = Date.UTC(2025, 2, 1);
const reads: Read[] = [
  hubsRead("hubs: first page, no filter", {}),
  hubsRead("hubs: status=Suspended", { filter: { status: "Suspended" } }),
  hubsRead("hubs: model=HUB-3, by serial", {
    filter: { model: "HUB-3" },
    orderBy: { field: "SERIAL", direction: "ASC" },
  }),
  hubsRead("hubs: vendor+model, by serial desc", {
    filter: { vendorName: "Globex", model: "HUB-3" },
    orderBy: { field: "SERIAL", direction: "DESC" },
  }),
  // HUB-3 is made by Globex: nothing matches, which must not mean reading every HUB-3.
  hubsRead("hubs: vendor+model, contradictory", { filter: { vendorName: "Acme", model: "HUB-3" } }),
  hubsRead("hubs: serial prefix SN12, by serial", {
    filter: { serialPrefix: "SN12" },
    orderBy: { field: "SERIAL", direction: "ASC" },
  }),
  hubsRead("hubs: one month, oldest first", {
    filter: { provisionedAt: { from: monthFrom, to: monthFrom + 30 * 86_400_000 } },
    orderBy: { field: "PROVISIONED_AT", direction: "ASC" },
  }),
  hubsRead("hubs: status+model+vendor", {
    filter: { status: "Suspended", model: "HUB-2", vendorName: "Acme" },
  }),
  hubsRead("hubs: Decommissioned+HUB-5, by serial", {
    filter: { status: "Decommissioned", model: "HUB-5" },
    orderBy: { field: "SERIAL", direction: "ASC" },
  }),
  hubsRead("hubs: one organization", { filter: { orgId: "00000000-0000-4000-8000-000000000007" } }),
  hubsRead("hubs: organization+site, by serial", {
    filter: { orgId: "00000000-0000-4000-8000-000000000003", siteId: "site-12" },
    orderBy: { field: "SERIAL", direction: "ASC" },
  }),
  hubsRead("hubs: one site across organizations", { filter: { siteId: "site-40" } }),
  hubsRead("hubs: primary hubs", { filter: { isPrimary: true } }),
  hubsRead("hubs: page 10,000 deep (after)", {}, (d) => ({ first: PAGE, after: d.deepCursor })),
  hubsRead("hubs: page 10,000 deep (before)", {}, (d) => ({ last: PAGE, before: d.deepCursor })),
  {
    name: "hubBySerial",
    call: (d, i) => d.client.hub.bySerial.query({ caller: admin, serial: pick(d.sample, i).serial }),
    sql: async (d) => ({
      text: `SELECT ${HUB_COLUMNS} FROM hubs WHERE serial = $1`,
      values: [pick(d.sample, 1).serial],
    }),
  },
  {
    name: "hub by id",
    call: (d, i) => d.client.hub.byId.query({ caller: admin, hubId: pick(d.sample, i).id }),
    sql: async (d) => ({
      text: `SELECT ${HUB_COLUMNS} FROM hubs WHERE id = $1::uuid`,
      values: [pick(d.sample, 1).id],
    }),
  },
  {
    name: "one hub's events",
    call: (d, i) => d.client.hub.events.query({ caller: admin, hubId: pick(d.sample, i).id }),
    sql: (d) => statementOf((prisma) => hubEvents(prisma, { hubId: pick(d.sample, 1).id, page: {} })),
  },
  {
    name: "last events of 50 hubs",
    call: (d, i) =>
      d.client.hub.lastEvents.query({
        caller: admin,
        hubIds: Array.from({ length: PAGE }, (_, k) => pick(d.sample, i * PAGE + k).id),
      }),
    sql: (d) =>
      statementOf((prisma) =>
        lastEvents(
          prisma,
          Array.from({ length: PAGE }, (_, k) => pick(d.sample, PAGE + k).id),
        ),
      ),
  },
  {
    name: "event feed: latest 50",
    call: (d) => d.client.events.feed.query({ caller: admin, page: { first: PAGE } }),
    sql: () => statementOf((prisma) => eventFeed(prisma, { page: { first: PAGE } })),
  },
  // Overview: the console's landing page, four statements in one call (their plans: below).
  {
    name: "fleet overview (4 statements)",
    untargeted: true,
    call: (d) => d.client.fleet.overview.query({ caller: admin }),
    sql: async () => hubCountsSql(),
  },
];

// Organization.hubCount: the seed's 20 organizations (a page of them) counted in one grouped
// statement, each an index range on hubs (org_id, …); nobody's key provisioned these hubs, so the
// hubs (provisioned_by_org_id) half finds nothing, by index too.
const countedOrgs = Array.from(
  { length: 20 },
  (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
);
reads.push({
  name: "hub counts of 20 organizations",
  // A count reads every index entry it counts (the seed's 300,000 claimed hubs at 1M), so like the
  // overview it grows with the fleet: its plan is checked, its time reported, no target applies.
  untargeted: true,
  call: (d) => d.client.organizations.hubCounts.query({ caller: admin, ids: countedOrgs }),
  sql: () => statementOf((prisma) => organizationHubCounts(prisma, countedOrgs)),
  indexes: [/ using hubs_org_id_/, / using hubs_provisioned_by_org_id_idx$/],
});
/*
 * Overview: each of the fleet overview's statements, explained on its own at the largest size and
 * checked to read hubs, hub_commands and webhook_deliveries through indexes (no Seq Scan). The
 * hub seed has no commands nor deliveries: a dataset gets one command per two hubs (every state)
 * and one delivery per ten hubs (every status) when it has none, so those plans are real ones.
 */
const overviewStatements: { name: string; sql: () => Prisma.Sql }[] = [
  { name: "overview: hubs by status, online", sql: hubCountsSql },
  {
    name: "overview: provisioned per day (30 UTC days)",
    // The seed provisions hubs in 2025: the window ends on its last hub's day, so it holds rows.
    sql: () => provisionedPerDaySql(new Date(overviewStart(Date.UTC(2025, 11, 31)))),
  },
  { name: "overview: commands by state", sql: commandCountsSql },
  { name: "overview: webhook deliveries", sql: deliveryCountsSql },
];
const OVERVIEW_TABLES = ["hubs", "hub_commands", "webhook_deliveries"];
/** Below this many rows a table's plan is not checked (whole-table reads are cheaper there). */
const OVERVIEW_CHECKED_ROWS = 10_000;

async function seedOverviewRows(pool: pg.Pool, size: number): Promise<void> {
  const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM hub_commands");
  if (Number(rows[0]?.n) > 0) return;
  log(
    `  overview: seeding ${(size / 2).toLocaleString("en")} commands and ${(size / 10).toLocaleString("en")} deliveries`,
  );
  await pool.query(
    `INSERT INTO hub_commands (command_id, hub_id, command, state, sent_at, timeout_at, sent_by_kind, sent_by_id, version)
     SELECT 'bench-' || n, h.id, 'server_info',
            (ARRAY['SENT','SUCCEEDED','SUCCEEDED','SUCCEEDED','FAILED','REJECTED','TIMED_OUT'])[1 + n % 7],
            h.provisioned_at, h.provisioned_at + interval '1 minute', 'admin', 'bench', 2
     FROM (SELECT id, provisioned_at, row_number() OVER () AS n FROM hubs LIMIT ${Math.floor(size / 2)}) h`,
  );
  const sub = await pool.query<{ id: string }>(
    `INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'bench overview ' || gen_random_uuid())
     RETURNING id`,
  );
  const subscription = await pool.query<{ id: string }>(
    `INSERT INTO webhook_subscriptions (id, org_id, url, secret) VALUES (gen_random_uuid(), $1::uuid, 'https://bench.example.com/hook', 'bench')
     RETURNING id`,
    [sub.rows[0]?.id],
  );
  await pool.query(
    `INSERT INTO webhook_deliveries (subscription_id, hub_id, version, position, event_type, status)
     SELECT $1::uuid, h.id, 1, n, 'HubProvisioned', CASE WHEN n % 50 = 0 THEN 'pending' WHEN n % 97 = 0 THEN 'dead' ELSE 'delivered' END
     FROM (SELECT id, row_number() OVER () AS n FROM hubs LIMIT ${Math.floor(size / 10)}) h`,
    [subscription.rows[0]?.id],
  );
  // As the hub seed leaves hubs (and autovacuum leaves insert-only tables): statistics and
  // visibility maps up to date, so the counts can be index-only scans.
  await pool.query("VACUUM (ANALYZE) hub_commands");
  await pool.query("VACUUM (ANALYZE) webhook_deliveries");
}

async function openDataset(size: number, secret: string): Promise<Dataset> {
  const database = databaseName(size);
  const url = databaseUrl(config.serverUrl, database);
  if (smoke || flags.reseed || !(await databaseExists(config.serverUrl, database))) {
    log(`seeding ${size.toLocaleString("en")} hubs into ${database}`);
    const seeded = await seedHubsDatabase({ serverUrl: config.serverUrl, database, hubs: size, log });
    log(`  seeded in ${seeded.seconds.toFixed(1)} s`);
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const { rows: counted } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM hubs");
  if (Number(counted[0]?.n) !== size) {
    throw new Error(`${database} has ${counted[0]?.n} hubs, expected ${size}: run with --reseed`);
  }
  await seedOverviewRows(pool, size);
  const percent = Math.min(100, (4000 * 100) / size);
  const { rows: sample } = await pool.query<{ id: string; serial: string }>(
    `SELECT id, serial FROM hubs TABLESAMPLE BERNOULLI (${percent}) REPEATABLE (7) LIMIT 2000`,
  );
  const env = loadEnv({
    DATABASE_URL: url,
    HUB_SERVICE_PORT: "0",
    SERVICE_JWT_SECRET: secret,
    DATABASE_POOL_SIZE: "4",
    LOG_LEVEL: "silent",
  });
  const app = await createHubServiceApp(env, pino({ level: "silent" }));
  const serviceUrl = await app.listen();
  const client = createHubServiceClient({ url: serviceUrl, serviceToken: mintServiceToken(secret, "bench") });
  // The deep cursor the way a client gets one: page after page from the start.
  const deepDepth = Math.min(DEEP, size - PAGE);
  let cursor: string | undefined;
  for (let seen = 0; seen < deepDepth; seen += PAGE) {
    const page = await client.hub.list.query({
      caller: admin,
      page: { first: PAGE, ...(cursor ? { after: cursor } : {}) },
    });
    cursor = page.pageInfo.endCursor ?? undefined;
  }
  if (!cursor) throw new Error("no deep cursor");
  return { size, url, app, client, pool, sample, deepCursor: cursor, deepDepth };
}

type Stats = { p50: number; p90: number; p99: number; max: number; mean: number; n: number };

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? 0),
    mean: round(sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length)),
    n: sorted.length,
  };
}

/** Measures one read on every dataset, in alternating blocks so drift hits all sizes alike. */
async function measure(read: Read, datasets: Dataset[]): Promise<Stats[]> {
  const samples = datasets.map(() => [] as number[]);
  for (const dataset of datasets) {
    for (let i = 0; i < config.warmup; i++) await read.call(dataset, i);
  }
  const block = 50;
  for (let done = 0; done < config.iterations; done += block) {
    for (const [index, dataset] of datasets.entries()) {
      for (let i = done; i < Math.min(done + block, config.iterations); i++) {
        const started = performance.now();
        await read.call(dataset, i + config.warmup);
        samples[index]?.push(performance.now() - started);
      }
    }
  }
  return samples.map(stats);
}

type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
};

async function explain(
  pool: pg.Pool,
  sql: { text: string; values: unknown[] },
): Promise<{ text: string[]; indexes: string[]; seqScans: string[]; executionMs: number }> {
  const analyzed = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql.text}`, sql.values);
  const [document] = analyzed.rows[0]["QUERY PLAN"] as { Plan: PlanNode; "Execution Time": number }[];
  const textual = await pool.query(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) ${sql.text}`,
    sql.values,
  );
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  if (document) walk(document.Plan);
  return {
    text: textual.rows.map((row) => row["QUERY PLAN"] as string),
    indexes: [
      ...new Set(
        nodes.flatMap((n) => (n["Index Name"] ? [`${n["Node Type"]} using ${n["Index Name"]}`] : [])),
      ),
    ],
    seqScans: nodes.filter((n) => n["Node Type"] === "Seq Scan").map((n) => n["Relation Name"] ?? "?"),
    executionMs: document?.["Execution Time"] ?? 0,
  };
}

const pad = (value: string | number, width: number) => String(value).padStart(width);

async function main() {
  const secret = `bench-service-secret-${randomBytes(16).toString("hex")}`;
  const datasets: Dataset[] = [];
  try {
    for (const size of config.sizes) datasets.push(await openDataset(size, secret));
    // Latency tails measure the whole machine: say when something else was using it.
    const loadBefore = os.loadavg()[0] ?? 0;
    if (loadBefore > 1)
      log(`warning: load average ${loadBefore.toFixed(2)} before measuring; p99 will include other work`);
    const baseline = datasets[0] as Dataset;
    const largest = datasets.at(-1) as Dataset;
    log(
      `measuring ${reads.length} reads × ${datasets.map((d) => label(d.size)).join(", ")}: ` +
        `${config.warmup} warm-up + ${config.iterations} measured calls each, one at a time`,
    );
    const results = [];
    for (const read of reads) {
      const measured = await measure(read, datasets);
      // A failed call throws; a smoke run also checks that every call was made and timed.
      if (smoke && measured.some((stat) => stat.n !== config.iterations))
        throw new Error(`${read.name}: fewer than ${config.iterations} calls measured`);
      const base = measured[0] as Stats;
      const top = measured.at(-1) as Stats;
      const ratioP50 = Math.round((top.p50 / base.p50) * 100) / 100;
      const ratioP99 = Math.round((top.p99 / base.p99) * 100) / 100;
      const ok = read.untargeted === true || (top.p99 <= TARGET.p99Ms && ratioP50 <= TARGET.ratio);
      results.push({
        read: read.name,
        bySize: Object.fromEntries(datasets.map((d, i) => [label(d.size), measured[i]])),
        ratioP50,
        ratioP99,
        ok,
        untargeted: read.untargeted === true,
      });
      log(`  ${read.name}: done`);
    }

    const loadAfter = os.loadavg()[0] ?? 0;
    const sizes = datasets.map((d) => label(d.size));
    const header = [
      "read".padEnd(34),
      ...sizes.flatMap((s) => [pad(`${s} p50`, 9), pad(`${s} p99`, 9)]),
      pad(`ratio p50`, 9),
      pad(`ratio p99`, 9),
      " target",
    ].join(" ");
    const lines = results.map((r) =>
      [
        r.read.padEnd(34),
        ...sizes.flatMap((s) => [
          pad(r.bySize[s]?.p50.toFixed(2) ?? "", 9),
          pad(r.bySize[s]?.p99.toFixed(2) ?? "", 9),
        ]),
        pad(r.ratioP50.toFixed(2), 9),
        pad(r.ratioP99.toFixed(2), 9),
        smoke || r.untargeted ? "  –" : r.ok ? "  ok" : "  MISSED",
      ].join(" "),
    );
    process.stdout.write(
      `\nAdmin reads through hub-service (tRPC over HTTP, typed client), milliseconds per call\n` +
        `load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${os.cpus().length} CPUs\n` +
        `deep page: ${datasets.map((d) => `${d.deepDepth.toLocaleString("en")} hubs deep at ${label(d.size)}`).join(", ")}\n` +
        (smoke
          ? "smoke run: tiny databases, targets not checked\n\n"
          : `target at ${label(largest.size)}: p99 ≤ ${TARGET.p99Ms} ms and p50 ratio ${label(largest.size)}/${label(baseline.size)} ≤ ${TARGET.ratio}\n\n`) +
        `${header}\n${"-".repeat(header.length)}\n${lines.join("\n")}\n`,
    );

    const plans: Record<string, unknown> = {};
    if (!flags["no-explain"]) {
      process.stdout.write(`\nEXPLAIN (ANALYZE, BUFFERS) at ${label(largest.size)} hubs\n`);
      for (const read of reads) {
        const plan = await explain(largest.pool, await read.sql(largest));
        plans[read.name] = plan;
        const missing = (read.indexes ?? []).filter(
          (index) => !plan.indexes.some((used) => index.test(used)),
        );
        if (missing.length > 0 || (read.indexes && plan.seqScans.length > 0)) {
          throw new Error(`${read.name}: the plan does not use ${missing.join(", ") || "indexes only"}`);
        }
        process.stdout.write(
          `\n## ${read.name} — ${plan.indexes.join("; ") || "no index"}; seq scans: ${plan.seqScans.join(", ") || "none"}; ` +
            `execution ${plan.executionMs.toFixed(3)} ms\n${plan.text.map((line) => `   ${line}`).join("\n")}\n`,
        );
      }
    }

    // Overview: every statement's plan reads the three tables through indexes only.
    const overviewMisses: string[] = [];
    if (!flags["no-explain"]) {
      for (const statement of overviewStatements) {
        const plan = await explain(largest.pool, statement.sql());
        plans[statement.name] = plan;
        for (const table of new Set(plan.seqScans.filter((t) => OVERVIEW_TABLES.includes(t)))) {
          // A table of a few hundred rows (a smoke run's) is rightly read whole by the planner.
          const { rows } = await largest.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
          const n = Number(rows[0]?.n);
          if (n >= OVERVIEW_CHECKED_ROWS)
            overviewMisses.push(`${statement.name}: Seq Scan on ${table} (${n} rows)`);
          else log(`  ${statement.name}: Seq Scan on ${table} not checked (${n} rows)`);
        }
        process.stdout.write(
          `\n## ${statement.name} — ${plan.indexes.join("; ") || "no index"}; seq scans: ${plan.seqScans.join(", ") || "none"}; ` +
            `execution ${plan.executionMs.toFixed(3)} ms\n${plan.text.map((line) => `   ${line}`).join("\n")}\n`,
        );
      }
    }

    const report = {
      kind: "bench:queries",
      at: new Date().toISOString(),
      config: { ...config, target: TARGET, page: PAGE },
      machine: { cpus: os.cpus().length, loadBefore, loadAfter, node: process.version },
      datasets: datasets.map((d) => ({
        size: d.size,
        database: databaseName(d.size),
        deepDepth: d.deepDepth,
      })),
      results,
      plans,
    };
    const dir = path.join(repoRoot, "bench/results");
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `queries-${smoke ? "smoke-" : ""}${report.at.replace(/[:.]/g, "-")}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `\n${JSON.stringify({ results: report.results }, null, 0)}\nwrote ${path.relative(repoRoot, file)}\n`,
    );
    if (overviewMisses.length)
      throw new Error(`overview plans read whole tables:\n${overviewMisses.join("\n")}`);
    if (smoke) {
      process.stdout.write(
        `smoke: ok — ${reads.length} reads × ${datasets.length} sizes, ${config.warmup + config.iterations} calls each, ` +
          `all answered${flags["no-explain"] ? "" : ", EXPLAIN of each"} (no targets checked)\n`,
      );
    }
  } finally {
    for (const dataset of datasets) {
      await dataset.app.close();
      await dataset.pool.end();
    }
    if (flags.drop || smoke) {
      for (const size of config.sizes) await dropBenchDatabase(config.serverUrl, databaseName(size));
      log(`dropped ${config.sizes.map(databaseName).join(", ")}`);
    }
  }
}

await main();
