/**
 * `npm run bench:provision`: ProvisionHub throughput and latency of the real system (registry
 * emulator, hub-service, gateway as processes on a fresh PostgreSQL database) against a bare
 * node:http + pg baseline doing the same work, measured side by side in one invocation.
 * Flags: see `--help`. Results: a table on stdout and bench/results/<timestamp>.json.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mintServiceToken } from "@hub/server-kit";
import {
  appEntry,
  freePort,
  migrateDeploy,
  processCpuMs,
  repoRoot,
  type ServiceProcess,
  startService,
} from "@hub/test-support";
import jwt from "jsonwebtoken";
import pg from "pg";
import { createOrganization, issueApiKey, toolActor } from "../apps/hub-service/src/api-keys/api-keys.ts";
import { createDatabase } from "../apps/hub-service/src/db/client.ts";
import { benchFlags } from "./lib/flags.ts";
import {
  type AllocationSummary,
  filesIn,
  formatAllocations,
  formatSnapshot,
  type SnapshotSummary,
  summariseAllocations,
  summariseSnapshot,
} from "./lib/heap.ts";
import {
  type HubSpec,
  type LoadResult,
  percentile,
  runLoad,
  type Surface,
  surfaces,
  type Target,
} from "./lib/load.ts";
import { formatProfile, type ProfileSummary, profilesIn, summariseProfile } from "./lib/profile.ts";
import { thingName, writeThingPool } from "./lib/things.ts";

const HELP = `npm run bench:provision -- [flags]
  --duration <s>        measured seconds per cell (default 10)
  --warmup <s>          warm-up seconds per cell (default 3)
  --slice <s>           the measured seconds are run in slices of this length, surfaces taking
                        turns, so every surface meets the same background load (default 2)
  --concurrency <list>  connections per cell (default 1,16,64)
  --surfaces <list>     rest,graphql,trpc (default all three; the baseline always runs)
  --rounds <n>          repeat the whole matrix n times; the table shows medians (default 1)
  --long                RSS mode: 60 s at c=64 on rest and graphql, RSS sampled after every slice
  --profile             run hub-service and gateway with --cpu-prof and summarise self time
  --heap                memory: hub-service and gateway record what they allocate (sampling heap
                        profiler, collected objects included) and write a heap snapshot after the
                        load (what is live); both summarised per package / type / retainer
  --baseline-mode <m>   tx (BEGIN, 2 INSERTs, COMMIT; default) or cte (one statement)
  --max-rate <n>        req/s bound used to size the pre-created Thing pool (default 2500)
  --env KEY=VALUE       extra environment for hub-service and gateway (repeatable)
  --node-arg <flag>     extra node flag for hub-service and gateway, e.g. --heap-prof (repeatable)
  --database-url <url>  PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres)
  --keep-db             do not drop the bench database at the end
  --hold                start everything, print URLs and credentials, wait for Ctrl-C (no load)
  --runtime <r>         built (default: node dist/…, run npm run build first) or tsx (the sources)
  --batch-sizes <list>  bulk cells: hubs per bulk request (default 100,1000; 0 skips them)
  --bulk-hubs <n>       hubs per bulk cell, each a new hub and Thing (default 20000)
  --bulk-concurrency <n> bulk requests in flight (default 4)
  --compare-runtimes    the services built and under tsx in one run: start-to-ready, then 60 s at
                        c=64 (REST and GraphQL taking turns) each, RSS and CPU per request (runtime.ts)
  --variants <list>     with --compare-runtimes: which runtime variants (default
                        tsx,built,arena2,arena2-semi8; also arena2-grow70, arena2-grow15:
                        see RUNTIME_VARIANTS)
  --smoke               seconds-long check that the bench works: every process, every cell (each
                        concurrency and surface, each bulk size) with tiny amounts (0.5 s measured,
                        0.25 s warm-up, 1,000 hubs per bulk cell; flags above still apply); exits
                        non-zero if a process does not start, a cell has no successful request, or
                        any request fails or stored events differ; no ratios or targets checked`;

const flags = benchFlags(HELP, {
  duration: { type: "string" },
  warmup: { type: "string" },
  slice: { type: "string" },
  concurrency: { type: "string" },
  surfaces: { type: "string" },
  rounds: { type: "string" },
  long: { type: "boolean", default: false },
  profile: { type: "boolean", default: false },
  heap: { type: "boolean", default: false },
  "baseline-mode": { type: "string", default: "tx" },
  "max-rate": { type: "string", default: "2500" },
  env: { type: "string", multiple: true, default: [] },
  "node-arg": { type: "string", multiple: true, default: [] },
  "database-url": { type: "string" },
  "keep-db": { type: "boolean", default: false },
  hold: { type: "boolean", default: false },
  runtime: { type: "string", default: "built" },
  "compare-runtimes": { type: "boolean", default: false },
  variants: { type: "string", default: "tsx,built,arena2,arena2-semi8" },
  "batch-sizes": { type: "string", default: "100,1000" },
  "bulk-hubs": { type: "string" },
  "bulk-concurrency": { type: "string", default: "4" },
});
const smoke = flags.smoke;
if (smoke && (flags.long || flags.hold || flags["compare-runtimes"])) {
  throw new Error("--smoke runs the default matrix: not with --long, --hold or --compare-runtimes");
}

const list = (value: string) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
const config = {
  duration: Number(flags.duration ?? (flags.long || flags["compare-runtimes"] ? 60 : smoke ? 0.5 : 10)),
  warmup: Number(flags.warmup ?? (smoke ? 0.25 : 3)),
  slice: Number(flags.slice ?? (flags.long ? 5 : smoke ? 0.5 : 2)),
  concurrency: list(flags.concurrency ?? (flags.long ? "64" : "1,16,64")).map(Number),
  surfaces: list(flags.surfaces ?? (flags.long ? "rest,graphql" : "rest,graphql,trpc")) as Surface[],
  rounds: Number(flags.rounds ?? 1),
  long: flags.long,
  profile: flags.profile,
  heap: flags.heap,
  baselineMode: flags["baseline-mode"] === "cte" ? "cte" : "tx",
  maxRate: Number(flags["max-rate"]),
  env: Object.fromEntries(
    flags.env.map((pair) => {
      const at = pair.indexOf("=");
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  ) as Record<string, string>,
  batchSizes: list(flags["batch-sizes"])
    .map(Number)
    .filter((n) => n > 0),
  bulkHubs: Number(flags["bulk-hubs"] ?? (smoke ? 1000 : 20_000)),
  bulkConcurrency: Number(flags["bulk-concurrency"]),
  serverUrl:
    flags["database-url"] ??
    process.env.BENCH_DATABASE_URL ??
    "postgresql://postgres@127.0.0.1:5432/postgres",
};
for (const surface of config.surfaces) {
  if (!surfaces.includes(surface) || surface === "baseline") throw new Error(`unknown surface ${surface}`);
}
const cellSurfaces: Surface[] = config.long ? config.surfaces : ["baseline", ...config.surfaces];

if (flags.runtime !== "built" && flags.runtime !== "tsx") throw new Error("--runtime is built or tsx");
/** How the services run: dist/*.js under node (built) or src/*.ts under tsx. */
const runtime = flags.runtime;

