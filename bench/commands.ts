/**
 * `npm run bench:commands`: device commands end to end — `POST /hubs/{id}/SendHubCommand`
 * (`server_info`) through the gateway, hub-service writing the hub's Device Shadow on the registry
 * emulator, the emulator's simulated hub answering in the shadow, the emulator's topic rule posting
 * the update documents to the gateway's `/iot/rule`, hub-service recording SUCCEEDED. Measured:
 * commands accepted per second (200) at a concurrency, the send's own latency, send → SUCCEEDED
 * latency, CPU ms per command of every process; against a baseline of the same concurrency in the
 * same run (ProvisionHub, the same shape: one AWS IoT call and one write; and a status GET, a read
 * of the read model). Flags: `--help`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { migrateDeploy, repoRoot, type ServiceProcess, type System, startSystem } from "@hub/test-support";
import jwt from "jsonwebtoken";
import pg from "pg";
import { emulatorControl } from "../apps/iot-registry-emulator/src/control-client.ts";
import { benchFlags } from "./lib/flags.ts";
import { percentile } from "./lib/load.ts";
import { fixed, freshDatabase, loadAverage, log, mean } from "./lib/report.ts";
import { thingName, writeThingPool } from "./lib/things.ts";

const HELP = `npm run bench:commands -- [flags]
  --concurrency <n>       requests in flight in every cell (default 16)
  --duration <s>          measured seconds per cell (default 10)
  --warmup <s>            unmeasured seconds of the same load before each cell (default 2)
  --hubs <n>              provisioned hubs with connected devices the commands go to (default 200)
  --cells <list>          provision,commands,status (default all three, in that order; the first
                          and last are the baselines)
  --rule-batch <n>        the emulator's topic-rule batch size, 1..100 (default 1, as npm start and
                          the tests run it; AWS's batchConfig)
  --hub-delay-ms <n>      the simulated hubs' answer delay (default: the emulator's, 50 ms)
  --drain-timeout <s>     longest wait, after the commands cell, for every command to complete (default 60)
  --runtime <r>           built (default: node dist/…, built by the npm script) or tsx (the sources)
  --database-url <url>    PostgreSQL server (default BENCH_DATABASE_URL, then TEST_DATABASE_URL; a fresh
                          database hub_bench_cmd_* on it, dropped at the end); none set: PGlite in a temp dir
  --env KEY=VALUE         extra environment for hub-service and the gateway (repeatable)
  --keep-db               do not drop the bench database at the end
  --smoke                 seconds-long check that the bench works (20 hubs, c=4, 1 s cells); exits non-zero
                          when a cell had no success, any request failed or a command did not succeed`;

const flags = benchFlags(HELP, {
  concurrency: { type: "string", default: "16" },
  duration: { type: "string" },
  warmup: { type: "string" },
  hubs: { type: "string" },
  cells: { type: "string", default: "provision,commands,status" },
  "rule-batch": { type: "string" },
  "hub-delay-ms": { type: "string" },
  "drain-timeout": { type: "string", default: "60" },
  runtime: { type: "string", default: "built" },
  "database-url": { type: "string" },
  env: { type: "string", multiple: true, default: [] },
  "keep-db": { type: "boolean", default: false },
});
if (flags.runtime !== "built" && flags.runtime !== "tsx") throw new Error("--runtime is built or tsx");
const smoke = flags.smoke;
const cellNames = ["provision", "commands", "status"] as const;
type CellName = (typeof cellNames)[number];
const config = {
  concurrency: smoke && flags.concurrency === "16" ? 4 : Number(flags.concurrency),
  seconds: Number(flags.duration ?? (smoke ? 1 : 10)),
  warmupSeconds: Number(flags.warmup ?? (smoke ? 0.5 : 2)),
  hubs: Number(flags.hubs ?? (smoke ? 20 : 200)),
  cells: flags.cells.split(",").map((cell) => cell.trim()) as CellName[],
  ruleBatch: flags["rule-batch"] === undefined ? undefined : Number(flags["rule-batch"]),
  hubDelayMs: flags["hub-delay-ms"] === undefined ? undefined : Number(flags["hub-delay-ms"]),
  drainTimeoutMs: 1000 * Number(flags["drain-timeout"]),
  runtime: flags.runtime as "built" | "tsx",
  serverUrl: flags["database-url"] ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL,
  env: Object.fromEntries(
    flags.env.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  ),
};
for (const cell of config.cells) {
  if (!cellNames.includes(cell)) throw new Error(`--cells: unknown cell ${cell}`);
}
if (!(config.concurrency >= 1 && config.seconds > 0 && config.hubs >= 1)) {
  throw new Error("--concurrency, --duration and --hubs must be positive");
}

type Counted = { ok: number; statuses: Record<string, number>; networkErrors: number; sample?: string };

/**
 * `concurrency` workers sending back to back for `seconds` (each request built by `next`, or none
 * left: the worker stops); every request's status is counted, the latency of the accepted ones kept.
 */
