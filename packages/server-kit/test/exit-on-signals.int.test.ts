import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const fixture = fileURLToPath(new URL("./fixtures/signal-exit.ts", import.meta.url));

/** Starts the fixture with stdout piped and resolves once it logged "ready". */
async function start() {
  const child = spawn(process.execPath, ["--import", tsx, fixture], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.includes('"msg":"ready"')) resolve();
    });
    child.once("exit", () => reject(new Error(`fixture exited early: ${stdout}`)));
  });
  return { child, exited, stdout: () => stdout };
}

/** The exit, or "still running" if the process has not exited within `ms` (then it is killed). */
async function exitWithin(started: Awaited<ReturnType<typeof start>>, ms: number) {
  const timer = new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), ms));
  const outcome = await Promise.race([started.exited, timer]);
  if (outcome === "still running") started.child.kill("SIGKILL");
  return outcome;
}

describe("exitOnSignals", () => {
  it("SIGTERM: exits 0 after writing its last log lines", async () => {
    const started = await start();
    started.child.kill("SIGTERM");
    expect(await exitWithin(started, 10_000)).toEqual({ code: 0, signal: null });
    expect(started.stdout()).toContain('"msg":"fixture shutting down"');
    expect(started.stdout()).toContain('"msg":"fixture stopped"');
  }, 15_000);

  it("SIGTERM with nobody reading stdout any more (log collector gone): still exits 0", async () => {
    const started = await start();
    // Close our end of the pipe: the process's next log write fails with EPIPE.
    started.child.stdout.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    started.child.kill("SIGTERM");
    expect(await exitWithin(started, 10_000)).toEqual({ code: 0, signal: null });
  }, 15_000);
});
