/**
 * `npm run bench:delivery`: webhook delivery by apps/event-relay, end to end on PostgreSQL —
 * hubs provisioned through the gateway (REST bulk, an organization's API key), hub-service's
 * fan-out into `webhook_deliveries`, the relay claiming, POSTing and reporting, a Standard
 * Webhooks receiver in its own process verifying and timing every delivery. Cells: a steady
 * 500 events/s, a 20,000-event backlog drained by a relay started after it (time and peak RSS),
 * and bulk provisioning with vs. without the relay and a subscription (the ratio). Flags: `--help`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createHubServiceClient } from "@hub/hub-client";
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
import pg from "pg";
import { createOrganization, issueApiKey, toolActor } from "../apps/hub-service/src/api-keys/api-keys.ts";
import { createDatabase } from "../apps/hub-service/src/db/client.ts";
import { benchFlags } from "./lib/flags.ts";
import { type HubSpec, type LoadResult, percentile, runLoad } from "./lib/load.ts";
import { formatProfile, profilesIn, summariseProfile } from "./lib/profile.ts";
import { fixed, freshDatabase, loadAverage, log, mean } from "./lib/report.ts";
import { thingName, writeThingPool } from "./lib/things.ts";
import { type ReceiverStats, receiverClient } from "./lib/webhook-receiver.ts";

const HELP = `npm run bench:delivery -- [flags]
  --rounds <n>            repeat every cell n times (default 1); the ratio uses the means
  --cells <list>          steady,burst,provisioning (default all three, in that order)
  --quick                 a short run: 5 s steady, a 4,000-event burst, 4,000 hubs per provisioning cell
  --smoke                 seconds-long check that the bench works: every process and cell with tiny
                          amounts (2 s steady at 200/s in requests of 20, a 500-event burst, 500 hubs
                          per provisioning cell in requests of 100, 60 s drain timeout; flags below
                          still apply); exits non-zero if a process does not start, a cell created or
                          delivered nothing, or anything failed: a request, a delivery (all received,
                          none left pending or dead), a duplicate, an order violation, a signature, a
                          relay claim or report; no targets checked
  --rate <n>              steady cell: events per second (default 500)
  --seconds <s>           steady cell: seconds of load (default 20)
  --steady-batch <n>      steady cell: hubs per ProvisionHubs request (default 50, sent every batch/rate s)
  --burst <n>             burst cell: events created before the relay starts (default 20000)
  --bulk-hubs <n>         provisioning cells: hubs per cell (default 20000)
  --batch <n>             burst and provisioning cells: hubs per ProvisionHubs request (default 1000)
  --bulk-concurrency <n>  burst and provisioning cells: requests in flight (default 4)
  --drain-timeout <s>     longest wait for all deliveries of a cell (default 180)
  --relay-env KEY=VALUE   extra environment for the relay (repeatable), e.g. RELAY_CONCURRENCY=128
  --env KEY=VALUE         extra environment for hub-service and the gateway (repeatable)
  --profile               run the relay and hub-service with --cpu-prof and summarise self time
  --what-if-claim-plan    drop webhook_deliveries_subscription_status_id_idx in the bench database: without
                          planner statistics (this server runs with autovacuum off) the claim's NOT EXISTS
                          and the fan-out's EXISTS then use webhook_deliveries_pending_hub_idx instead of
                          walking every pending delivery per row (an experiment, not a fix; the report says so)
  --analyze               burst cell: ANALYZE webhook_deliveries once the backlog is written, before the
                          relay starts (statistics that know the backlog; an experiment as well)
  --runtime <r>           built (default: node dist/…, built by the npm script) or tsx (the sources)
  --database-url <url>    PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres)
  --keep-db               do not drop the bench database at the end`;

const flags = benchFlags(HELP, {
  rounds: { type: "string", default: "1" },
  cells: { type: "string", default: "steady,burst,provisioning" },
  quick: { type: "boolean", default: false },
  rate: { type: "string" },
  seconds: { type: "string" },
  "steady-batch": { type: "string" },
  burst: { type: "string" },
  "bulk-hubs": { type: "string" },
  batch: { type: "string" },
  "bulk-concurrency": { type: "string", default: "4" },
  "drain-timeout": { type: "string" },
  "relay-env": { type: "string", multiple: true, default: [] },
  env: { type: "string", multiple: true, default: [] },
  profile: { type: "boolean", default: false },
  analyze: { type: "boolean", default: false },
  "what-if-claim-plan": { type: "boolean", default: false },
  runtime: { type: "string", default: "built" },
  "database-url": { type: "string" },
  "keep-db": { type: "boolean", default: false },
});
if (flags.runtime !== "built" && flags.runtime !== "tsx") throw new Error("--runtime is built or tsx");
const smoke = flags.smoke;
if (smoke && flags.quick) throw new Error("--smoke and --quick: one or the other");

const pairs = (list: string[]): Record<string, string> =>
  Object.fromEntries(
    list.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
const config = {
  rounds: Math.max(1, Number(flags.rounds)),
  cells: new Set(flags.cells.split(",").map((cell) => cell.trim())),
  rate: Number(flags.rate ?? (smoke ? 200 : 500)),
  seconds: Number(flags.seconds ?? (smoke ? 2 : flags.quick ? 5 : 20)),
  steadyBatch: Number(flags["steady-batch"] ?? (smoke ? 20 : 50)),
  burst: Number(flags.burst ?? (smoke ? 500 : flags.quick ? 4000 : 20_000)),
  bulkHubs: Number(flags["bulk-hubs"] ?? (smoke ? 500 : flags.quick ? 4000 : 20_000)),
  batch: Number(flags.batch ?? (smoke ? 100 : 1000)),
  bulkConcurrency: Number(flags["bulk-concurrency"]),
  drainTimeoutMs: 1000 * Number(flags["drain-timeout"] ?? (smoke ? 60 : 180)),
  relayEnv: pairs(flags["relay-env"]),
  env: pairs(flags.env),
  profile: flags.profile,
  analyze: flags.analyze,
  whatIfClaimPlan: flags["what-if-claim-plan"],
  runtime: flags.runtime as "built" | "tsx",
  serverUrl:
    flags["database-url"] ??
    process.env.BENCH_DATABASE_URL ??
    "postgresql://postgres@127.0.0.1:5432/postgres",
};
const targets = { steadyP99Ms: 1000, burstSeconds: 60, relayRssMb: 150, provisioningRatio: 0.9 };

const secrets = {
  service: `bench-service-secret-${randomBytes(16).toString("hex")}`,
  gatewayJwt: `bench-gateway-jwt-secret-${randomBytes(16).toString("hex")}`,
  webhookKey: `bench-webhook-key-${randomBytes(16).toString("hex")}`,
  metrics: `bench-metrics-${randomBytes(12).toString("hex")}`,
};

/** Two organizations, each with a provisioning key: one will subscribe, the other never does. */
async function benchOrganizations(url: string) {
  const setup = await createDatabase({ url });
  try {
    const organization = async (label: string) => {
      const { id } = await createOrganization(
        setup.prisma,
        `Delivery bench ${label} ${randomUUID()}`,
        toolActor("bench"),
      );
      const issued = await issueApiKey(setup.prisma, {
        organizationId: id,
        name: `delivery-bench-${label}`,
        permissions: ["hubs:provision"],
        now: new Date(),
        actor: toolActor("bench"),
      });
      return { orgId: id, apiKey: issued.key };
    };
    return { subscribed: await organization("subscribed"), quiet: await organization("quiet") };
  } finally {
    await setup.close();
  }
}

