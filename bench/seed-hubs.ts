/**
 * `npm run bench:seed-hubs -- --hubs 1000000 --database hub_bench_1m`: a separate PostgreSQL
 * database with N hubs and their events, for the admin query benchmark (bench/queries.ts).
 *
 * The database is created and migrated with the standard Prisma CLI (the same migrations as
 * production). Rows are generated inside PostgreSQL (`INSERT … SELECT … FROM generate_series`),
 * so nothing crosses the wire; the secondary indexes are dropped for the load and rebuilt after
 * it from their own definitions (a sorted build is several times faster than a million inserts
 * into eleven b-trees), and the result is checked to have exactly the migrated index set.
 *
 * The data is what the service would have written: each hub's `HubProvisioned` event (version 1)
 * and, for 5% of hubs, `HubSuspended` and for 2% `HubDecommissioned` (version 2), with the read
 * model row projected accordingly; event positions follow recorded time. Five models, each made by
 * one vendor (HUB-1 and HUB-2 by Acme), 10% without a vendor name; attributes are drawn by hashing,
 * so they are independent of each other, of time and of serial order. 30% are claimed into one of
 * 20 organizations ("Partner 01" … "Partner 20"), which exist as rows.
 */
import { migrateDeploy } from "@hub/test-support";
import pg from "pg";
import { benchFlags } from "./lib/flags.ts";

export type SeedOptions = {
  /** A PostgreSQL server URL; its database part is replaced. */
  readonly serverUrl: string;
  /** Must start with `hub_bench_`: the script drops and recreates it. */
  readonly database: string;
  readonly hubs: number;
  readonly log?: (message: string) => void;
};

export type SeedResult = {
  readonly url: string;
  readonly hubs: number;
  readonly events: number;
  readonly seconds: number;
};

export const DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
/** Provisioning times span two years, four hubs per instant (a line provisions in bursts). */
const SPAN_MS = 2 * 365 * 24 * 3600 * 1000;
const START = "2024-01-01T00:00:00Z";
// Serials: SN + 7 digits of (i * 48271) mod 9999991 (a prime): unique and unrelated to time order.
const SERIAL_MODULUS = 9_999_991;

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function databaseExists(serverUrl: string, database: string): Promise<boolean> {
  return withClient(serverUrl, async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    return (rowCount ?? 0) > 0;
  });
}

export async function dropBenchDatabase(serverUrl: string, database: string): Promise<void> {
  assertBenchName(database);
  await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
}

function assertBenchName(database: string): void {
  if (!/^hub_bench_[a-z0-9_]{1,40}$/.test(database)) {
    throw new Error(`refusing to touch database "${database}": bench databases are named hub_bench_*`);
  }
}

type IndexDef = { table: string; name: string; definition: string; constraint: string | null };

const INDEXES_SQL = `
  SELECT t.relname AS table, i.relname AS name, pg_get_indexdef(i.oid) AS definition,
         pg_get_constraintdef(c.oid) AS constraint
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype IN ('p', 'u')
  WHERE t.relname IN ('hubs', 'hub_events') AND t.relnamespace = 'public'::regnamespace
  ORDER BY t.relname, i.relname`;

