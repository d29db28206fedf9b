import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { repoRoot } from "@hub/test-support";
import { expect } from "vitest";

const run = promisify(execFile);
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const cliEntry = path.join(repoRoot, "apps/hub-service/src/cli/main.ts");

export type CliResult = { code: number; stdout: string; stderr: string };

/**
 * The CLI as operators run it: a separate process. Nothing it reads is inherited from the test
 * run (a developer's shell, vitest's NODE_ENV=test), so each case states its environment.
 */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
  cwd = repoRoot,
): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(AWS_|DATABASE_URL|SERVICE_JWT_SECRET|GATEWAY_JWT_SECRET|WEBHOOK_|NODE_ENV)/.test(name),
    ),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", tsxLoader, cliEntry, ...args], {
      cwd,
      env: { ...inherited, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** A refusal: exit 1, nothing on stdout, one line on stderr (no stack trace). */
export function expectOneLineFailure(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
}