/**
 * CPU ms spent from now until `stop()`, by process name: each bench process (from /proc), and
 * `postgres`, the backends on the bench database. Those are sampled every `everyMs`, since pooled
 * connections come and go (pg.Pool closes idle ones after 10 s): a backend first seen after the
 * start counts from zero; what one spends after its last sample is lost.
 */
async function measureCpu(procs: readonly ServiceProcess[], admin: pg.Client, everyMs = 250) {
  const startProcs = new Map(
    await Promise.all(procs.map(async (proc) => [proc, await proc.cpuMs()] as const)),
  );
  const firstSeen = new Map<number, number>();
  const lastSeen = new Map<number, number>();
  const sampleBackends = async (initial: boolean) => {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    for (const { pid } of rows) {
      const ms = await processCpuMs(pid);
      if (ms === undefined) continue;
      if (!firstSeen.has(pid)) firstSeen.set(pid, initial ? ms : 0);
      lastSeen.set(pid, ms);
    }
  };
  await sampleBackends(true);
  let running = true;
  const loop = (async () => {
    while (running) {
      await sleep(everyMs);
      await sampleBackends(false);
    }
  })();
  return {
    async stop(): Promise<Record<string, number>> {
      running = false;
      await loop;
      await sampleBackends(false);
      const spent: Record<string, number> = { postgres: 0 };
      for (const [proc, ms] of startProcs) {
        if (proc.child.exitCode === null) spent[proc.name.replace(/-\d+$/, "")] = (await proc.cpuMs()) - ms;
      }
      for (const [pid, ms] of lastSeen)
        spent.postgres = (spent.postgres ?? 0) + ms - (firstSeen.get(pid) ?? ms);
      return spent;
    },
  };
}

/** Counts gained between two snapshots (zero entries left out). */
function gained(from: Record<string, number>, to: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(to)
      .map(([key, n]) => [key, n - (from[key] ?? 0)] as const)
      .filter(([, n]) => n !== 0),
  );
}

/** The process' RSS every `everyMs` until stopped; the peak seen, and the kernel's high-water mark. */
function sampleRss(proc: ServiceProcess | undefined, everyMs = 100) {
  let peak = 0;
  let running = proc !== undefined;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, (await proc?.rssMb()) ?? 0);
      await sleep(everyMs);
    }
  })();
  return {
    async stop(): Promise<{ peakMb: number; highWaterMb: number | undefined }> {
      running = false;
      await loop;
      const status = proc?.child.pid
        ? await readFile(`/proc/${proc.child.pid}/status`, "utf8").catch(() => "")
        : "";
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return { peakMb: peak, highWaterMb: kb === undefined ? undefined : Math.round(Number(kb) / 1024) };
    },
  };
}

type DeliveryCell = {
  round: number;
  cell: "steady" | "burst";
  generator: string;
  /** Events created (one new hub each, so one delivery each). */
  events: number;
  generatorFailures: number;
  generatorSeconds: number;
  /** Steady: ProvisionHubs requests sent more than one interval late (the generator fell behind). */
  lateRequests?: number;
  /** Burst: from the last response to every delivery row written by hub-service's fan-out. */
  fanOutSeconds?: number;
  /** Burst: relay spawn → ready. */
  relayStartSeconds?: number;
  /** Steady: first request → last receipt. Burst: relay spawn → last receipt. */
  toAllSeconds: number;
  complete: boolean;
  stats: Omit<ReceiverStats, "lags">;
  lagMs: { p50: number; p99: number; max: number };
  cpuPerEvent: Record<string, number>;
  relayRss: { peakMb: number; highWaterMb: number | undefined };
  loadAverage: { start: string; end: string };
  /** hub-service's counters gained during the cell (DescribeThing outcomes, relay.claim/report calls). */
  hub?: Record<string, number>;
  /** p50 and p99, ms: commit → delivery row, delivery row → first attempt. */
  breakdown?: { fanOutMs: number[]; toFirstAttemptMs: number[] };
  /** relay.claim / relay.report calls that failed during the cell (the relay logs each). */
  relayFailures?: { claim: number; report: number };
};

