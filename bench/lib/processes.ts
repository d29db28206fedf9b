import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "@hub/test-support";

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/** CPU time a process has used (user + system, all threads), in ms; undefined if it is gone. */
export async function processCpuMs(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * (1000 / CLOCK_TICKS);
}

export type BenchProcess = {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** From spawning the process to its first successful readiness answer (polled every 25 ms). */
  readonly readyMs: number;
  /** Resident set size now, in MB (Linux /proc). */
  rssMb(): Promise<number | undefined>;
  /** CPU time used so far (user + system, all threads), in ms (Linux /proc, 10 ms ticks). */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
};

/**
 * Starts a service as a real process, like test-support's startService, with extra node flags
 * (`--cpu-prof` is not allowed in NODE_OPTIONS, so it must go on the command line).
 */
export async function startProcess(options: {
  name: string;
  entry: string;
  env: Record<string, string>;
  port: number;
  readyPath: string;
  logDir: string;
  nodeArgs?: readonly string[];
}): Promise<BenchProcess> {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const spawnedAt = performance.now();
  const log = createWriteStream(logFile, { flags: "a" });
  // A built entry (dist/*.js) runs under plain node, as production runs it; sources under tsx.
  const loader = options.entry.endsWith(".js") ? [] : ["--import", "tsx"];
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...loader, path.join(repoRoot, options.entry)],
    { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited early; see ${logFile}`);
    const ok = await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${options.name} did not become ready; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const readyMs = performance.now() - spawnedAt;
  return {
    readyMs,
    name: options.name,
    url,
    child,
    logFile,
    async rssMb() {
      if (child.pid === undefined || child.exitCode !== null) return undefined;
      const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
    },
    async cpuMs() {
      return child.pid === undefined ? 0 : ((await processCpuMs(child.pid)) ?? 0);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        // Generous: a process writing its CPU profile on exit needs a moment.
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