const SECRETS = {
  service: `bench-service-secret-${randomBytes(16).toString("hex")}`,
  gatewayJwt: `bench-gateway-jwt-secret-${randomBytes(16).toString("hex")}`,
  // hub-service requires its own key in production (it encrypts webhook signing secrets at rest).
  webhookKey: `bench-webhook-key-${randomBytes(16).toString("hex")}`,
};

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function gitRevision(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: repoRoot });
    return { commit, dirty: status.length > 0 };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: config.serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(config.serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** One surface at one concurrency in one round: its measured slices together. */
type Cell = {
  round: number;
  surface: Surface;
  /** Hubs per request of a bulk cell. */
  batch?: number;
  /** SQL statements hub-service sent per created hub (hub_db_statements_total). */
  statementsPerHub?: number;
  connections: number;
  slices: number;
  created: number;
  failed: number;
  socketErrors: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  statusCounts: Record<string, number>;
  sampleFailure?: string;
  /** CPU ms per successful request, per process, over the measured slices (whole process). */
  cpuPerRequest: Record<string, number>;
  /** Warm-up and measured requests together, checked against the rows stored after each run. */
  createdTotal: number;
  storedEvents: number;
  storedHubs: number;
  failedTotal: number;
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** Migrates a fresh bench database and issues the organization key the edge requests send. */
async function prepareBenchDatabase(url: string): Promise<string> {
  await migrateDeploy(url);
  const setup = await createDatabase({ url });
  const org = await createOrganization(setup.prisma, `Bench org ${randomUUID()}`, toolActor("bench"));
  const { key } = await issueApiKey(setup.prisma, {
    organizationId: org.id,
    name: "bench",
    permissions: ["hubs:provision"],
    now: new Date(),
    actor: toolActor("bench"),
  });
  await setup.close();
  return key;
}

/** The seed's samples send both a JWT and an API key: so does the bench. */
function edgeHeadersFor(apiKey: string): Record<string, string> {
  const token = jwt.sign({ role: "service" }, SECRETS.gatewayJwt, {
    algorithm: "HS256",
    issuer: "hub-platform-dev",
    audience: "hub-api",
    subject: "bench-line",
    expiresIn: "12h",
  });
  return { authorization: `Bearer ${token}`, "x-api-key": apiKey };
}

function hubServiceEnv(emulatorUrl: string, databaseUrl: string, port: number): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_IOT: emulatorUrl,
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    DATABASE_URL: databaseUrl,
    HUB_SERVICE_PORT: String(port),
    SERVICE_JWT_SECRET: SECRETS.service,
    WEBHOOK_SECRET_KEY: SECRETS.webhookKey,
    // The emulator has no quota: the client-side limit (300/s by default, under AWS's) would
    // bound every cell instead of the system.
    IOT_REGISTRY_RPS: "1000000",
    METRICS_TOKEN,
    ...config.env,
  };
}

