import { readFile } from "node:fs/promises";
import { maxBulkItems } from "@hub/shared";
import pMap from "p-map";
import {
  type Command,
  parseCommandArgs,
  parsePositiveInteger,
  requireOption,
  UsageError,
} from "./command.ts";
import type { CliEnv } from "./env.ts";
import {
  type Credential,
  defaultRetryPolicy,
  gatewayTarget,
  type RetryPolicy,
  type SendOptions,
  sendChunk,
} from "./hubs-import-client.ts";
import { chunk, type ImportInput, inputFormatOf, parseInput } from "./hubs-import-input.ts";
import {
  createProgress,
  type ImportSummary,
  type RejectedRow,
  rate,
  rejectedFilePath,
  summaryText,
  writeRejectedFile,
} from "./hubs-import-output.ts";

/** What the command needs from its process; tests and other callers pass their own. */
export type HubsImportDeps = {
  /** Progress goes here: a bar when it is a terminal, plain lines otherwise. */
  readonly stderr: NodeJS.WriteStream;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
};

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;
// A full chunk is 1,000 provisionings, each with a registry lookup: minutes, not seconds, at worst.
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * `hubs import`: a partner's bulk provisioning from a CSV or JSONL file, through the gateway's
 * public `POST /hubs/ProvisionHubs` exactly as a partner's own client would call it (so it needs
 * no database and works against any deployment). Rows that cannot be imported are written to
 * `<file>.rejected.csv` and make the exit code 1; re-running a file is safe (repeats are 200).
 */
export function hubsImport(deps: HubsImportDeps): Command {
  return {
    usage:
      "hubs import <file.csv|file.jsonl> --url <gateway> (--api-key <key> | --bearer <jwt> | env HUB_API_KEY/HUB_BEARER_TOKEN) [--chunk-size 1000] [--concurrency 4]",
    async run({ args, env }) {
      const options = importOptions(args, env);
      const input = parseInput(inputFormatOf(options.file), await readInput(options.file));
      const send: Omit<SendOptions, "signal"> = {
        target: gatewayTarget(options.url, options.credential),
        retry: deps.retry ?? defaultRetryPolicy,
        fetch: deps.fetch ?? fetch,
        timeoutMs: REQUEST_TIMEOUT_MS,
      };
      const summary = await importRows(input, options, send, deps.stderr);
      return {
        data: summary,
        text: summaryText(summary),
        ...(summary.rejected > 0
          ? {
              exitCode: 1 as const,
              warning: `${summary.rejected} of ${summary.total} rows were rejected: see ${summary.rejectedFile}`,
            }
          : {}),
      };
    },
  };
}

type ImportOptions = {
  readonly file: string;
  readonly url: string;
  readonly credential: Credential;
  readonly chunkSize: number;
  readonly concurrency: number;
  readonly json: boolean;
};

function importOptions(
  args: readonly string[],
  env: Pick<CliEnv, "HUB_API_KEY" | "HUB_BEARER_TOKEN">,
): ImportOptions {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      url: { type: "string" },
      "api-key": { type: "string" },
      bearer: { type: "string" },
      "chunk-size": { type: "string" },
      concurrency: { type: "string" },
    },
    ["file"],
  );
  // From the environment only when neither flag is given (a flag on the command line is visible in `ps`).
  const fromFlags = values["api-key"] !== undefined || values.bearer !== undefined;
  const apiKey = fromFlags ? values["api-key"] : env.HUB_API_KEY;
  const bearer = fromFlags ? values.bearer : env.HUB_BEARER_TOKEN;
  if ((apiKey === undefined) === (bearer === undefined)) {
    throw new UsageError(
      "give exactly one of --api-key and --bearer (or the environment's HUB_API_KEY or HUB_BEARER_TOKEN)",
    );
  }
  return {
    file: positionals[0] ?? "",
    url: requireOption(values.url, "--url"),
    credential:
      apiKey !== undefined
        ? { apiKey: requireOption(apiKey, "--api-key") }
        : { bearer: requireOption(bearer, "--bearer") },
    chunkSize: parsePositiveInteger(values["chunk-size"], "--chunk-size", maxBulkItems) ?? maxBulkItems,
    concurrency:
      parsePositiveInteger(values.concurrency, "--concurrency", MAX_CONCURRENCY) ?? DEFAULT_CONCURRENCY,
    json: values.json === true,
  };
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}${code ? ` (${code})` : ""}`);
  }
}

/**
 * Rows rejected while reading are reported without being sent; the others go in chunks, several
 * in flight. A chunk that stops the run (credentials refused, gateway gone) aborts the others.
 */
async function importRows(
  input: ImportInput,
  options: ImportOptions,
  send: Omit<SendOptions, "signal">,
  stderr: NodeJS.WriteStream,
): Promise<ImportSummary> {
  const startedAt = performance.now();
  const rejected: RejectedRow[] = [];
  const sendable: { line: number; cells: Readonly<Record<string, string>>; body: unknown }[] = [];
  for (const row of input.rows) {
    if ("reason" in row)
      rejected.push({ line: row.line, cells: row.cells, status: "local", reason: row.reason });
    else sendable.push(row);
  }
  const total = input.rows.length;
  const counts = { created: 0, unchanged: 0, answered: 0 };
  const done = () => rejected.length + counts.created + counts.unchanged;
  const progress = createProgress(stderr, total, done(), { bar: stderr.isTTY === true && !options.json });
  const abort = new AbortController();
  try {
    await pMap(
      chunk(sendable, options.chunkSize),
      async (rows) => {
        const outcomes = await sendChunk(
          rows.map((row) => row.body),
          { ...send, signal: abort.signal },
        );
        if (abort.signal.aborted) return;
        outcomes.forEach((outcome, position) => {
          const row = rows[position];
          if (!row) return;
          if (outcome.kind === "rejected")
            rejected.push({ ...row, status: outcome.status, reason: outcome.reason });
          else counts[outcome.kind]++;
        });
        counts.answered += rows.length;
        progress.update(done(), rate(counts.answered, performance.now() - startedAt));
      },
      { concurrency: options.concurrency },
    );
  } catch (error) {
    abort.abort();
    throw stopped(error, done(), total, send.target.redact);
  } finally {
    progress.stop();
  }
  const elapsedMs = performance.now() - startedAt;
  const rejectedFile = await writeRejectedFile(rejectedFilePath(options.file), input.columns, rejected);
  return {
    created: counts.created,
    unchanged: counts.unchanged,
    rejected: rejected.length,
    total,
    durationSeconds: Math.round(elapsedMs / 10) / 100,
    hubsPerSecond: rate(counts.answered, elapsedMs),
    rejectedFile,
  };
}

/** The one line the operator sees, never with the credential, and telling that a re-run is safe. */
function stopped(error: unknown, done: number, total: number, redact: (text: string) => string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const progress = done > 0 ? ` (stopped after ${done} of ${total} rows; re-running the file is safe)` : "";
  return new Error(`${redact(message)}${progress}`);
}