type ProvisioningCell = {
  round: number;
  variant: "with relay" | "without relay";
  hubs: number;
  failed: number;
  throughput: number;
  p50: number;
  p99: number;
  cpuPerHub: Record<string, number>;
  /** With the relay: last response → every delivery received. */
  drainSeconds?: number;
  /** With the relay: its CPU ms per delivery over the load and the drain. */
  relayCpuPerDelivery?: number;
  delivered: number;
  loadAverage: { start: string; end: string };
  /** hub-service's counters gained during the load (and the drain, with the relay). */
  hub: Record<string, number>;
  relayFailures: { claim: number; report: number };
};

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const resultsDir = path.join(repoRoot, "bench/results");
  const runDir = path.join(resultsDir, `${stamp}-delivery${smoke ? "-smoke" : ""}`);
  await mkdir(runDir, { recursive: true });
  const processes: ServiceProcess[] = [];
  let admin: pg.Client | undefined;
  let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  let interrupted = false;
  /** Processes newest first (the relay before hub-service), then the admin connection and the database. */
  const cleanup = async () => {
    while (processes.length > 0) await processes.pop()?.stop();
    await admin?.end().catch(() => undefined);
    if (database && !flags["keep-db"]) await database.drop();
  };
  process.once("SIGINT", () => {
    interrupted = true;
    log("SIGINT: the bench stops its processes and drops its database");
    void cleanup().finally(() => process.exit(130));
  });

  try {
    database = await freshDatabase(config.serverUrl, "dlv");
    log(`database ${database.label}: migrating`);
    await migrateDeploy(database.url);
    const orgs = await benchOrganizations(database.url);
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const db = admin;
    if (config.whatIfClaimPlan) {
      await db.query("DROP INDEX webhook_deliveries_subscription_status_id_idx");
      log(
        "what-if: dropped webhook_deliveries_subscription_status_id_idx (the claim's O(pending²) plan uses it)",
      );
    }

    // Every cell empties `hubs` first (the events, deliveries and the log stay), so one pool of
    // Things serves all cells.
    const poolSize =
      Math.max(config.burst, config.bulkHubs, Math.ceil(config.rate * config.seconds)) + config.batch;
    log(`writing ${poolSize} Things for the registry emulator`);
    const emulatorDir = path.join(runDir, "iot-registry");
    await writeThingPool(emulatorDir, poolSize);

    const entry = (app: string) => appEntry(app, config.runtime);
    const profiling = (name: string) =>
      config.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.join(runDir, "profiles", name)}`] : [];
    const production = { NODE_ENV: "production", LOG_LEVEL: "info" };
    // hub-service and the relay refuse loopback webhook URLs in production (the receiver is on
    // 127.0.0.1); in both, NODE_ENV decides only that, the WEBHOOK_SECRET_KEY requirement and
    // /metrics exposure, so they run as "development" with production's key and log level.
    const loopbackWebhooks = {
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    };
    const ports = {
      emulator: await freePort(),
      hub: await freePort(),
      gateway: await freePort(),
      receiver: await freePort(),
    };

    /** Starts one process of the system (entry: a built or source file) and keeps it for the cleanup. */
    const launch = async (
      name: string,
      file: string,
      port: number,
      readyPath: string,
      env: Record<string, string>,
      nodeArgs: readonly string[] = [],
    ): Promise<ServiceProcess> => {
      const started = await startService({
        name,
        entry: file,
        env,
        port,
        readyPath,
        logDir: runDir,
        nodeArgs,
      });
      processes.push(started);
      return started;
    };
    const local = (port: number) => `http://127.0.0.1:${port}`;
    log("starting the registry emulator, hub-service and the gateway");
    await launch(
      "iot-registry-emulator",
      entry("iot-registry-emulator"),
      ports.emulator,
      "/__emulator/health",
      {
        ...production,
        IOT_EMULATOR_DATA_DIR: emulatorDir,
        IOT_EMULATOR_PORT: String(ports.emulator),
      },
    );
    const hubService = await launch(
      "hub-service",
      entry("hub-service"),
      ports.hub,
      "/readyz",
      {
        ...loopbackWebhooks,
        HUB_SERVICE_PORT: String(ports.hub),
        DATABASE_URL: database.url,
        SERVICE_JWT_SECRET: secrets.service,
        WEBHOOK_SECRET_KEY: secrets.webhookKey,
        METRICS_TOKEN: secrets.metrics,
        AWS_ENDPOINT_URL_IOT: local(ports.emulator),
        AWS_ACCESS_KEY_ID: "delivery-bench",
        AWS_SECRET_ACCESS_KEY: "delivery-bench",
        // No quota in the emulator: the client-side limit (300/s) would bound every cell instead.
        IOT_REGISTRY_RPS: "1000000",
        // On a busy 2-core host a starved emulator misses the 1 s per-attempt default, five misses
        // open the breaker and every provisioning fails for 10 s: this bench measures delivery,
        // so the registry gets room (both provisioning variants alike; --env overrides).
        IOT_ATTEMPT_TIMEOUT_MS: "4000",
        IOT_DEADLINE_MS: "8000",
        ...config.env,
      },
      profiling("hub-service"),
    );
    const gateway = await launch("gateway", entry("gateway"), ports.gateway, "/readyz", {
      ...production,
      GATEWAY_PORT: String(ports.gateway),
      GATEWAY_JWT_SECRET: secrets.gatewayJwt,
      SERVICE_JWT_SECRET: secrets.service,
      HUB_SERVICE_URL: hubService.url,
      // Never throttled: the limiter still runs on every request.
      RATE_LIMIT_POINTS: "1000000000",
      ...config.env,
    });

    // The subscription (tRPC webhooks.create as an admin), then its receiver with the secret.
    const hubClient = createHubServiceClient({
      url: hubService.url,
      serviceToken: mintServiceToken(secrets.service, "bench"),
    });
    const requestId = `bench-delivery-${randomUUID()}`;
    const { subscription, secret } = await hubClient.webhooks.create.mutate({
      caller: {
        principal: { kind: "admin", id: "bench", permissions: [] },
        requestId,
        correlationId: requestId,
        source: "trpc",
      },
      orgId: orgs.subscribed.orgId,
      url: `http://127.0.0.1:${ports.receiver}/hook`,
    });
    log(`subscription ${subscription.id} for organization ${orgs.subscribed.orgId}`);
    const receiverProcess = await launch(
      "webhook-receiver",
      "bench/lib/webhook-receiver.ts",
      ports.receiver,
      "/healthz",
      {
        RECEIVER_PORT: String(ports.receiver),
        RECEIVER_SECRET: secret,
      },
    );
    const receiver = receiverClient(receiverProcess.url);

    let relay: ServiceProcess | undefined;
    let relays = 0;
    const startRelay = async (): Promise<ServiceProcess> => {
      const port = await freePort();
      relay = await launch(
        `event-relay-${++relays}`,
        entry("event-relay"),
        port,
        "/readyz",
        {
          ...loopbackWebhooks,
          RELAY_PORT: String(port),
          HUB_SERVICE_URL: hubService.url,
          SERVICE_JWT_SECRET: secrets.service,
          SERVICE_ID: "event-relay",
          RELAY_STATS_INTERVAL_MS: "10000",
          ...config.relayEnv,
        },
        profiling("event-relay"),
      );
      return relay;
    };
    const stopRelay = async () => {
      if (!relay) return;
      const stopping = relay;
      relay = undefined;
      await stopping.stop();
      processes.splice(processes.indexOf(stopping), 1);
    };
    const measure = () => measureCpu(processes, db);

    /**
     * hub-service's counters so far: DescribeThing lookups by outcome ("DescribeThing exists", …
     * unavailable, rejected, deadline) and the relay's calls ("relay.claim count", "relay.claim sum"
     * in seconds, the same for relay.report), from its /metrics.
     */
    const hubCounters = async (): Promise<Record<string, number>> => {
      const text = await fetch(`${hubService.url}/metrics`, {
        headers: { authorization: `Bearer ${secrets.metrics}` },
      }).then((response) => response.text());
      const counts: Record<string, number> = {};
      const add = (key: string, n: string | undefined) => {
        counts[key] = (counts[key] ?? 0) + Number(n);
      };
      for (const [, outcome, n] of text.matchAll(
        /^hub_iot_registry_call_duration_seconds_count\{[^}]*operation="DescribeThing"[^}]*outcome="([^"]+)"[^}]*\} (\S+)$/gm,
      ))
        add(`DescribeThing ${outcome}`, n);
      for (const [, kind, procedure, n] of text.matchAll(
        /^hub_trpc_call_duration_seconds_(count|sum)\{[^}]*procedure="(relay\.claim|relay\.report)"[^}]*\} (\S+)$/gm,
      ))
        add(`${procedure} ${kind}`, n);
      return counts;
    };

    /**
     * Where a cell's lag went, from the rows (one clock: PostgreSQL's and the relay's on this host):
     * commit → delivery row (hub-service's fan-out) and delivery row → first attempt (the relay's
     * claim), percentiles over the cell's deliveries (ids above `afterId`).
     */
    const lagBreakdown = async (afterId: string) => {
      const { rows } = await db.query<{ fan_out: number[] | null; to_attempt: number[] | null }>(
        `SELECT percentile_disc(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM d.created_at - e.recorded_at) * 1000) AS fan_out,
                percentile_disc(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM a.attempted_at - d.created_at) * 1000) AS to_attempt
         FROM webhook_deliveries d
         JOIN hub_events e ON e.stream_id = d.hub_id AND e.version = d.version
         LEFT JOIN webhook_delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1
         WHERE d.id > $1::int8`,
        [afterId],
      );
      const [fanOut, toAttempt] = [rows[0]?.fan_out ?? [], rows[0]?.to_attempt ?? []].map((ms) =>
        ms.map(Number),
      );
      return { fanOutMs: fanOut ?? [], toFirstAttemptMs: toAttempt ?? [] };
    };
    const lastDeliveryId = async () =>
      (await db.query<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM webhook_deliveries"))
        .rows[0]?.id ?? "0";

    /** Failed claim and report calls logged by every relay so far (each is a 1 s pause of its loop). */
    const relayFailures = async () => {
      const counts = { claim: 0, report: 0 };
      for (const file of (await readdir(runDir)).filter((name) => /^event-relay-\d+\.log$/.test(name))) {
        const text = await readFile(path.join(runDir, file), "utf8");
        counts.claim += text.split("could not claim webhook deliveries").length - 1;
        counts.report += text.split("could not report deliveries").length - 1;
      }
      return counts;
    };

    const failuresSince = async (before: { claim: number; report: number }) => {
      const now = await relayFailures();
      return { claim: now.claim - before.claim, report: now.report - before.report };
    };

    /** A new hub per call; `hubs` is emptied first so the Thing pool starts over. */
    let cellNumber = 0;
    let retired = 0;
    const hubsForCell = async (): Promise<() => HubSpec> => {
      // An earlier cell that timed out left deliveries pending: retired (dead letters, reason
      // given), so each cell drains only its own events.
      const { rowCount } = await db.query(
        `UPDATE webhook_deliveries SET status = 'dead', dead_at = now(), lease_owner = NULL, lease_until = NULL,
                last_error = 'bench: retired, left undelivered by an earlier cell'
         WHERE status = 'pending'`,
      );
      if (rowCount) {
        retired += rowCount;
        log(`  retired ${rowCount} deliveries an earlier cell left pending`);
        await sleep(1000); // any still in flight land before the receiver's reset
      }
      await db.query("TRUNCATE hubs");
      const tag = `${++cellNumber}-${randomBytes(3).toString("hex")}`;
      let index = 0;
      return () => {
        const n = index++;
        if (n >= poolSize) throw new Error(`the Thing pool (${poolSize}) is exhausted`);
        return {
          hubId: randomUUID(),
          serial: `DLV-${tag}-${n}`,
          model: "HUB-2",
          thingName: thingName(n),
          vendorName: "Acme",
        };
      };
    };

    /** Until the receiver has `expected` unique deliveries of this cell, or the timeout. */
    const receivedAll = async (expected: number): Promise<boolean> => {
      const deadline = performance.now() + config.drainTimeoutMs;
      while (performance.now() < deadline && !interrupted) {
        if ((await receiver.count()).received >= expected) return true;
        await sleep(100);
      }
      return false;
    };

    /** Bulk provisioning through the gateway as bench:provision's bulk cell sends it (autocannon, REST). */
    const bulkLoad = (apiKey: string, hubs: number, nextHub: () => HubSpec): Promise<LoadResult> =>
      runLoad({
        target: { surface: "rest", url: gateway.url, headers: { "x-api-key": apiKey }, batch: config.batch },
        connections: config.bulkConcurrency,
        amount: Math.ceil(hubs / config.batch),
        nextHub,
      });

    const summarise = (
      base: Pick<
        DeliveryCell,
        "round" | "cell" | "generator" | "events" | "generatorFailures" | "generatorSeconds"
      >,
      stats: ReceiverStats,
      spent: Record<string, number>,
      extra: Partial<DeliveryCell> &
        Pick<DeliveryCell, "toAllSeconds" | "complete" | "relayRss" | "loadAverage">,
    ): DeliveryCell => {
      const { lags, ...counters } = stats;
      const perEvent = counters.received || Number.NaN; // nothing delivered: no per-event figure
      return {
        ...base,
        ...extra,
        stats: counters,
        lagMs: { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: percentile(lags, 1) },
        cpuPerEvent: Object.fromEntries(Object.entries(spent).map(([name, ms]) => [name, ms / perEvent])),
      };
    };

    /** Cell 1: `rate` events/s for `seconds` s (ProvisionHubs of `steadyBatch` hubs on a fixed schedule). */
    const steadyCell = async (round: number): Promise<DeliveryCell> => {
      const active = relay ?? (await startRelay());
      const nextHub = await hubsForCell();
      await receiver.reset();
      const requests = Math.round((config.rate * config.seconds) / config.steadyBatch);
      const intervalMs = (1000 * config.steadyBatch) / config.rate;
      const loadStart = loadAverage();
      const countersBefore = await hubCounters();
      const [firstId, failuresBefore] = [await lastDeliveryId(), await relayFailures()];
      const cpu = await measure();
      const rss = sampleRss(active);
      let created = 0;
      let failed = 0;
      let late = 0;
      let sampleFailure: string | undefined;
      const inFlight = new Set<Promise<void>>();
      const send = async (hubs: HubSpec[]) => {
        try {
          const response = await fetch(`${gateway.url}/hubs/ProvisionHubs`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-api-key": orgs.subscribed.apiKey },
            body: JSON.stringify({ hubs }),
            signal: AbortSignal.timeout(30_000),
          });
          const text = await response.text();
          const made = response.status === 200 ? Number(JSON.parse(text).summary?.created ?? 0) : 0;
          created += made;
          failed += hubs.length - made;
          if (made < hubs.length) sampleFailure ??= `${response.status} ${text.slice(0, 300)}`;
        } catch (error) {
          failed += hubs.length;
          sampleFailure ??= String(error);
        }
      };
      log(`  steady: ${requests} × ${config.steadyBatch} hubs every ${intervalMs.toFixed(0)} ms`);
      const t0 = performance.now();
      for (let i = 0; i < requests && !interrupted; i++) {
        const wait = t0 + i * intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -intervalMs) late++;
        // Bounded: a stalled gateway cannot pile up requests without end.
        while (inFlight.size >= 32) await Promise.race(inFlight);
        const sending: Promise<void> = send(Array.from({ length: config.steadyBatch }, nextHub)).finally(() =>
          inFlight.delete(sending),
        );
        inFlight.add(sending);
      }
      await Promise.all(inFlight);
      const generatorSeconds = (performance.now() - t0) / 1000;
      const startEpoch = Date.now() - (performance.now() - t0);
      if (sampleFailure) log(`  steady: first failure ${sampleFailure.slice(0, 200)}`);
      const complete = await receivedAll(created);
      const spent = await cpu.stop();
      const stats = await receiver.stats();
      return summarise(
        {
          round,
          cell: "steady",
          generator: `REST ProvisionHubs ×${config.steadyBatch} every ${intervalMs.toFixed(0)} ms`,
          events: created,
          generatorFailures: failed,
          generatorSeconds,
        },
        stats,
        spent,
        {
          hub: gained(countersBefore, await hubCounters()),
          breakdown: await lagBreakdown(firstId),
          relayFailures: await failuresSince(failuresBefore),
          lateRequests: late,
          toAllSeconds: stats.lastAt ? (stats.lastAt - startEpoch) / 1000 : Number.NaN,
          complete,
          relayRss: await rss.stop(),
          loadAverage: { start: loadStart, end: loadAverage() },
        },
      );
    };

    /** Cells 2 and 3: `burst` events with no relay running, then a fresh relay drains them. */
    const burstCell = async (round: number): Promise<DeliveryCell> => {
      await stopRelay();
      const nextHub = await hubsForCell();
      await receiver.reset();
      const loadStart = loadAverage();
      const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM webhook_deliveries");
      const deliveriesBefore = Number(rows[0]?.n);
      const countersBefore = await hubCounters();
      const [firstId, failuresBefore] = [await lastDeliveryId(), await relayFailures()];
      log(
        `  burst: ${config.burst} hubs in requests of ${config.batch}, ${config.bulkConcurrency} in flight, no relay`,
      );
      const load = await bulkLoad(orgs.subscribed.apiKey, config.burst, nextHub);
      if (load.sampleFailure) log(`  burst: first failure ${load.sampleFailure.slice(0, 200)}`);
      // The backlog is complete once the fan-out has written a delivery for every event.
      const fanOutFrom = performance.now();
      for (
        const deadline = fanOutFrom + config.drainTimeoutMs;
        performance.now() < deadline && !interrupted;
      ) {
        const { rows: now } = await db.query<{ n: string }>("SELECT count(*) AS n FROM webhook_deliveries");
        if (Number(now[0]?.n) - deliveriesBefore >= load.created) break;
        await sleep(50);
      }
      const fanOutSeconds = (performance.now() - fanOutFrom) / 1000;
      if (config.analyze) await db.query("ANALYZE webhook_deliveries");
      const spawnedEpoch = Date.now();
      const spawned = performance.now();
      const active = await startRelay();
      const relayStartSeconds = (performance.now() - spawned) / 1000;
      const cpu = await measure();
      const rss = sampleRss(active);
      log(`  burst: relay ready in ${relayStartSeconds.toFixed(2)} s; draining ${load.created} deliveries`);
      const complete = await receivedAll(load.created);
      const spent = await cpu.stop();
      const stats = await receiver.stats();
      return summarise(
        {
          round,
          cell: "burst",
          generator: `REST ProvisionHubs ×${config.batch}, ${config.bulkConcurrency} in flight (${load.throughput.toFixed(0)} hubs/s)`,
          events: load.created,
          generatorFailures: load.failed + load.socketErrors,
          generatorSeconds: load.seconds,
        },
        stats,
        spent,
        {
          hub: gained(countersBefore, await hubCounters()),
          breakdown: await lagBreakdown(firstId),
          relayFailures: await failuresSince(failuresBefore),
          fanOutSeconds,
          relayStartSeconds,
          toAllSeconds: stats.lastAt ? (stats.lastAt - spawnedEpoch) / 1000 : Number.NaN,
          complete,
          relayRss: await rss.stop(),
          loadAverage: { start: loadStart, end: loadAverage() },
        },
      );
    };

    /** Cell 4: bulk provisioning with a subscription and the relay running, or neither. */
    const provisioningCell = async (round: number, withRelay: boolean): Promise<ProvisioningCell> => {
      if (withRelay && !relay) await startRelay();
      if (!withRelay) await stopRelay();
      const nextHub = await hubsForCell();
      await receiver.reset();
      const loadStart = loadAverage();
      const countersBefore = await hubCounters();
      const failuresBefore = await relayFailures();
      const cpu = await measure();
      const relayCpuAtStart = await relay?.cpuMs();
      const load = await bulkLoad(
        withRelay ? orgs.subscribed.apiKey : orgs.quiet.apiKey,
        config.bulkHubs,
        nextHub,
      );
      const spent = await cpu.stop();
      const loadEnded = Date.now();
      if (load.sampleFailure) log(`  provisioning: first failure ${load.sampleFailure.slice(0, 200)}`);
      let drainSeconds: number | undefined;
      if (withRelay) {
        await receivedAll(load.created);
        const { lastAt } = await receiver.stats();
        drainSeconds = lastAt ? Math.max(0, lastAt - loadEnded) / 1000 : Number.NaN;
      } else await sleep(500); // nothing may arrive: the organization has no subscription
      const { received } = await receiver.count();
      const hub = gained(countersBefore, await hubCounters());
      const relayCpu =
        relay && relayCpuAtStart !== undefined ? (await relay.cpuMs()) - relayCpuAtStart : undefined;
      return {
        round,
        variant: withRelay ? "with relay" : "without relay",
        ...(relayCpu !== undefined && received > 0 ? { relayCpuPerDelivery: relayCpu / received } : {}),
        hubs: load.created,
        failed: load.failed + load.socketErrors,
        throughput: load.throughput,
        p50: percentile(load.latencies, 0.5),
        p99: percentile(load.latencies, 0.99),
        cpuPerHub: Object.fromEntries(
          Object.entries(spent).map(([name, ms]) => [name, ms / Math.max(1, load.created)]),
        ),
        ...(drainSeconds !== undefined ? { drainSeconds } : {}),
        delivered: received,
        loadAverage: { start: loadStart, end: loadAverage() },
        hub,
        relayFailures: await failuresSince(failuresBefore),
      };
    };

    const deliveryCells: DeliveryCell[] = [];
    const provisioningCells: ProvisioningCell[] = [];
    for (let round = 1; round <= config.rounds && !interrupted; round++) {
      log(`round ${round}/${config.rounds}`);
      if (config.cells.has("steady") && !interrupted) {
        const steady = await steadyCell(round);
        deliveryCells.push(steady);
        logDeliveryCell(steady);
      }
      if (config.cells.has("burst") && !interrupted) {
        const burst = await burstCell(round);
        deliveryCells.push(burst);
        logDeliveryCell(burst);
      }
      // ABBA, so drift over the round weighs on both variants alike; the relay from the burst runs on.
      for (const withRelay of config.cells.has("provisioning") ? [true, false, false, true] : []) {
        if (interrupted) break;
        const cell = await provisioningCell(round, withRelay);
        provisioningCells.push(cell);
        log(
          `  provisioning ${cell.variant}: ${cell.throughput.toFixed(0)} hubs/s, p99 ${cell.p99.toFixed(0)} ms, ` +
            `errors ${cell.failed}, delivered ${cell.delivered}${cell.drainSeconds !== undefined ? ` (${cell.drainSeconds.toFixed(1)} s after the load)` : ""}, ` +
            `hub-service ${JSON.stringify(cell.hub)}`,
        );
      }
    }
    await sleep(1000); // a late re-delivery would show up as a duplicate
    const final = await receiver.stats();
    const { rows: outcomes } = await db.query<{ status: string; n: string; retried: string }>(
      "SELECT status, count(*) AS n, count(*) FILTER (WHERE attempts > 1) AS retried FROM webhook_deliveries GROUP BY status ORDER BY status",
    );
    const rss = Object.fromEntries(
      await Promise.all(processes.map(async (p) => [p.name, await p.rssMb()] as const)),
    );
    // Stopped before the profiles are read: a process writes its CPU profile on exit.
    while (processes.length > 0) await processes.pop()?.stop();

    const profiles: string[] = [];
    for (const name of config.profile ? ["event-relay", "hub-service"] : []) {
      for (const file of await profilesIn(path.join(runDir, "profiles", name)))
        profiles.push(formatProfile(name, await summariseProfile(file)));
    }

    const report = renderReport(deliveryCells, provisioningCells);
    const checks = {
      retired,
      receivedTotal: final.totalReceived,
      duplicatesTotal: final.totalDuplicates,
      deliveries: outcomes.map((row) => ({
        status: row.status,
        count: Number(row.n),
        retried: Number(row.retried),
      })),
    };
    const checkLine =
      `Receiver: ${checks.receivedTotal} unique deliveries, ${checks.duplicatesTotal} duplicates over the run; ` +
      `webhook_deliveries: ${checks.deliveries.map((d) => `${d.status} ${d.count} (retried ${d.retried})`).join(", ")}` +
      (retired
        ? ` (${retired} of the dead retired by the bench: undelivered when their cell timed out)`
        : "");
    const jsonFile = path.join(resultsDir, `${stamp}-delivery${smoke ? "-smoke" : ""}.json`);
    await writeFile(
      jsonFile,
      `${JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          node: process.version,
          config: { ...config, serverUrl: undefined },
          targets,
          deliveryCells,
          provisioningCells,
          checks,
          rss,
          logs: runDir,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`\n${report}\n\n${checkLine}\n`);
    process.stdout.write(
      `RSS at the end (MB): ${Object.entries(rss)
        .map(([name, mb]) => `${name} ${mb ?? "?"}`)
        .join(", ")}\n`,
    );
    process.stdout.write(
      `Load average at the start ${loadAtStart} and at the end ${loadAverage()} (1, 5, 15 min; ${os.cpus().length} cores)\n`,
    );
    for (const text of profiles) process.stdout.write(`\n${text}\n`);
    process.stdout.write(
      `\nJSON: ${path.relative(repoRoot, jsonFile)}   logs: ${path.relative(repoRoot, runDir)}\n`,
    );
    if (smoke) {
      const problems = smokeProblems(deliveryCells, provisioningCells, checks);
      process.stdout.write(
        problems.length === 0
          ? `smoke: ok — ${deliveryCells.length + provisioningCells.length} cells, every event delivered once, in order, verified; no errors (no targets checked)\n`
          : `smoke: FAILED\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n`,
      );
      if (problems.length > 0) process.exitCode = 1;
    }
  } finally {
    if (!interrupted) await cleanup();
  }
}

/**
 * What a smoke run fails on: a cell that did not run or created nothing, and any error — a failed
 * request, a delivery not received (or left pending or dead), a duplicate, an order violation, a
 * signature that did not verify, a malformed body, a failed relay.claim or relay.report call.
 */
function smokeProblems(
  deliveryCells: readonly DeliveryCell[],
  provisioningCells: readonly ProvisioningCell[],
  checks: {
    retired: number;
    duplicatesTotal: number;
    deliveries: readonly { status: string; count: number }[];
  },
): string[] {
  const problems: string[] = [];
  const relayFailed = (name: string, failures: { claim: number; report: number } | undefined) => {
    if (failures && failures.claim + failures.report > 0)
      problems.push(
        `${name}: ${failures.claim} failed relay.claim, ${failures.report} failed relay.report calls`,
      );
  };
  for (const kind of ["steady", "burst"] as const) {
    if (!config.cells.has(kind)) continue;
    const mine = deliveryCells.filter((cell) => cell.cell === kind);
    if (mine.length !== config.rounds) problems.push(`${kind}: ${mine.length} of ${config.rounds} cells ran`);
    for (const cell of mine) {
      const { stats } = cell;
      if (cell.events === 0) problems.push(`${kind}: no hub was created`);
      if (cell.generatorFailures > 0)
        problems.push(`${kind}: ${cell.generatorFailures} hubs failed to provision`);
      if (!cell.complete || stats.received !== cell.events)
        problems.push(`${kind}: ${stats.received} of ${cell.events} events delivered`);
      if (stats.duplicates + stats.orderViolations + stats.verifyFailures + stats.malformed > 0)
        problems.push(
          `${kind}: duplicates ${stats.duplicates}, order violations ${stats.orderViolations}, ` +
            `verify failures ${stats.verifyFailures}, malformed ${stats.malformed}`,
        );
      relayFailed(kind, cell.relayFailures);
    }
  }
  if (config.cells.has("provisioning")) {
    if (provisioningCells.length !== 4 * config.rounds)
      problems.push(`provisioning: ${provisioningCells.length} of ${4 * config.rounds} cells ran`);
    for (const cell of provisioningCells) {
      const name = `provisioning ${cell.variant}`;
      if (cell.hubs === 0) problems.push(`${name}: no hub was created`);
      if (cell.failed > 0) problems.push(`${name}: ${cell.failed} hubs failed to provision`);
      const expected = cell.variant === "with relay" ? cell.hubs : 0;
      if (cell.delivered !== expected)
        problems.push(`${name}: ${cell.delivered} delivered, expected ${expected}`);
      relayFailed(name, cell.relayFailures);
    }
  }
  if (checks.retired > 0) problems.push(`${checks.retired} deliveries left undelivered by their cell`);
  if (checks.duplicatesTotal > 0)
    problems.push(`${checks.duplicatesTotal} duplicate deliveries over the run`);
  const undelivered = checks.deliveries.filter((row) => row.status !== "delivered" && row.count > 0);
  if (undelivered.length > 0)
    problems.push(
      `webhook_deliveries not delivered: ${undelivered.map((row) => `${row.status} ${row.count}`).join(", ")}`,
    );
  return problems;
}

function logDeliveryCell(cell: DeliveryCell): void {
  log(
    `  ${cell.cell}: ${cell.stats.received}/${cell.events} delivered${cell.complete ? "" : " (INCOMPLETE)"} in ${cell.toAllSeconds.toFixed(1)} s, ` +
      `lag p50 ${cell.lagMs.p50} p99 ${cell.lagMs.p99} max ${cell.lagMs.max} ms, duplicates ${cell.stats.duplicates}, ` +
      `order ${cell.stats.orderViolations}, verify failures ${cell.stats.verifyFailures}, relay ${fixed(cell.cpuPerEvent["event-relay"], 3)} ms CPU/event, ` +
      `peak RSS ${cell.relayRss.peakMb} MB, load ${cell.loadAverage.end}, hub-service ${JSON.stringify(cell.hub ?? {})}, ` +
      `breakdown ${JSON.stringify(cell.breakdown)}, failed calls ${JSON.stringify(cell.relayFailures)}`,
  );
}

/** relay.claim calls in a cell, their mean duration in hub-service, and deliveries per call. */
function claimSummary(hub: Record<string, number>, delivered: number): string {
  const calls = hub["relay.claim count"] ?? 0;
  const seconds = hub["relay.claim sum"] ?? 0;
  return calls === 0
    ? "–"
    : `${calls} · ${fixed((1000 * seconds) / calls, 1)} · ${fixed(delivered / calls, 1)}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? ":--" : "--:"))), ...rows.map(line)].join("\n");
}

