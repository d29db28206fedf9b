import { rm, writeFile } from "node:fs/promises";
import { Presets, SingleBar } from "cli-progress";
import { stringify } from "csv-stringify/sync";

/** A row that was not imported: its line and cells as read, the status and the reason why. */
export type RejectedRow = {
  readonly line: number;
  readonly cells: Readonly<Record<string, string>>;
  readonly status: string;
  readonly reason: string;
};

/** What `hubs import` reports, on stdout as a table or as JSON. */
export type ImportSummary = {
  readonly created: number;
  readonly unchanged: number;
  readonly rejected: number;
  readonly total: number;
  readonly durationSeconds: number;
  /** Rows the gateway answered, per second of the run. */
  readonly hubsPerSecond: number;
  readonly rejectedFile: string | null;
};

/** Next to the input, so the operator finds it and can fix and re-import just those rows. */
export function rejectedFilePath(file: string): string {
  return `${file}.rejected.csv`;
}

const EXTRA_COLUMNS = ["line", "status", "reason"] as const;

/**
 * The rejected rows as CSV: the input's columns (so the file can be fixed and imported again once
 * the three extra columns are dropped) plus `line`, `status` and `reason`, in line order.
 */
export function rejectedCsv(columns: readonly string[], rows: readonly RejectedRow[]): string {
  const sorted = [...rows].sort((a, b) => a.line - b.line);
  const records = sorted.map((row) => [
    ...columns.map((name) => row.cells[name] ?? ""),
    String(row.line),
    row.status,
    row.reason,
  ]);
  return stringify([[...columns, ...EXTRA_COLUMNS], ...records]);
}

/** Writes the rejected rows, or removes a file left by an earlier run when there are none. */
export async function writeRejectedFile(
  path: string,
  columns: readonly string[],
  rows: readonly RejectedRow[],
): Promise<string | null> {
  if (rows.length === 0) {
    await rm(path, { force: true });
    return null;
  }
  await writeFile(path, rejectedCsv(columns, rows));
  return path;
}

/** The table people read at the end of a run. */
export function summaryText(summary: ImportSummary): string {
  const rows: [string, string][] = [
    ["created", String(summary.created)],
    ["unchanged", String(summary.unchanged)],
    ["rejected", String(summary.rejected)],
    ["total", String(summary.total)],
    ["duration", `${summary.durationSeconds.toFixed(1)} s`],
    ["hubs/s", String(summary.hubsPerSecond)],
  ];
  const width = Math.max(...rows.map(([, value]) => value.length));
  const table = rows.map(([label, value]) => `${label.padEnd(10)} ${value.padStart(width)}`);
  if (summary.rejectedFile) table.push("", `rejected rows: ${summary.rejectedFile}`);
  return table.join("\n");
}

/** Rows per second: whole numbers (what an operator compares between runs), tenths below 10. */
export function rate(rows: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  const perSecond = (rows * 1000) / elapsedMs;
  return perSecond < 10 ? Math.round(perSecond * 10) / 10 : Math.round(perSecond);
}

/** Progress of a run on stderr; `update` after each chunk. */
export type Progress = { update(done: number, hubsPerSecond: number): void; stop(): void };

/**
 * A bar (rows done/total, hubs/s, ETA) on a terminal; elsewhere, or when stdout is JSON for a
 * program, one plain line per chunk, which a log or CI output keeps readable.
 */
export function createProgress(
  stream: NodeJS.WriteStream,
  total: number,
  done: number,
  options: { readonly bar: boolean },
): Progress {
  if (!options.bar) {
    return {
      update: (now, perSecond) => stream.write(`imported ${now}/${total} rows (${perSecond} hubs/s)\n`),
      stop: () => {},
    };
  }
  const bar = new SingleBar(
    {
      stream,
      format: "importing [{bar}] {value}/{total} rows | {rate} hubs/s | ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  bar.start(total, done, { rate: 0 });
  return {
    update: (now, perSecond) => bar.update(now, { rate: perSecond }),
    stop: () => bar.stop(),
  };
}