export async function seedHubsDatabase(options: SeedOptions): Promise<SeedResult> {
  assertBenchName(options.database);
  const log = options.log ?? (() => {});
  const url = databaseUrl(options.serverUrl, options.database);
  const started = performance.now();
  const lap = (() => {
    let last = started;
    return (label: string) => {
      const now = performance.now();
      log(`  ${label.padEnd(34)} ${((now - last) / 1000).toFixed(1).padStart(6)} s`);
      last = now;
    };
  })();

  await dropBenchDatabase(options.serverUrl, options.database);
  await withClient(options.serverUrl, (client) => client.query(`CREATE DATABASE ${options.database}`));
  await migrateDeploy(url);
  lap("create + prisma migrate deploy");

  const indexes = await withClient(url, async (client) => (await client.query<IndexDef>(INDEXES_SQL)).rows);
  const events = await withClient(url, async (client) => {
    // Bench data only: a crash mid-load just means seeding again.
    await client.query("SET synchronous_commit = off");
    for (const index of indexes) {
      await client.query(
        index.constraint
          ? `ALTER TABLE ${index.table} DROP CONSTRAINT ${index.name}`
          : `DROP INDEX ${index.name}`,
      );
    }
    const n = options.hubs;
    // The 20 organizations the claimed hubs belong to, named as an operator would see them.
    await client.query(
      `INSERT INTO organizations (id, name, created_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, 'Partner ' || lpad((o + 1)::text, 2, '0'),
              timestamptz '${START}' + o * interval '1 day'
       FROM generate_series(0, 19) AS o`,
    );
    await client.query(
      `INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at,
                         org_id, site_id, claimed_at)
       SELECT id, serial, model, 'thing-' || id, vendor_name, status,
              CASE status WHEN 'Provisioned' THEN 1 ELSE 2 END,
              provisioned_at,
              CASE status WHEN 'Provisioned' THEN provisioned_at ELSE provisioned_at + interval '30 days' END,
              CASE status WHEN 'Claimed' THEN org_id END,
              CASE status WHEN 'Claimed' THEN site_id END,
              CASE status WHEN 'Claimed' THEN provisioned_at + interval '30 days' END
       FROM (
         SELECT gen_random_uuid() AS id,
                'SN' || lpad(((i::bigint * 48271) % ${SERIAL_MODULUS})::text, 7, '0') AS serial,
                'HUB-' || (1 + m) AS model,
                CASE WHEN v = 0 THEN NULL ELSE (ARRAY['Acme', 'Acme', 'Globex', 'Initech', 'Umbrella'])[1 + m] END AS vendor_name,
                CASE WHEN st < 2 THEN 'Decommissioned' WHEN st < 7 THEN 'Suspended' WHEN st < 37 THEN 'Claimed'
                     ELSE 'Provisioned' END AS status,
                -- 30% claimed into one of 20 organizations and 50 sites each (no primaries).
                '00000000-0000-4000-8000-' || lpad((abs(hashtext('o' || i)) % 20)::text, 12, '0') AS org_id,
                'site-' || (abs(hashtext('t' || i)) % 50) AS site_id,
                timestamptz '${START}' + ((i / 4) * ($1::float8 / greatest($2::int / 4, 1)))::bigint * interval '1 millisecond' AS provisioned_at
         FROM generate_series(1, $2::int) AS i,
              LATERAL (SELECT abs(hashtext('m' || i)) % 5 AS m, abs(hashtext('v' || i)) % 10 AS v,
                              abs(hashtext('s' || i)) % 100 AS st) AS draw
       ) AS generated`,
      [SPAN_MS, n],
    );
    lap(`insert ${n.toLocaleString("en")} hubs`);
    const inserted = await client.query(
      `INSERT INTO hub_events (stream_id, version, type, data, metadata, recorded_at)
       SELECT stream_id, version, type, data, metadata, recorded_at FROM (
         SELECT id AS stream_id, 1 AS version, 'HubProvisioned' AS type,
                jsonb_strip_nulls(jsonb_build_object('hubId', id, 'serial', serial, 'model', model,
                  'thingName', thing_name, 'vendorName', vendor_name,
                  'provisionedAt', (extract(epoch FROM provisioned_at) * 1000)::bigint)) AS data,
                jsonb_build_object('actor', jsonb_build_object('kind', 'service', 'id', 'manufacturing-line-' || (1 + abs(hashtext(serial)) % 8)),
                  'requestId', r, 'correlationId', r, 'source', 'rest') AS metadata,
                provisioned_at AS recorded_at
         FROM hubs, LATERAL (SELECT 'req-' || left(md5(id::text), 20) AS r) AS request
         UNION ALL
         SELECT id, 2, CASE status WHEN 'Suspended' THEN 'HubSuspended' WHEN 'Claimed' THEN 'HubClaimed'
                             ELSE 'HubDecommissioned' END,
                CASE status
                  WHEN 'Suspended' THEN jsonb_build_object('hubId', id, 'reason', 'payment overdue', 'suspendedBy', 'admin-1',
                    'suspendedAt', (extract(epoch FROM updated_at) * 1000)::bigint)
                  WHEN 'Claimed' THEN jsonb_build_object('hubId', id, 'orgId', org_id, 'siteId', site_id,
                    'claimedBy', 'installer', 'claimedAt', (extract(epoch FROM updated_at) * 1000)::bigint)
                  ELSE jsonb_build_object('hubId', id, 'reason', 'end of life', 'decommissionedBy', 'admin-1',
                    'decommissionedAt', (extract(epoch FROM updated_at) * 1000)::bigint)
                END,
                jsonb_build_object('actor', jsonb_build_object('kind', 'admin', 'id', 'admin-1'),
                  'requestId', r, 'correlationId', r, 'source', 'graphql'),
                updated_at
         FROM hubs, LATERAL (SELECT 'req-' || left(md5(id::text || '/2'), 20) AS r) AS request
         WHERE status <> 'Provisioned'
       ) AS events
       ORDER BY recorded_at, stream_id, version`,
    );
    lap(`insert ${(inserted.rowCount ?? 0).toLocaleString("en")} events`);
    return inserted.rowCount ?? 0;
  });

  // Two connections (the machine's two cores), each building indexes from its own queue.
  const queue = [...indexes].sort((a, b) => (a.table === b.table ? 0 : a.table === "hubs" ? -1 : 1));
  await Promise.all(
    [0, 1].map(() =>
      withClient(url, async (client) => {
        await client.query("SET maintenance_work_mem = '512MB'");
        await client.query("SET max_parallel_maintenance_workers = 0");
        for (let index = queue.shift(); index; index = queue.shift()) {
          await client.query(
            index.constraint
              ? `ALTER TABLE ${index.table} ADD CONSTRAINT ${index.name} ${index.constraint}`
              : index.definition,
          );
        }
      }),
    ),
  );
  lap(`rebuild ${indexes.length} indexes`);
  await withClient(url, async (client) => {
    // Visibility map (index-only scans) and planner statistics, as a settled database has.
    await client.query("VACUUM (ANALYZE) hubs");
    await client.query("VACUUM (ANALYZE) hub_events");
    const after = (await client.query<IndexDef>(INDEXES_SQL)).rows;
    if (JSON.stringify(after) !== JSON.stringify(indexes)) {
      throw new Error("the rebuilt indexes differ from the migrated ones");
    }
    // Write the load out now, not while the benchmark measures (needs superuser or pg_checkpoint).
    await client.query("CHECKPOINT").catch((error: unknown) => log(`  (no CHECKPOINT: ${String(error)})`));
  });
  lap("vacuum analyze, check, checkpoint");
  return { url, hubs: options.hubs, events, seconds: (performance.now() - started) / 1000 };
}