/** hub-service's SQL statements so far (its /metrics counter). */
async function statementsSoFar(hubServiceUrl: string): Promise<number> {
  const response = await fetch(`${hubServiceUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await response.text();
  return Number(/^hub_db_statements_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

function gatewayEnv(hubServiceUrl: string, port: number): Record<string, string> {
  return {
    HUB_SERVICE_URL: hubServiceUrl,
    GATEWAY_PORT: String(port),
    SERVICE_JWT_SECRET: SECRETS.service,
    GATEWAY_JWT_SECRET: SECRETS.gatewayJwt,
    // The limiter still runs on every request; the bench just must not be throttled.
    RATE_LIMIT_POINTS: "1000000000",
    ...config.env,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const resultsDir = path.join(repoRoot, "bench/results");
  const runDir = path.join(resultsDir, `${stamp}${smoke ? "-smoke" : ""}-run`);
  await mkdir(runDir, { recursive: true });
  const processes: ServiceProcess[] = [];
  const dbName = `hub_bench_prov_${randomBytes(5).toString("hex")}`;
  let admin: pg.Client | undefined;
  let dbCreated = false;

  let stopping = false;
  const cleanup = async () => {
    await admin?.end().catch(() => undefined);
    for (const proc of [...processes].reverse()) await proc.stop();
    if (dbCreated && !flags["keep-db"]) await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  };
  process.once("SIGINT", () => {
    if (stopping) return;
    stopping = true;
    log("interrupted: stopping processes and dropping the database");
    cleanup().finally(() => process.exit(130));
  });

  try {
    // A fresh database, migrated with the standard CLI like the tests' template.
    await adminQuery(`CREATE DATABASE ${dbName}`);
    dbCreated = true;
    const url = databaseUrl(dbName);
    log(`database ${dbName}: migrating`);
    const apiKey = await prepareBenchDatabase(url);

    // Tables are truncated before every run, so the pool covers the longest single run.
    const poolSize = Math.max(
      Math.ceil((Math.max(config.warmup, config.slice) + 1) * config.maxRate),
      config.batchSizes.length > 0 ? config.bulkHubs + Math.max(...config.batchSizes) : 0,
    );
    log(`writing ${poolSize} Things for the registry emulator`);
    const emulatorDir = path.join(runDir, "iot-registry");
    await writeThingPool(emulatorDir, poolSize);

    const profileDir = (name: string) => path.join(runDir, "profiles", name);
    const profileArgs = (name: string) => [
      ...(config.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir(name)}`] : []),
      ...(config.heap ? [`--require=${path.join(repoRoot, "bench/lib/heap-preload.cjs")}`] : []),
      ...flags["node-arg"],
    ];
    const heapDir = (name: string) => path.join(runDir, "heap", name);
    const heapEnv = (name: string): Record<string, string> =>
      config.heap ? { BENCH_HEAP_DIR: heapDir(name) } : {};
    const production = { NODE_ENV: "production", LOG_LEVEL: "info" };
    const [emulatorPort, hubPort, gatewayPort, baselinePort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    log("starting registry emulator, hub-service, gateway and baseline");
    const emulator = await startService({
      name: "iot-registry-emulator",
      entry: appEntry("iot-registry-emulator", runtime),
      env: { ...production, IOT_EMULATOR_PORT: String(emulatorPort), IOT_EMULATOR_DATA_DIR: emulatorDir },
      port: emulatorPort,
      readyPath: "/__emulator/health",
      logDir: runDir,
    });
    processes.push(emulator);
    const hubService = await startService({
      name: "hub-service",
      entry: appEntry("hub-service", runtime),
      env: { ...production, ...hubServiceEnv(emulator.url, url, hubPort), ...heapEnv("hub-service") },
      port: hubPort,
      readyPath: "/readyz",
      logDir: runDir,
      nodeArgs: profileArgs("hub-service"),
    });
    processes.push(hubService);
    const gateway = await startService({
      name: "gateway",
      entry: appEntry("gateway", runtime),
      env: { ...production, ...gatewayEnv(hubService.url, gatewayPort), ...heapEnv("gateway") },
      port: gatewayPort,
      readyPath: "/readyz",
      logDir: runDir,
      nodeArgs: profileArgs("gateway"),
    });
    processes.push(gateway);
    const baseline = await startService({
      name: "baseline",
      entry: "bench/baseline-server.ts",
      env: {
        ...production,
        BASELINE_PORT: String(baselinePort),
        DATABASE_URL: url,
        AWS_ENDPOINT_URL_IOT: emulator.url,
        BASELINE_MODE: config.baselineMode,
      },
      port: baselinePort,
      readyPath: "/healthz",
      logDir: runDir,
    });
    processes.push(baseline);

    const edgeHeaders = edgeHeadersFor(apiKey);
    const targets: Record<Surface, Target> = {
      baseline: { surface: "baseline", url: baseline.url, headers: {} },
      rest: { surface: "rest", url: gateway.url, headers: edgeHeaders },
      graphql: { surface: "graphql", url: gateway.url, headers: edgeHeaders },
      trpc: {
        surface: "trpc",
        url: hubService.url,
        headers: { authorization: `Bearer ${mintServiceToken(SECRETS.service, "bench", 12 * 3600)}` },
      },
    };

    if (flags.hold) {
      const things = `${thingName(0)}..${thingName(poolSize - 1)}`;
      const pids = Object.fromEntries(processes.map((proc) => [proc.name, proc.child.pid]));
      process.stdout.write(
        `${JSON.stringify({ database: url, emulator: emulator.url, targets, pids, things, logs: runDir }, null, 2)}\n`,
      );
      await new Promise(() => undefined); // until SIGINT
    }
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const countRows = async () => {
      const { rows } = await admin!.query<{ events: string; hubs: string }>(
        "SELECT (SELECT count(*) FROM hub_events) AS events, (SELECT count(*) FROM hubs) AS hubs",
      );
      return { events: Number(rows[0]?.events), hubs: Number(rows[0]?.hubs) };
    };

    /** CPU ms so far of each PostgreSQL backend connected to the bench database, by pid. */
    const postgresCpuMs = async (): Promise<Map<number, number>> => {
      const { rows } = await admin!.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      const entries = await Promise.all(rows.map(async ({ pid }) => [pid, await processCpuMs(pid)] as const));
      return new Map(entries.filter((entry): entry is readonly [number, number] => entry[1] !== undefined));
    };

    const rssSamples: { at: number; label: string; rss: Record<string, number | undefined> }[] = [];
    const sampleRss = async (label: string) => {
      const rss: Record<string, number | undefined> = {};
      for (const proc of processes) rss[proc.name] = await proc.rssMb();
      rssSamples.push({ at: Math.round((Date.now() - startedAt.getTime()) / 1000), label, rss });
      return rss;
    };

    const cells: Cell[] = [];
    let runNumber = 0;
    /** One autocannon run from empty tables, then the stored rows counted against the 201s. */
    const run = async (surface: Surface, connections: number, amount: number, batch?: number) => {
      await admin!.query("TRUNCATE hub_events, hubs");
      let index = 0;
      const tag = `${++runNumber}-${randomBytes(3).toString("hex")}`;
      const nextHub = (): HubSpec => {
        const i = index++;
        return {
          hubId: randomUUID(),
          serial: `SN-${tag}-${i}`,
          model: "HUB-2",
          thingName: thingName(i),
          vendorName: "Acme",
        };
      };
      let capped = amount;
      if (capped * (batch ?? 1) > poolSize) {
        log(`  ${surface} c=${connections}: ${amount} requests wanted, ${poolSize} Things; raise --max-rate`);
        capped = Math.floor(poolSize / (batch ?? 1));
      }
      const target = batch ? { ...targets[surface], batch } : targets[surface];
      const statementsBefore = await statementsSoFar(hubService.url);
      const pgBefore = await postgresCpuMs();
      const before = await Promise.all(processes.map((proc) => proc.cpuMs()));
      const result = await runLoad({ target, connections, amount: capped, nextHub });
      const after = await Promise.all(processes.map((proc) => proc.cpuMs()));
      const pgAfter = await postgresCpuMs();
      const statements = (await statementsSoFar(hubService.url)) - statementsBefore;
      const cpuMs = Object.fromEntries(
        processes.map((proc, i) => [proc.name, (after[i] ?? 0) - (before[i] ?? 0)]),
      );
      // Backends that existed before and after the run (pooled connections do).
      cpuMs.postgres = [...pgAfter].reduce((sum, [pid, ms]) => sum + (ms - (pgBefore.get(pid) ?? ms)), 0);
      const stored = await countRows();
      return { result, stored, cpuMs, statements };
    };

    for (let round = 1; round <= config.rounds; round++) {
      for (const connections of config.concurrency) {
        const label = (surface: Surface) =>
          `${surface} c=${connections}${config.rounds > 1 ? ` round ${round}` : ""}`;
        const rate = new Map<Surface, number>();
        const acc = new Map<Surface, CellRuns>();
        const account = (
          surface: Surface,
          result: LoadResult,
          stored: { events: number; hubs: number },
          cpuMs: Record<string, number> | undefined,
          statements = 0,
        ) => {
          const entry = acc.get(surface) ?? {
            results: [],
            cpuMs: {},
            statements: 0,
            createdTotal: 0,
            stored: 0,
            hubs: 0,
            failedTotal: 0,
          };
          if (cpuMs) {
            entry.statements += statements;
            entry.results.push(result);
            for (const [name, ms] of Object.entries(cpuMs)) entry.cpuMs[name] = (entry.cpuMs[name] ?? 0) + ms;
          }
          entry.createdTotal += result.created;
          entry.stored += stored.events;
          entry.hubs += stored.hubs;
          entry.failedTotal += result.failed + result.socketErrors;
          acc.set(surface, entry);
        };
        // Warm-up: a short probe for the rate, then `warmup` seconds.
        for (const surface of cellSurfaces) {
          if (stopping) return;
          const probe = await run(surface, connections, Math.max(40, connections * 4));
          account(surface, probe.result, probe.stored, undefined);
          const warm = await run(
            surface,
            connections,
            Math.round(Math.max(probe.result.throughput, 1) * config.warmup),
          );
          account(surface, warm.result, warm.stored, undefined);
          rate.set(surface, warm.result.throughput);
        }
        // Measured: slices, surfaces taking turns (rotating who goes first).
        const slices = Math.max(1, Math.round(config.duration / config.slice));
        for (let slice = 0; slice < slices; slice++) {
          const order = cellSurfaces.map(
            (_, i) => cellSurfaces[(i + slice) % cellSurfaces.length] as Surface,
          );
          for (const surface of order) {
            if (stopping) return;
            const amount = Math.max(connections * 2, Math.round((rate.get(surface) ?? 1) * config.slice));
            const { result, stored, cpuMs, statements } = await run(surface, connections, amount);
            account(surface, result, stored, cpuMs, statements);
            rate.set(surface, result.throughput);
          }
          if (config.long)
            log(
              `    slice ${slice + 1}/${slices} rss ${JSON.stringify(await sampleRss(`c=${connections} slice ${slice + 1}`))}`,
            );
        }
        for (const surface of cellSurfaces) {
          const entry = acc.get(surface);
          if (!entry) continue;
          const cell = toCell(round, surface, connections, entry);
          cells.push(cell);
          logCell(label(surface), cell);
        }
      }
    }

    // Bulk cells: each surface's bulk call at each batch size, `bulkHubs` new hubs per cell.
    for (const batch of config.batchSizes) {
      for (const surface of config.surfaces) {
        if (stopping) return;
        const requests = Math.ceil(config.bulkHubs / batch);
        const connections = Math.min(config.bulkConcurrency, requests);
        const warm = await run(surface, connections, Math.min(requests, 2 * connections), batch);
        const measured = await run(surface, connections, requests, batch);
        const entry = {
          results: [measured.result],
          cpuMs: measured.cpuMs,
          statements: measured.statements,
          createdTotal: warm.result.created + measured.result.created,
          stored: warm.stored.events + measured.stored.events,
          hubs: warm.stored.hubs + measured.stored.hubs,
          failedTotal:
            warm.result.failed +
            warm.result.socketErrors +
            measured.result.failed +
            measured.result.socketErrors,
        };
        const cell = { ...toCell(1, surface, connections, entry), batch };
        cells.push(cell);
        logCell(`${surface}×${batch} c=${connections}`, cell);
      }
    }
    const rss = await sampleRss("end");
    if (config.heap) {
      for (const proc of [hubService, gateway]) await heapSnapshot(proc, heapDir(proc.name));
    }
    for (const proc of [...processes].reverse()) await proc.stop();
    processes.length = 0;

    const profiles: Record<string, ProfileSummary[]> = {};
    if (config.profile) {
      for (const name of ["hub-service", "gateway"]) {
        profiles[name] = await Promise.all(
          (await profilesIn(profileDir(name))).map((f) => summariseProfile(f)),
        );
      }
    }

    const heap: Record<string, { allocations: AllocationSummary[]; snapshots: SnapshotSummary[] }> = {};
    if (config.heap) {
      for (const name of ["hub-service", "gateway"]) {
        heap[name] = {
          allocations: await Promise.all(
            (await filesIn(heapDir(name), ".heapprofile")).map((f) => summariseAllocations(f)),
          ),
          snapshots: await Promise.all(
            (await filesIn(heapDir(name), ".heapsnapshot")).map((f) => summariseSnapshot(f)),
          ),
        };
      }
    }

    const report = buildReport(cells);
    const output = {
      startedAt: startedAt.toISOString(),
      git: gitRevision(),
      node: process.version,
      config: { ...config, serverUrl: undefined, thingPool: poolSize },
      summary: report.rows,
      rss,
      rssSamples,
      checks: report.checks,
      profiles,
      heap,
      cells,
      logs: runDir,
    };
    const jsonFile = path.join(resultsDir, `${stamp}${smoke ? "-smoke" : ""}.json`);
    await writeFile(jsonFile, `${JSON.stringify(output, null, 2)}\n`);

    process.stdout.write(`\n${report.table}\n\n`);
    process.stdout.write(
      `RSS at the end (MB): ${Object.entries(rss)
        .map(([name, mb]) => `${name} ${mb ?? "?"}`)
        .join(", ")}\n`,
    );
    process.stdout.write(
      "cpu …: CPU ms per successful request of each process (user+system, whole process, /proc); " +
        "cpu pg: the PostgreSQL backends connected to the bench database.\n",
    );
    process.stdout.write(`${report.checkLine}\n`);
    process.stdout.write(
      `Load average at the start ${loadAtStart} and at the end ${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(" ")} (1, 5, 15 min; ${os.cpus().length} cores)\n`,
    );
    for (const [name, summaries] of Object.entries(profiles)) {
      for (const summary of summaries) process.stdout.write(`\n${formatProfile(name, summary)}\n`);
    }
    // Hubs hub-service and the gateway served (the baseline's cells go to another process),
    // warm-ups included like the allocation profile.
    const served = cells
      .filter((cell) => cell.surface !== "baseline")
      .reduce((sum, cell) => sum + cell.createdTotal, 0);
    for (const [name, { allocations, snapshots }] of Object.entries(heap)) {
      for (const summary of allocations) {
        process.stdout.write(`\n${formatAllocations(name, summary, served)}\n`);
      }
      for (const summary of snapshots) process.stdout.write(`\n${formatSnapshot(name, summary)}\n`);
    }
    process.stdout.write(
      `\nJSON: ${path.relative(repoRoot, jsonFile)}   logs: ${path.relative(repoRoot, runDir)}\n`,
    );
    if (!report.ok) process.exitCode = 1;
    if (smoke) {
      const problems = smokeProblems(cells, report.checks);
      process.stdout.write(
        problems.length === 0
          ? `smoke: ok — ${cells.length} cells, every one with successful requests; no errors (no targets checked)\n`
          : `smoke: FAILED\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n`,
      );
      if (problems.length > 0) process.exitCode = 1;
    }
  } finally {
    if (!stopping) await cleanup();
  }
}

