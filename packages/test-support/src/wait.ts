import { readFile } from "node:fs/promises";

/**
 * Polls `condition` until it holds. The wait is for an event (a request seen in flight, a row
 * written, a log line on disk), not for time: `timeoutMs` only turns a hang into a failure with
 * `what` in its message, and is generous on purpose.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 30_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until a log file holds a line containing every one of `parts` (pino writes asynchronously). */
export async function waitForLogLine(file: string, ...parts: string[]): Promise<string> {
  let found = "";
  await waitUntil(
    async () => {
      const log = await readFile(file, "utf8").catch(() => "");
      found = log.split("\n").find((line) => parts.every((part) => line.includes(part))) ?? "";
      return found !== "";
    },
    `a line with ${parts.join(" and ")} in ${file}`,
  );
  return found;
}