async function closedLoop<T>(options: {
  concurrency: number;
  seconds: number;
  next: () => { url: string; init: RequestInit; tag: T } | undefined;
  accepted: (status: number) => boolean;
  onAccepted?: (tag: T, body: string, sentAt: number) => void;
}): Promise<Counted & { latencies: number[]; elapsedSeconds: number }> {
  const counted: Counted = { ok: 0, statuses: {}, networkErrors: 0 };
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + options.seconds * 1000;
  let last = started;
  const worker = async () => {
    while (performance.now() < until) {
      const request = options.next();
      if (request === undefined) return;
      const sentAt = Date.now();
      const t0 = performance.now();
      try {
        const response = await fetch(request.url, request.init);
        const body = await response.text();
        last = performance.now();
        counted.statuses[response.status] = (counted.statuses[response.status] ?? 0) + 1;
        if (options.accepted(response.status)) {
          counted.ok++;
          latencies.push(last - t0);
          options.onAccepted?.(request.tag, body, sentAt);
        } else counted.sample ??= `${response.status} ${body.slice(0, 300)}`;
      } catch (error) {
        last = performance.now();
        counted.networkErrors++;
        counted.sample ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { ...counted, latencies, elapsedSeconds: (last - started) / 1000 };
}

/** CPU ms of every process since `snapshot()` was taken. */
async function cpuSnapshot(processes: readonly ServiceProcess[]) {
  const at = new Map(await Promise.all(processes.map(async (p) => [p.name, await p.cpuMs()] as const)));
  return async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      await Promise.all(
        processes.map(async (p) => [p.name, (await p.cpuMs()) - (at.get(p.name) ?? 0)] as const),
      ),
    );
}

type Cell = {
  cell: CellName;
  /** Accepted requests (201/200 for ProvisionHub, 200 for the rest). */
  accepted: number;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  networkErrors: number;
  sampleFailure?: string;
  /** CPU ms per accepted request, by process (commands: until every command completed). */
  cpuPerRequest: Record<string, number>;
  loadAverage: string;
  /** Commands only. */
  completion?: {
    succeeded: number;
    /** Not SUCCEEDED by the end of the drain (state → count). */
    notSucceeded: Record<string, number>;
    /** Client send → hub-service recorded SUCCEEDED (its completedAt), ms. */
    p50: number;
    p99: number;
    max: number;
    /** hub-service's sentAt → completedAt, ms (without the gateway's hop and the shadow write). */
    serverP50: number;
    serverP99: number;
    /** From the end of the load until the rule had delivered every message. */
    drainSeconds: number;
    ruleMessagesPerCommand: number;
    /** p50 send → SUCCEEDED of the commands sent in the first and the last tenth of the cell (a growing queue shows). */
    /** SUCCEEDED per second, from the cell's first send to its last completion: what the rule path sustains. */
    completedPerSecond: number;
    firstTenthP50: number;
    lastTenthP50: number;
    /** [ms since the cell's first send, send → SUCCEEDED ms] per command, in send order (the JSON only). */
    timeline: [number, number][];
  };
};

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const resultsDir = path.join(repoRoot, "bench/results");
  const runDir = path.join(resultsDir, `${stamp}-commands${smoke ? "-smoke" : ""}`);
  await mkdir(runDir, { recursive: true });
  const database = await freshDatabase(config.serverUrl, "cmd");
  let system: System | undefined;
  let interrupted = false;
  const cleanup = async () => {
    await system?.stop();
    if (!flags["keep-db"]) await database.drop();
  };
  process.once("SIGINT", () => {
    interrupted = true;
    log("SIGINT: the bench stops its processes and drops its database");
    void cleanup().finally(() => process.exit(130));
  });

  try {
    log(`database: ${database.label}; migrating`);
    await migrateDeploy(database.url);

    // Things for the command hubs (0 … hubs-1), then a pool for the provisioning baseline: enough
    // for 1,000 provisionings/s over its warm-up and measured seconds (a worker stops when it runs
    // out). Not more: every connect below rewrites the emulator's whole file.
    const provisionPool = config.cells.includes("provision")
      ? Math.ceil((config.seconds + config.warmupSeconds) * 1000)
      : 0;
    const emulatorDir = path.join(runDir, "iot-registry");
    log(`writing ${config.hubs + provisionPool} Things for the registry emulator`);
    await writeThingPool(emulatorDir, config.hubs + provisionPool);

    log(`starting the registry emulator, hub-service and the gateway (${config.runtime})`);
    system = await startSystem({
      databaseUrl: database.url,
      built: config.runtime === "built",
      emulatorEnv: {
        IOT_EMULATOR_DATA_DIR: emulatorDir,
        ...(config.ruleBatch === undefined ? {} : { IOT_EMULATOR_RULE_BATCH_SIZE: String(config.ruleBatch) }),
      },
      env: {
        NODE_ENV: "production",
        LOG_LEVEL: "info",
        // Production refuses loopback webhook endpoints and requires the key (no webhooks here).
        WEBHOOK_ALLOW_PRIVATE_URLS: "false",
        WEBHOOK_SECRET_KEY: `bench-webhook-key-${randomBytes(16).toString("hex")}`,
        // Never throttled: the limiter still runs on every request.
        RATE_LIMIT_POINTS: "1000000000",
        // The emulator has no quota: AWS's (the client-side defaults, 300/s per operation) would be all
        // a cell measures. On AWS the account's quotas bound the data plane (README "Configuration").
        IOT_REGISTRY_RPS: "1000000",
        IOT_DATA_GET_RPS: "1000000",
        IOT_DATA_UPDATE_RPS: "1000000",
        IOT_DATA_DELETE_RPS: "1000000",
        // startSystem's short test deadlines would fail calls on a busy 2-core host.
        IOT_ATTEMPT_TIMEOUT_MS: "4000",
        IOT_DEADLINE_MS: "8000",
        ...config.env,
      },
    });
    const sys = system;
    const processes = [sys.gateway, sys.hubService, sys.emulator];
    const control = emulatorControl(sys.emulator.url);
    const token = jwt.sign({ role: "service" }, sys.secrets.gatewayJwt, {
      algorithm: "HS256",
      issuer: "hub-platform-dev",
      audience: "hub-api",
      subject: "bench-commands",
      expiresIn: "12h",
    });
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const gateway = sys.gateway.url;

    // The command hubs: provisioned in bulk, then their devices connect (presence → online).
    const hubs = Array.from({ length: config.hubs }, (_, index) => {
      const hubId = randomUUID();
      return {
        hubId,
        serial: `SN-CMD-${hubId.slice(0, 8)}`,
        model: "HUB-2",
        thingName: thingName(index),
        vendorName: "Bench",
      };
    });
    for (let from = 0; from < hubs.length; from += 1000) {
      const response = await fetch(`${gateway}/hubs/ProvisionHubs`, {
        method: "POST",
        headers,
        body: JSON.stringify({ hubs: hubs.slice(from, from + 1000) }),
      });
      const body = (await response.json()) as { summary?: { created: number } };
      if (response.status !== 200 || body.summary?.created !== Math.min(1000, hubs.length - from)) {
        throw new Error(
          `provisioning the command hubs: ${response.status} ${JSON.stringify(body).slice(0, 300)}`,
        );
      }
    }
    for (let i = 0; i < hubs.length; i += 16) {
      await Promise.all(
        hubs.slice(i, i + 16).map(async (hub) => {
          await control.setConnected(hub.thingName, true);
          if (config.hubDelayMs !== undefined)
            await control.setHubBehaviour(hub.thingName, { mode: "answer", delayMs: config.hubDelayMs });
        }),
      );
    }
    log(`${hubs.length} hubs provisioned, their devices connected`);

    /** Until the rule has delivered everything it was given (nothing queued, the count unchanged). */
    const ruleDrained = async (timeoutMs: number): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      let previous = -1;
      while (Date.now() < deadline) {
        const stats = await control.ruleStats();
        if (stats.status === "ENABLED" && stats.queued === 0 && stats.delivered === previous) return true;
        previous = stats.queued === 0 ? stats.delivered : -1;
        await sleep(100);
      }
      return false;
    };
    if (!(await ruleDrained(30_000))) throw new Error("the topic rule did not drain after the setup");

    const randomHub = () => hubs[Math.floor(Math.random() * hubs.length)] as (typeof hubs)[number];
    let nextThing = config.hubs;
    const provisionRequest = () => {
      if (nextThing >= config.hubs + provisionPool) return undefined;
      const hubId = randomUUID();
      const body = {
        hubId,
        serial: `SN-B-${hubId.slice(0, 13)}`,
        model: "HUB-2",
        thingName: thingName(nextThing++),
        vendorName: "Bench",
      };
      return {
        url: `${gateway}/hubs/${hubId}/ProvisionHub`,
        init: { method: "POST", headers, body: JSON.stringify(body) },
        tag: undefined,
      };
    };
    const statusRequest = () => ({
      url: `${gateway}/hubs/${randomHub().hubId}/status`,
      init: { headers: { authorization: headers.authorization } },
      tag: undefined,
    });
    const commandRequest = () => {
      const hub = randomHub();
      const commandId = `bench-${randomUUID()}`;
      return {
        url: `${gateway}/hubs/${hub.hubId}/SendHubCommand`,
        init: {
          method: "POST",
          headers,
          body: JSON.stringify({ hubId: hub.hubId, command: "server_info", commandId }),
        },
        tag: { hubId: hub.hubId, commandId },
      };
    };

    const runCell = async (cell: CellName): Promise<Cell> => {
      log(`${cell}: ${config.warmupSeconds} s warm-up, then ${config.seconds} s at c=${config.concurrency}`);
      const next =
        cell === "provision" ? provisionRequest : cell === "status" ? statusRequest : commandRequest;
      const accepted = (status: number) => (cell === "provision" ? status === 201 : status === 200);
      if (config.warmupSeconds > 0) {
        await closedLoop({ concurrency: config.concurrency, seconds: config.warmupSeconds, next, accepted });
        if (cell === "commands" && !(await ruleDrained(config.drainTimeoutMs)))
          log("  the warm-up's commands did not drain in time");
      }
      const rule0 = await control.ruleStats();
      const cpu = await cpuSnapshot(processes);
      const sent: { hubId: string; commandId: string; sentAt: number }[] = [];
      const load = await closedLoop({
        concurrency: config.concurrency,
        seconds: config.seconds,
        next,
        accepted,
        onAccepted: (tag, _body, sentAt) => {
          if (tag) sent.push({ ...(tag as { hubId: string; commandId: string }), sentAt });
        },
      });
      const loadEnd = performance.now();
      let completion: Cell["completion"];
      let spent: Record<string, number>;
      if (cell === "commands") {
        const drained = await ruleDrained(config.drainTimeoutMs);
        const drainSeconds = (performance.now() - loadEnd) / 1000;
        spent = await cpu(); // the commands' whole cost: the send, the hubs' answers through the rule, the clean-up
        const rule1 = await control.ruleStats();
        if (!drained) log(`  the rule had not drained after ${config.drainTimeoutMs / 1000} s`);
        // Each command read once (a SENT one again, briefly): its completedAt is hub-service's clock,
        // the same host's as the send's Date.now(), so send → SUCCEEDED is exact to the ms.
        const results: { state: string; sentAt: number; serverSentAt: number; completedAt: number | null }[] =
          [];
        let queue = [...sent];
        for (let attempt = 0; queue.length > 0 && attempt < 20; attempt++) {
          if (attempt > 0) await sleep(250);
          const pending: typeof queue = [];
          for (let i = 0; i < queue.length; i += 16) {
            await Promise.all(
              queue.slice(i, i + 16).map(async (command) => {
                const response = await fetch(
                  `${gateway}/hubs/${command.hubId}/commands/${command.commandId}`,
                  {
                    headers: { authorization: headers.authorization },
                  },
                );
                const read = (await response.json()) as {
                  state?: string;
                  sentAt?: number;
                  completedAt?: number | null;
                };
                if (read.state === "SENT" && attempt < 19) pending.push(command);
                else
                  results.push({
                    state: read.state ?? `HTTP ${response.status}`,
                    sentAt: command.sentAt,
                    serverSentAt: read.sentAt ?? Number.NaN,
                    completedAt: read.completedAt ?? null,
                  });
              }),
            );
          }
          queue = pending;
        }
        const succeeded = results.filter((r) => r.state === "SUCCEEDED" && r.completedAt !== null);
        const notSucceeded: Record<string, number> = {};
        for (const r of results)
          if (r.state !== "SUCCEEDED") notSucceeded[r.state] = (notSucceeded[r.state] ?? 0) + 1;
        succeeded.sort((a, b) => a.sentAt - b.sentAt);
        const toDone = succeeded.map((r) => (r.completedAt as number) - r.sentAt);
        const tenth = Math.max(1, Math.floor(toDone.length / 10));
        const firstSend = succeeded[0]?.sentAt ?? 0;
        const serverToDone = succeeded.map((r) => (r.completedAt as number) - r.serverSentAt);
        completion = {
          succeeded: succeeded.length,
          notSucceeded,
          p50: percentile(toDone, 0.5),
          p99: percentile(toDone, 0.99),
          max: Math.max(...toDone),
          serverP50: percentile(serverToDone, 0.5),
          serverP99: percentile(serverToDone, 0.99),
          drainSeconds,
          ruleMessagesPerCommand: (rule1.delivered - rule0.delivered) / Math.max(1, sent.length),
          completedPerSecond:
            succeeded.length /
            Math.max(0.001, (Math.max(...succeeded.map((r) => r.completedAt as number)) - firstSend) / 1000),
          firstTenthP50: percentile(toDone.slice(0, tenth), 0.5),
          lastTenthP50: percentile(toDone.slice(-tenth), 0.5),
          timeline: succeeded.map((r, i) => [r.sentAt - firstSend, toDone[i] as number]),
        };
      } else spent = await cpu();
      return {
        cell,
        accepted: load.ok,
        perSecond: load.ok / load.elapsedSeconds,
        p50: percentile(load.latencies, 0.5),
        p99: percentile(load.latencies, 0.99),
        statuses: load.statuses,
        networkErrors: load.networkErrors,
        ...(load.sample === undefined ? {} : { sampleFailure: load.sample }),
        cpuPerRequest: Object.fromEntries(
          Object.entries(spent).map(([name, ms]) => [name, ms / Math.max(1, load.ok)]),
        ),
        loadAverage: loadAverage(),
        ...(completion ? { completion } : {}),
      };
    };

    const cells: Cell[] = [];
    for (const name of config.cells) {
      if (interrupted) break;
      const cell = await runCell(name);
      cells.push(cell);
      log(
        `  ${name}: ${cell.accepted} accepted, ${fixed(cell.perSecond)}/s, p50 ${fixed(cell.p50, 1)} p99 ${fixed(cell.p99, 1)} ms, ` +
          `statuses ${JSON.stringify(cell.statuses)}${cell.networkErrors ? `, network errors ${cell.networkErrors}` : ""}` +
          (cell.completion
            ? `; SUCCEEDED ${cell.completion.succeeded} p50 ${fixed(cell.completion.p50)} p99 ${fixed(cell.completion.p99)} ms, not ${JSON.stringify(cell.completion.notSucceeded)}`
            : "") +
          (cell.sampleFailure ? `; e.g. ${cell.sampleFailure}` : ""),
      );
    }
    const rss = Object.fromEntries(
      await Promise.all(processes.map(async (p) => [p.name, await p.rssMb()] as const)),
    );

    const report = renderReport(cells, database.label);
    const jsonFile = path.join(resultsDir, `${stamp}-commands${smoke ? "-smoke" : ""}.json`);
    await writeFile(
      jsonFile,
      `${JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          node: process.version,
          config: { ...config, serverUrl: undefined, database: database.label },
          cells,
          rss,
          loadAverage: { start: loadAtStart, end: loadAverage() },
          logs: sys.logDir,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`\n${report}\n`);
    process.stdout.write(
      `RSS at the end (MB): ${Object.entries(rss)
        .map(([name, mb]) => `${name} ${mb ?? "?"}`)
        .join(", ")}\n`,
    );
    process.stdout.write(
      `Load average at the start ${loadAtStart} and at the end ${loadAverage()} (1, 5, 15 min; ${os.cpus().length} cores)\n`,
    );
    process.stdout.write(`JSON: ${path.relative(repoRoot, jsonFile)}   logs: ${sys.logDir}\n`);
    if (smoke) {
      const problems = smokeProblems(cells);
      process.stdout.write(
        problems.length === 0
          ? `smoke: ok — ${cells.length} cells, every request accepted, every command SUCCEEDED (no targets checked)\n`
          : `smoke: FAILED\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n`,
      );
      if (problems.length > 0) process.exitCode = 1;
    }
  } finally {
    if (!interrupted) await cleanup();
  }
}

function smokeProblems(cells: readonly Cell[]): string[] {
  const problems: string[] = [];
  for (const name of config.cells) {
    const cell = cells.find((c) => c.cell === name);
    if (!cell) {
      problems.push(`${name}: did not run`);
      continue;
    }
    if (cell.accepted === 0) problems.push(`${name}: no request was accepted`);
    const failed = Object.entries(cell.statuses).filter(([status]) =>
      name === "provision" ? status !== "201" : status !== "200",
    );
    if (failed.length > 0 || cell.networkErrors > 0)
      problems.push(
        `${name}: failed requests ${JSON.stringify(Object.fromEntries(failed))}, network errors ${cell.networkErrors}`,
      );
    if (cell.completion) {
      if (cell.completion.succeeded !== cell.accepted)
        problems.push(
          `commands: ${cell.completion.succeeded} of ${cell.accepted} SUCCEEDED (others ${JSON.stringify(cell.completion.notSucceeded)})`,
        );
    }
  }
  return problems;
}

function renderReport(cells: readonly Cell[], databaseLabel: string): string {
  const line = (values: readonly string[]) => `| ${values.join(" | ")} |`;
  const byName = (name: CellName) => cells.find((cell) => cell.cell === name);
  const commands = byName("commands");
  const ratio = (base: Cell | undefined) =>
    commands && base ? `${(commands.perSecond / base.perSecond).toFixed(2)}×` : "–";
  const cpu = (cell: Cell, name: string) => fixed(cell.cpuPerRequest[name], 2);
  const statuses = (cell: Cell) =>
    `${Object.entries(cell.statuses)
      .map(([status, n]) => `${status}: ${n}`)
      .join(", ")}${cell.networkErrors ? `, network: ${cell.networkErrors}` : ""}`;
  const table = [
    line([
      "cell",
      "c",
      "accepted",
      "req/s",
      "p50 ms",
      "p99 ms",
      "HTTP statuses",
      "CPU ms/request gateway · hub-service · emulator",
      "load (end)",
    ]),
    line([":--", "--:", "--:", "--:", "--:", "--:", ":--", ":--", ":--"]),
    ...cells.map((cell) =>
      line([
        cell.cell === "provision"
          ? "ProvisionHub (baseline)"
          : cell.cell === "status"
            ? "GET status (baseline)"
            : "SendHubCommand server_info",
        String(config.concurrency),
        String(cell.accepted),
        fixed(cell.perSecond),
        fixed(cell.p50, 1),
        fixed(cell.p99, 1),
        statuses(cell),
        ["gateway", "hub-service", "iot-registry-emulator"].map((name) => cpu(cell, name)).join(" · "),
        cell.loadAverage.split(" ")[0] ?? "",
      ]),
    ),
  ];
  const lines = [
    `Database: ${databaseLabel}; ${config.hubs} hubs; ${config.seconds} s per cell after ${config.warmupSeconds} s of warm-up; rule batch ${config.ruleBatch ?? 1}`,
    "",
    ...table,
    "",
  ];
  if (commands?.completion) {
    const c = commands.completion;
    lines.push(
      `Commands/s ÷ ProvisionHub/s: ${ratio(byName("provision"))}; ÷ status GETs/s: ${ratio(byName("status"))}`,
      `Send → SUCCEEDED (client send → hub-service's completedAt, same host clock, 1 ms): p50 ${fixed(c.p50)} ms, ` +
        `p99 ${fixed(c.p99)} ms, max ${fixed(c.max)} ms; hub-service sentAt → completedAt p50 ${fixed(c.serverP50)} / p99 ${fixed(c.serverP99)} ms ` +
        `(the simulated hub waits ${config.hubDelayMs ?? 50} ms before answering); ` +
        `p50 of the first tenth sent ${fixed(c.firstTenthP50)} ms, of the last tenth ${fixed(c.lastTenthP50)} ms`,
      `Completed: ${fixed(c.completedPerSecond)} SUCCEEDED/s from the first send to the last completion (÷ accepted/s: ${fixed(c.completedPerSecond / commands.perSecond, 2)}×)`,
      `${c.succeeded} of ${commands.accepted} accepted commands SUCCEEDED${Object.keys(c.notSucceeded).length ? ` (others: ${JSON.stringify(c.notSucceeded)})` : ""}; ` +
        `the rule delivered everything ${c.drainSeconds.toFixed(1)} s after the load ended; ${c.ruleMessagesPerCommand.toFixed(1)} rule messages per command. ` +
        "CPU per command counts until then (the answers and the clean-up included).",
    );
  }
  return lines.join("\n");
}

main().catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