/**
 * What a smoke run fails on: a cell of the matrix that did not run or had no successful request,
 * any failed request (warm-ups included), or stored rows that differ from the successes.
 */
function smokeProblems(cells: readonly Cell[], checks: { mismatchedCells: number }): string[] {
  const problems: string[] = [];
  const expected = [
    ...config.concurrency.flatMap((connections) =>
      cellSurfaces.map((surface) => ({ surface, connections, batch: undefined as number | undefined })),
    ),
    ...config.batchSizes.flatMap((batch) =>
      config.surfaces.map((surface) => ({ surface, connections: undefined as number | undefined, batch })),
    ),
  ];
  for (const want of expected) {
    const name =
      want.batch === undefined ? `${want.surface} c=${want.connections}` : `${want.surface}×${want.batch}`;
    const mine = cells.filter(
      (cell) =>
        cell.surface === want.surface &&
        cell.batch === want.batch &&
        (want.connections === undefined || cell.connections === want.connections),
    );
    if (mine.length === 0) problems.push(`${name}: did not run`);
    else if (mine.every((cell) => cell.created === 0)) problems.push(`${name}: no successful request`);
  }
  for (const cell of cells) {
    if (cell.failedTotal > 0) {
      problems.push(
        `${cell.surface}${cell.batch ? `×${cell.batch}` : ""} c=${cell.connections}: ${cell.failedTotal} failed ` +
          `(statuses ${JSON.stringify(cell.statusCounts)}${cell.sampleFailure ? `; first: ${cell.sampleFailure}` : ""})`,
      );
    }
  }
  if (checks.mismatchedCells > 0) {
    problems.push(
      `stored events or hubs differ from the successful responses in ${checks.mismatchedCells} cell(s)`,
    );
  }
  return problems;
}