const HELP = `npm run bench:seed-hubs -- [--hubs 1000000] [--database hub_bench_1m] [--database-url <server>] [--smoke]
  Drops and recreates the database (names must start with hub_bench_), migrates it, loads the hubs.
  --smoke: seeds 1,000 hubs (or --hubs) into hub_bench_smoke_seed (or --database), checks the rows
  (every hub, its events, the read model's statuses) and drops the database; exits non-zero on any
  failure.`;

/** A smoke run's checks of a seeded database: what is wrong with it (nothing: an empty list). */
async function seededProblems(result: SeedResult): Promise<string[]> {
  return withClient(result.url, async (client) => {
    const { rows } = await client.query<{ hubs: string; events: string; expected: string; statuses: string }>(
      `SELECT (SELECT count(*) FROM hubs) AS hubs,
              (SELECT count(*) FROM hub_events) AS events,
              (SELECT count(*) + count(*) FILTER (WHERE status <> 'Provisioned') FROM hubs) AS expected,
              (SELECT count(DISTINCT status) FROM hubs) AS statuses`,
    );
    const counts = rows[0];
    const problems: string[] = [];
    if (Number(counts?.hubs) !== result.hubs) problems.push(`${counts?.hubs} hubs, expected ${result.hubs}`);
    if (Number(counts?.events) !== result.events || Number(counts?.events) !== Number(counts?.expected))
      problems.push(
        `${counts?.events} events, expected ${counts?.expected} (the seed reported ${result.events})`,
      );
    // Provisioned, Claimed, Suspended, Decommissioned: at 1,000 hubs all four occur.
    if (result.hubs >= 1000 && Number(counts?.statuses) !== 4)
      problems.push(`${counts?.statuses} statuses, expected 4`);
    return problems;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const values = benchFlags(HELP, {
    hubs: { type: "string" },
    database: { type: "string" },
    "database-url": { type: "string" },
  });
  const hubs = Number(values.hubs ?? (values.smoke ? 1000 : 1_000_000));
  if (!Number.isInteger(hubs) || hubs < 1 || hubs >= SERIAL_MODULUS)
    throw new Error("--hubs must be 1..9999990");
  const database =
    values.database ??
    (values.smoke
      ? "hub_bench_smoke_seed"
      : `hub_bench_${hubs >= 1_000_000 ? `${hubs / 1_000_000}m` : `${hubs / 1000}k`}`);
  const serverUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_SERVER_URL;
  process.stderr.write(`seeding ${hubs.toLocaleString("en")} hubs into ${database}\n`);
  try {
    const result = await seedHubsDatabase({
      serverUrl,
      database,
      hubs,
      log: (m) => process.stderr.write(`${m}\n`),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (values.smoke) {
      const problems = await seededProblems(result);
      process.stdout.write(
        problems.length === 0
          ? `smoke: ok — ${result.hubs} hubs and ${result.events} events in ${database}, indexes as migrated\n`
          : `smoke: FAILED\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n`,
      );
      if (problems.length > 0) process.exitCode = 1;
    }
  } finally {
    if (values.smoke) {
      await dropBenchDatabase(serverUrl, database);
      process.stderr.write(`dropped ${database}\n`);
    }
  }
}
