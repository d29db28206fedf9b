/**
 * `npm run bench:smoke`: every benchmark's `--smoke` mode, one after the other, so a bench that
 * can no longer start, or whose load gets only errors, fails here (CI runs it) rather than on the
 * day someone needs its numbers. Builds everything the benches run once first (`turbo run build`,
 * as `npm run bench:provision` does), then runs each bench's script with tsx and `--smoke`;
 * stops at the first failure. Prints each step's name and duration. Flags: `--help`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "@hub/test-support";

const BENCHES = [
  { name: "bench:seed-hubs", script: "bench/seed-hubs.ts" },
  { name: "bench:queries", script: "bench/queries.ts" },
  { name: "bench:provision", script: "bench/provision.ts" },
  { name: "bench:delivery", script: "bench/delivery.ts" },
  { name: "bench:commands", script: "bench/commands.ts" },
  { name: "bench:console", script: "bench/console.ts" },
] as const;

const HELP = `npm run bench:smoke -- [flags]
  --only <list>         run only these benches (${BENCHES.map((bench) => bench.name.slice("bench:".length)).join(",")})
  --skip-build          do not run turbo run build first
  --timeout <s>         longest a single step may take before it is stopped and fails (default 300)
  --database-url <url>  PostgreSQL server for every bench (default: each bench's own,
                        BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/postgres)`;

const { values: flags } = parseArgs({
  options: {
    only: { type: "string" },
    "skip-build": { type: "boolean", default: false },
    timeout: { type: "string", default: "300" },
    "database-url": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const only = flags.only?.split(",").map((name) => `bench:${name.trim().replace(/^bench:/, "")}`);
for (const name of only ?? []) {
  if (!BENCHES.some((bench) => bench.name === name)) throw new Error(`unknown bench ${name}`);
}
const timeoutMs = 1000 * Number(flags.timeout);
if (!(timeoutMs > 0)) throw new Error("--timeout must be a positive number of seconds");
const databaseUrl = flags["database-url"] ?? process.env.BENCH_DATABASE_URL;

type Step = { readonly name: string; readonly command: string; readonly args: readonly string[] };

const steps: Step[] = [
  ...(flags["skip-build"]
    ? []
    : [
        {
          name: "build",
          command: process.execPath,
          args: [
            path.join(repoRoot, "node_modules/turbo/bin/turbo"),
            "run",
            "build",
            "--output-logs=errors-only",
          ],
        },
      ]),
  ...BENCHES.filter((bench) => !only || only.includes(bench.name)).map((bench) => ({
    name: bench.name,
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      path.join(repoRoot, bench.script),
      "--smoke",
      ...(databaseUrl ? ["--database-url", databaseUrl] : []),
    ],
  })),
];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const say = (message: string) => process.stdout.write(`${message}\n`);

let current: ChildProcess | undefined;
let interrupted = false;
process.on("SIGINT", () => {
  interrupted = true;
  // The bench stops its processes and drops its database on SIGINT.
  current?.kill("SIGINT");
});

/** Sends `signal` to the step's process group; false when no process of it is left. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/**
 * Runs one step in a process group of its own; past the timeout it gets SIGINT (a bench's own
 * cleanup), and 30 s later the group gets SIGKILL (the bench and whatever it started). Whatever
 * of the group outlives the step (a service a failed bench did not stop) gets SIGTERM, then SIGKILL.
 */
function runStep(step: Step): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, { cwd: repoRoot, stdio: "inherit", detached: true });
    current = child;
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      say(`${step.name}: still running after ${seconds(timeoutMs)}; stopping it`);
      child.kill("SIGINT");
      killer = setTimeout(() => signalGroup(child, "SIGKILL"), 30_000);
    }, timeoutMs);
    const finish = async (ok: boolean, detail: string) => {
      clearTimeout(timer);
      clearTimeout(killer);
      current = undefined;
      if (signalGroup(child, "SIGTERM")) {
        say(`${step.name}: stopping the processes it left behind`);
        for (const deadline = Date.now() + 10_000; Date.now() < deadline && signalGroup(child, 0); )
          await new Promise((done) => setTimeout(done, 100));
        signalGroup(child, "SIGKILL");
      }
      resolve({ ok, detail });
    };
    child.once("error", (error) => void finish(false, `could not start: ${error.message}`));
    child.once("exit", (code, signal) => {
      if (timedOut) void finish(false, `timed out after ${seconds(timeoutMs)}`);
      else if (code === 0) void finish(true, "ok");
      else void finish(false, signal ? `killed by ${signal}` : `exit code ${code}`);
    });
  });
}

const durations: { name: string; ms: number; detail: string }[] = [];
const started = performance.now();
let failed: string | undefined;
for (const step of steps) {
  if (interrupted) {
    failed = "interrupted";
    break;
  }
  say(`\n=== ${step.name}${step.name === "build" ? "" : " --smoke"} ===`);
  const stepStarted = performance.now();
  const { ok, detail } = await runStep(step);
  const ms = performance.now() - stepStarted;
  durations.push({ name: step.name, ms, detail });
  say(`=== ${step.name}: ${ok ? "ok" : `FAILED (${detail})`} in ${seconds(ms)} ===`);
  if (!ok) {
    failed = step.name;
    break;
  }
}

say("\nbenchmark smoke runs:");
for (const { name, ms, detail } of durations)
  say(`  ${name.padEnd(18)} ${seconds(ms).padStart(8)}  ${detail}`);
say(`  ${"total".padEnd(18)} ${seconds(performance.now() - started).padStart(8)}`);
if (failed) {
  say(`FAILED: ${failed}${durations.length < steps.length ? " (later steps not run)" : ""}`);
  process.exitCode = 1;
} else say("all passed");