/** A cell's accumulated runs: the measured results and what they cost. */
type CellRuns = {
  results: LoadResult[];
  cpuMs: Record<string, number>;
  statements: number;
  createdTotal: number;
  stored: number;
  hubs: number;
  failedTotal: number;
};

function toCell(round: number, surface: Surface, connections: number, entry: CellRuns): Cell {
  const latencies = entry.results.flatMap((r) => r.latencies);
  const seconds = entry.results.reduce((sum, r) => sum + r.seconds, 0);
  const created = entry.results.reduce((sum, r) => sum + r.created, 0);
  const statusCounts: Record<string, number> = {};
  for (const r of entry.results) {
    for (const [status, count] of Object.entries(r.statusCounts))
      statusCounts[status] = (statusCounts[status] ?? 0) + count;
  }
  const sampleFailure = entry.results.find((r) => r.sampleFailure)?.sampleFailure;
  return {
    round,
    surface,
    connections,
    slices: entry.results.length,
    created,
    failed: entry.results.reduce((sum, r) => sum + r.failed, 0),
    socketErrors: entry.results.reduce((sum, r) => sum + r.socketErrors, 0),
    seconds,
    throughput: created / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    statusCounts,
    ...(sampleFailure !== undefined ? { sampleFailure } : {}),
    ...(surface !== "baseline" ? { statementsPerHub: entry.statements / created } : {}),
    cpuPerRequest: Object.fromEntries(
      Object.entries(entry.cpuMs).map(([name, ms]) => [name, Math.round((1000 * ms) / created) / 1000]),
    ),
    createdTotal: entry.createdTotal,
    storedEvents: entry.stored,
    storedHubs: entry.hubs,
    failedTotal: entry.failedTotal,
  };
}