function renderReport(
  deliveryCells: readonly DeliveryCell[],
  provisioningCells: readonly ProvisioningCell[],
): string {
  const cpu = (record: Record<string, number>, name: string, digits = 3) => fixed(record[name], digits);
  const delivery = table(
    [
      "cell",
      "events",
      "generator",
      "delivered",
      "lag p50 ms",
      "lag p99 ms",
      "lag max ms",
      "all received s",
      "commit→row · row→1st attempt ms (p50/p99)",
      "relay.claim calls · mean ms · deliveries/claim",
      "failed claim/report calls",
      "dup",
      "order",
      "verify fail",
      "CPU ms/event relay · hub-service · PG · receiver",
      "relay peak RSS MB",
      "load 1/5/15 (end)",
      "target",
    ],
    deliveryCells.map((cell) => [
      `${cell.cell}${deliveryCells.some((c) => c.round > 1) ? ` r${cell.round}` : ""}`,
      String(cell.events),
      cell.generator,
      `${cell.stats.received}${cell.complete ? "" : " (incomplete)"}`,
      fixed(cell.lagMs.p50),
      fixed(cell.lagMs.p99),
      fixed(cell.lagMs.max),
      cell.cell === "burst"
        ? `${cell.toAllSeconds.toFixed(1)} (fan-out ${fixed(cell.fanOutSeconds, 1)} before; relay start ${fixed(cell.relayStartSeconds, 2)})`
        : cell.toAllSeconds.toFixed(1),
      cell.breakdown
        ? [cell.breakdown.fanOutMs, cell.breakdown.toFirstAttemptMs]
            .map((ms) => ms.map((n) => fixed(n)).join("/"))
            .join(" · ")
        : "–",
      claimSummary(cell.hub ?? {}, cell.stats.received),
      cell.relayFailures ? `${cell.relayFailures.claim}/${cell.relayFailures.report}` : "–",
      String(cell.stats.duplicates),
      String(cell.stats.orderViolations),
      String(cell.stats.verifyFailures + cell.stats.malformed),
      ["event-relay", "hub-service", "postgres", "webhook-receiver"]
        .map((name) => cpu(cell.cpuPerEvent, name))
        .join(" · "),
      `${cell.relayRss.peakMb} (HWM ${fixed(cell.relayRss.highWaterMb)})`,
      cell.loadAverage.end,
      cell.cell === "steady"
        ? `p99 ≤ ${targets.steadyP99Ms} ms: ${cell.lagMs.p99 <= targets.steadyP99Ms && cell.complete ? "met" : "MISSED"}`
        : `≤ ${targets.burstSeconds} s: ${cell.toAllSeconds <= targets.burstSeconds && cell.complete ? "met" : "MISSED"}; ` +
          `RSS ≤ ${targets.relayRssMb} MB: ${Math.max(cell.relayRss.peakMb, cell.relayRss.highWaterMb ?? 0) <= targets.relayRssMb ? "met" : "MISSED"}`,
    ]),
  );
  const provisioning = table(
    [
      `REST ProvisionHubs ×${config.batch}, c=${config.bulkConcurrency}`,
      "round",
      "hubs",
      "hubs/s",
      "p50 ms",
      "p99 ms",
      "errors",
      "CPU ms/hub gateway · hub-service · PG · relay · receiver",
      "delivered (s after the load)",
      "relay CPU ms/delivery (load + drain)",
      "relay.claim calls · mean ms · deliveries/claim",
      "failed claim/report calls",
      "load 1/5/15 (end)",
    ],
    provisioningCells.map((cell) => [
      cell.variant,
      String(cell.round),
      String(cell.hubs),
      cell.throughput.toFixed(0),
      fixed(cell.p50),
      fixed(cell.p99),
      String(cell.failed),
      ["gateway", "hub-service", "postgres", "event-relay", "webhook-receiver"]
        .map((name) => (cell.cpuPerHub[name] === undefined ? "–" : cpu(cell.cpuPerHub, name)))
        .join(" · "),
      `${cell.delivered}${cell.drainSeconds !== undefined ? ` (${cell.drainSeconds.toFixed(1)})` : ""}`,
      fixed(cell.relayCpuPerDelivery, 3),
      cell.variant === "with relay" ? claimSummary(cell.hub, cell.delivered) : "–",
      `${cell.relayFailures.claim}/${cell.relayFailures.report}`,
      cell.loadAverage.end,
    ]),
  );
  // Means: the cells run in ABBA order, so a linear drift of the host weighs on both alike.
  const rate = (variant: ProvisioningCell["variant"]) =>
    mean(provisioningCells.filter((cell) => cell.variant === variant).map((cell) => cell.throughput));
  const withRelay = rate("with relay");
  const without = rate("without relay");
  const ratio = withRelay / without;
  const ratioLine =
    `Provisioning with the relay ÷ without (means of ${provisioningCells.length / 2} cells each, ABBA order): ` +
    `${withRelay.toFixed(0)} ÷ ${without.toFixed(0)} hubs/s = ${ratio.toFixed(2)}× ` +
    `(target ≥ ${targets.provisioningRatio.toFixed(2)}×: ${ratio >= targets.provisioningRatio ? "met" : "MISSED"})`;
  return [
    ...(config.whatIfClaimPlan
      ? [
          "WHAT-IF run: webhook_deliveries_subscription_status_id_idx dropped in the bench database (not the shipped schema)",
          "",
        ]
      : []),
    ...(config.analyze
      ? ["Burst cell: ANALYZE webhook_deliveries before the relay started (--analyze)", ""]
      : []),
    ...(deliveryCells.length > 0 ? [delivery, ""] : []),
    ...(provisioningCells.length > 0 ? [provisioning, "", ratioLine] : []),
  ].join("\n");
}

main().catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