function logCell(label: string, cell: Cell): void {
  log(
    `  ${label.padEnd(22)} ${cell.throughput.toFixed(0).padStart(6)} hubs/s  p50 ${cell.p50.toFixed(1)} ms  ` +
      `p99 ${cell.p99.toFixed(1)} ms  errors ${cell.failed + cell.socketErrors}  stored ${cell.storedEvents}/${cell.createdTotal}` +
      (cell.statementsPerHub !== undefined ? `  statements/hub ${cell.statementsPerHub.toFixed(3)}` : "") +
      (cell.sampleFailure ? `  first failure: ${cell.sampleFailure}` : ""),
  );
}

type Row = {
  surface: Surface;
  connections: number;
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
  throughputRatio?: number;
  p99Ratio?: number;
  /** SQL statements per created hub (hub-service). */
  statements?: number;
  /** CPU ms per request of each process (median over rounds). */
  cpu: Record<string, number>;
};

function buildReport(allCells: Cell[]) {
  const cells = allCells.filter((cell) => cell.batch === undefined);
  const rows: Row[] = [];
  const concurrencies = [...new Set(cells.map((cell) => cell.connections))];
  for (const connections of concurrencies) {
    const base = cells.filter((cell) => cell.surface === "baseline" && cell.connections === connections);
    const baseThroughput = base.length ? median(base.map((c) => c.throughput)) : undefined;
    const baseP99 = base.length ? median(base.map((c) => c.p99)) : undefined;
    for (const surface of cellSurfaces) {
      const mine = cells.filter((cell) => cell.surface === surface && cell.connections === connections);
      if (mine.length === 0) continue;
      const throughput = median(mine.map((c) => c.throughput));
      const p99 = median(mine.map((c) => c.p99));
      rows.push({
        surface,
        connections,
        throughput,
        p50: median(mine.map((c) => c.p50)),
        p99,
        errors: mine.reduce((sum, c) => sum + c.failed + c.socketErrors, 0),
        ...(surface !== "baseline" ? { statements: median(mine.map((c) => c.statementsPerHub ?? 0)) } : {}),
        cpu: Object.fromEntries(
          Object.keys(mine[0]?.cpuPerRequest ?? {}).map((name) => [
            name,
            median(mine.map((c) => c.cpuPerRequest[name] ?? 0)),
          ]),
        ),
        ...(baseThroughput ? { throughputRatio: throughput / baseThroughput } : {}),
        ...(baseP99 ? { p99Ratio: p99 / baseP99 } : {}),
      });
    }
  }
  const cpuColumns: [string, string][] = [
    ["gateway", "cpu gw"],
    ["hub-service", "cpu hub"],
    ["baseline", "cpu base"],
    ["iot-registry-emulator", "cpu emu"],
    ["postgres", "cpu pg"],
  ];
  const header = [
    "surface",
    "c",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "req/s ÷ base",
    "p99 ÷ base",
    "stmts/hub",
    ...cpuColumns.map(([, title]) => title),
  ];
  const body = rows.map((row) => [
    row.surface,
    String(row.connections),
    row.throughput.toFixed(0),
    row.p50.toFixed(1),
    row.p99.toFixed(1),
    String(row.errors),
    row.throughputRatio === undefined ? "-" : `${row.throughputRatio.toFixed(2)}×`,
    row.p99Ratio === undefined ? "-" : `${row.p99Ratio.toFixed(2)}×`,
    row.statements === undefined ? "-" : row.statements.toFixed(2),
    // Under 0.02 ms/request the process was not in this request's path.
    ...cpuColumns.map(([name]) => ((row.cpu[name] ?? 0) < 0.02 ? "-" : (row.cpu[name] ?? 0).toFixed(2))),
  ]);
  // Bulk cells: hubs/s against the baseline's best single-request req/s of this run.
  const bestBaseline = Math.max(0, ...rows.filter((r) => r.surface === "baseline").map((r) => r.throughput));
  const bulk = allCells.filter((cell) => cell.batch !== undefined);
  const bulkHeader = [
    "bulk surface",
    "hubs/request",
    "c",
    "hubs/s",
    "÷ best base",
    "p50 ms",
    "p99 ms",
    "errors",
    "stmts/hub",
    ...cpuColumns.map(([, title]) => `${title}/hub`),
  ];
  const bulkBody = bulk.map((cell) => [
    cell.surface,
    String(cell.batch),
    String(cell.connections),
    cell.throughput.toFixed(0),
    bestBaseline ? `${(cell.throughput / bestBaseline).toFixed(2)}×` : "-",
    cell.p50.toFixed(1),
    cell.p99.toFixed(1),
    String(cell.failed + cell.socketErrors),
    (cell.statementsPerHub ?? 0).toFixed(3),
    ...cpuColumns.map(([name]) => {
      const ms = cell.cpuPerRequest[name] ?? 0;
      return ms < 0.005 ? "-" : ms.toFixed(3);
    }),
  ]);
  const table = [
    markdownTable(header, body),
    ...(bulk.length ? ["", markdownTable(bulkHeader, bulkBody)] : []),
  ].join("\n");

  const created = allCells.reduce((sum, cell) => sum + cell.createdTotal, 0);
  const events = allCells.reduce((sum, cell) => sum + cell.storedEvents, 0);
  const mismatched = allCells.filter(
    (cell) => cell.storedEvents !== cell.createdTotal || cell.storedHubs !== cell.createdTotal,
  );
  const failed = allCells.reduce((sum, cell) => sum + cell.failedTotal, 0);
  const ok = mismatched.length === 0 && failed === 0;
  const checkLine =
    `Stored events ${events} vs successful provisionings received ${created} ` +
    `(${mismatched.length === 0 ? "match in every cell" : `MISMATCH in ${mismatched.length} cell(s)`}); ` +
    `failed responses (warm-up included): ${failed}`;
  return {
    rows,
    table,
    checks: { created, events, mismatchedCells: mismatched.length, failed, ok },
    checkLine,
    ok,
  };
}

function markdownTable(header: string[], body: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((line) => line[i]?.length ?? 0)),
  );
  const format = (line: string[]) =>
    `| ${line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  return [
    format(header),
    `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...body.map(format),
  ].join("\n");
}

/**
 * The services built (node dist/…), under tsx, and built with the production settings (glibc's
 * MALLOC_ARENA_MAX=2; and V8's smaller young generation for tight memory), in one run
 * on one database and emulator. Every variant's hub-service and gateway run side by side and take
 * turns in 2 s slices (REST and GraphQL alternating, c=64), so a host that gets busier during the
 * run weighs on all of them alike. Reported per variant: start to ready, RSS of each service after
 * its 60 s of load, CPU per successful request of each process over its own slices.
 */
const METRICS_TOKEN = `bench-metrics-${randomBytes(12).toString("hex")}`;

/**
 * Asks a process started with --heap for a heap snapshot (SIGUSR2, heap-preload.cjs) and waits
 * until the file is complete (the preload renames it when written).
 */
async function heapSnapshot(proc: ServiceProcess, dir: string): Promise<void> {
  const pid = proc.child.pid;
  if (pid === undefined) return;
  proc.child.kill("SIGUSR2");
  const file = path.join(dir, `${pid}.heapsnapshot`);
  for (const started = Date.now(); Date.now() - started < 120_000; ) {
    if (await stat(file).catch(() => undefined)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log(`${proc.name}: no heap snapshot after 120 s`);
}

/**
 * Runtime variants --compare-runtimes can put side by side (--variants picks them). The memory ones
 * are the settings measured for memory: glibc's arena count, V8's young generation (semi-space) and
 * how far V8 lets the old generation grow past its live size before the next full GC.
 */
const RUNTIME_VARIANTS: Record<
  string,
  { runtime: "tsx" | "built"; nodeArgs: readonly string[]; env: Record<string, string> }
> = {
  tsx: { runtime: "tsx", nodeArgs: [], env: {} },
  built: { runtime: "built", nodeArgs: [], env: {} },
  arena2: { runtime: "built", nodeArgs: [], env: { MALLOC_ARENA_MAX: "2" } },
  "arena2-semi8": { runtime: "built", nodeArgs: ["--max-semi-space-size=8"], env: { MALLOC_ARENA_MAX: "2" } },
  // The services set V8's heap growing factor themselves at start (HEAP_GROWING_PERCENT, default
  // 30), so it is varied through that variable: a node flag would be overridden.
  "arena2-grow70": {
    runtime: "built",
    nodeArgs: [],
    env: { MALLOC_ARENA_MAX: "2", HEAP_GROWING_PERCENT: "70" },
  },
  "arena2-grow15": {
    runtime: "built",
    nodeArgs: [],
    env: { MALLOC_ARENA_MAX: "2", HEAP_GROWING_PERCENT: "15" },
  },
};

async function compareRuntimes(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = path.join(repoRoot, "bench/results", `${stamp}-runtimes`);
  await mkdir(runDir, { recursive: true });
  const dbName = `hub_bench_rt_${randomBytes(5).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const url = databaseUrl(dbName);
  const processes: ServiceProcess[] = [];
  const admin = new pg.Client({ connectionString: url });
  try {
    const apiKey = await prepareBenchDatabase(url);
    await admin.connect();
    const seconds = config.duration;
    // Hub tables are truncated whenever the pool would run out (between slices).
    const poolSize = 100_000;
    log(`writing ${poolSize} Things for the registry emulator`);
    const emulatorDir = path.join(runDir, "iot-registry");
    await writeThingPool(emulatorDir, poolSize);
    const production = { NODE_ENV: "production", LOG_LEVEL: "info", METRICS_TOKEN };
    const emulatorPort = await freePort();
    const emulator = await startService({
      name: "iot-registry-emulator",
      entry: appEntry("iot-registry-emulator", "built"),
      env: { ...production, IOT_EMULATOR_PORT: String(emulatorPort), IOT_EMULATOR_DATA_DIR: emulatorDir },
      port: emulatorPort,
      readyPath: "/__emulator/health",
      logDir: runDir,
    });
    processes.push(emulator);
    const headers = edgeHeadersFor(apiKey);
    const variants = list(flags.variants).map((name) => {
      const variant = RUNTIME_VARIANTS[name];
      if (!variant)
        throw new Error(`unknown variant ${name}: one of ${Object.keys(RUNTIME_VARIANTS).join(", ")}`);
      return { name, ...variant };
    });
    type Stack = {
      variant: (typeof variants)[number];
      hubService: ServiceProcess;
      gateway: ServiceProcess;
      loadSeconds: number;
      cpu: { hub: number; gateway: number };
      /** RSS after every slice of this stack's load: one reading at the end depends on when the last GC ran. */
      rssSamples: { hub: number[]; gateway: number[] };
      done: { rest: number; graphql: number; failed: number; restSeconds: number; graphqlSeconds: number };
    };
    const stacks: Stack[] = [];
    for (const variant of variants) {
      const label = variant.name.replace(/\W+/g, "-");
      const [hubPort, gatewayPort] = [await freePort(), await freePort()];
      const hubService = await startService({
        name: `hub-service-${label}`,
        entry: appEntry("hub-service", variant.runtime),
        env: { ...production, ...hubServiceEnv(emulator.url, url, hubPort), ...variant.env },
        port: hubPort,
        readyPath: "/readyz",
        logDir: runDir,
        nodeArgs: variant.nodeArgs,
      });
      processes.push(hubService);
      const gateway = await startService({
        name: `gateway-${label}`,
        entry: appEntry("gateway", variant.runtime),
        env: { ...production, ...gatewayEnv(hubService.url, gatewayPort), ...variant.env },
        port: gatewayPort,
        readyPath: "/readyz",
        logDir: runDir,
        nodeArgs: variant.nodeArgs,
      });
      processes.push(gateway);
      log(
        `${variant.name}: ready in ${hubService.readyMs.toFixed(0)} ms (hub-service), ${gateway.readyMs.toFixed(0)} ms (gateway)`,
      );
      stacks.push({
        variant,
        hubService,
        gateway,
        loadSeconds: 0,
        cpu: { hub: 0, gateway: 0 },
        rssSamples: { hub: [], gateway: [] },
        done: { rest: 0, graphql: 0, failed: 0, restSeconds: 0, graphqlSeconds: 0 },
      });
    }

    let next = 0;
    let created = 0;
    let stored = 0;
    const nextHub = (): HubSpec => {
      const hubId = randomUUID();
      return {
        hubId,
        serial: `SN-${hubId}`,
        model: "HUB-2",
        thingName: thingName(next++),
        vendorName: "Acme",
      };
    };
    const slice = async (stack: Stack, surface: "rest" | "graphql", amount: number) => {
      if (next + amount > poolSize) {
        stored += Number(
          (await admin.query<{ n: string }>("SELECT count(*) AS n FROM hub_events")).rows[0]?.n,
        );
        await admin.query("TRUNCATE hub_events, hubs");
        next = 0;
      }
      const target: Target = { surface, url: stack.gateway.url, headers };
      return runLoad({ target, connections: 64, amount, nextHub });
    };
    log(`warming up, then ${seconds} s of load per variant in turns`);
    for (const stack of stacks) {
      for (const surface of ["rest", "graphql"] as const)
        created += (await slice(stack, surface, 1500)).created;
    }
    for (let turn = 0; stacks.some((stack) => stack.loadSeconds < seconds); turn++) {
      const surface = turn % 2 === 0 ? "rest" : "graphql";
      // The order rotates every turn: no variant always follows another's writes.
      for (const stack of [...stacks.slice(turn % stacks.length), ...stacks.slice(0, turn % stacks.length)]) {
        if (stack.loadSeconds >= seconds) continue;
        const before = { hub: await stack.hubService.cpuMs(), gateway: await stack.gateway.cpuMs() };
        const result = await slice(stack, surface, surface === "rest" ? 1600 : 1200);
        stack.cpu.hub += (await stack.hubService.cpuMs()) - before.hub;
        stack.cpu.gateway += (await stack.gateway.cpuMs()) - before.gateway;
        stack.rssSamples.hub.push((await stack.hubService.rssMb()) ?? Number.NaN);
        stack.rssSamples.gateway.push((await stack.gateway.rssMb()) ?? Number.NaN);
        stack.loadSeconds += result.seconds;
        stack.done[surface] += result.created;
        stack.done[`${surface}Seconds`] += result.seconds;
        stack.done.failed += result.failed + result.socketErrors;
        created += result.created;
      }
    }
    stored += Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM hub_events")).rows[0]?.n);
    const rows: string[] = [];
    for (const stack of stacks) {
      const requests = stack.done.rest + stack.done.graphql;
      const rss = { hub: await stack.hubService.rssMb(), gateway: await stack.gateway.rssMb() };
      for (const proc of [stack.hubService, stack.gateway]) {
        const text = await (
          await fetch(`${proc.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
        ).text();
        const mb = (name: string) =>
          (Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]) / 2 ** 20).toFixed(0);
        log(
          `${stack.variant.name} ${proc.name}: RSS ${mb("process_resident_memory_bytes")} MB = V8 heap ` +
            `${mb("nodejs_heap_size_total_bytes")} MB (used ${mb("nodejs_heap_size_used_bytes")}) + external ${mb("nodejs_external_memory_bytes")} MB + the rest; ` +
            [...text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/gm)]
              .map(([, space, bytes]) => `${space} ${(Number(bytes) / 2 ** 20).toFixed(0)}`)
              .join(", "),
        );
      }
      // Samples of the second half of the load: the heap has reached its steady size by then.
      const steady = (samples: number[]) => samples.slice(Math.floor(samples.length / 2));
      const mean = (samples: number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;
      const spread = (samples: number[]) =>
        `${mean(steady(samples)).toFixed(0)} (${Math.max(...steady(samples)).toFixed(0)})`;
      rows.push(
        `| ${stack.variant.name} | ${stack.hubService.readyMs.toFixed(0)} / ${stack.gateway.readyMs.toFixed(0)} | ` +
          `${rss.hub} / ${rss.gateway} | ${spread(stack.rssSamples.hub)} / ${spread(stack.rssSamples.gateway)} | ${(stack.cpu.hub / requests).toFixed(3)} / ${(stack.cpu.gateway / requests).toFixed(3)} | ` +
          `${(stack.done.rest / stack.done.restSeconds).toFixed(0)} / ${(stack.done.graphql / stack.done.graphqlSeconds).toFixed(0)} | ${stack.done.failed} |`,
      );
    }
    const table = [
      `runtimes: ${seconds} s of load at c=64 per variant (REST and GraphQL in 2 s turns, variants interleaved); ` +
        `201s ${created}, stored events ${stored}; load average ${os
          .loadavg()
          .map((n) => n.toFixed(2))
          .join(" ")}`,
      "| variant | start to ready ms (hub-service / gateway) | RSS MB after the load (hub-service / gateway) | RSS MB over the second half of the load, mean (max) (hub-service / gateway) | CPU ms per request (hub-service / gateway) | hubs/s REST / GraphQL | errors |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n");
    process.stdout.write(`${table}\n`);
    await writeFile(path.join(runDir, "runtimes.md"), `${table}\n`);
  } finally {
    await admin.end().catch(() => undefined);
    for (const proc of [...processes].reverse()) await proc.stop();
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

(flags["compare-runtimes"] ? compareRuntimes() : main()).catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
