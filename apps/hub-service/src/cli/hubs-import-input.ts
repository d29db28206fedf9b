import { CsvError, parse } from "csv-parse/sync";
import { UsageError } from "./command.ts";

/** The ProvisionHub body fields, in the order a file written for people would have them. */
export const BODY_FIELDS = ["hubId", "serial", "model", "thingName", "vendorName"] as const;
const REQUIRED_FIELDS: readonly string[] = ["hubId", "serial", "model"];

/**
 * One data row of the input file. `cells` are its values by column, as written (for the rejected
 * file); a row that can be sent has the ProvisionHub `body`, one that cannot has the `reason`.
 */
export type InputRow =
  | {
      readonly line: number;
      readonly cells: Readonly<Record<string, string>>;
      readonly body: Readonly<Record<string, unknown>>;
    }
  | { readonly line: number; readonly cells: Readonly<Record<string, string>>; readonly reason: string };

/** A parsed file: its columns (the CSV header, or the body fields for JSONL) and its rows in order. */
export type ImportInput = { readonly columns: readonly string[]; readonly rows: readonly InputRow[] };

export type InputFormat = "csv" | "jsonl";

/** The format is told by the file name, so a wrong file is refused before anything is sent. */
export function inputFormatOf(file: string): InputFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  throw new UsageError("the file must end in .csv or .jsonl");
}

type CsvRecord = { readonly record: string[]; readonly info: { readonly bytes: number } };

/** The rows of a file in either format, checked as far as they can be without the gateway. */
export function parseInput(format: InputFormat, content: Buffer): ImportInput {
  return format === "csv" ? parseCsv(content) : parseJsonl(content);
}

/**
 * CSV with a header row naming body fields; an empty cell leaves its field out. A row with the
 * wrong number of cells is rejected here, with its line. The header is checked first: an unknown,
 * repeated or missing required column would fail every row, so it is a usage error. Broken quoting
 * is one too: after an unclosed quote the parser cannot tell where rows start again.
 */
export function parseCsv(content: Buffer): ImportInput {
  let records: CsvRecord[];
  try {
    const options = { bom: true, relax_column_count: true, skip_empty_lines: true, info: true };
    // With `info: true` each record comes with its parse info, which csv-parse's types do not model.
    records = parse(content, options) as unknown as CsvRecord[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const at = (error as CsvError & { bytes?: number }).bytes;
    const where = at === undefined ? "" : ` at line ${lineCounter(content)(at)}`;
    throw new UsageError(`the file is not valid CSV${where}: ${error.message.split(":")[0]}`);
  }
  const [header, ...data] = records;
  if (!header) throw new UsageError("the CSV file is empty: it needs a header row naming the columns");
  const columns = checkHeader(header.record.map((name) => name.trim()));
  const rows: InputRow[] = [];
  const lineAt = lineCounter(content);
  let end = header.info.bytes;
  for (const { record, info } of data) {
    const line = lineAt(firstContentByte(content, end));
    end = info.bytes;
    rows.push(csvRow(columns, record, line));
  }
  return { columns, rows };
}

function checkHeader(columns: string[]): string[] {
  const known: readonly string[] = BODY_FIELDS;
  const unknown = columns.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const names = unknown.map((name) => JSON.stringify(name)).join(", ");
    throw new UsageError(`unknown column(s) ${names} in the CSV header (known: ${BODY_FIELDS.join(", ")})`);
  }
  const repeated = columns.filter((name, index) => columns.indexOf(name) !== index);
  if (repeated.length > 0) {
    throw new UsageError(`column(s) ${[...new Set(repeated)].join(", ")} appear twice in the CSV header`);
  }
  const missing = REQUIRED_FIELDS.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new UsageError(`the CSV header lacks the required column(s) ${missing.join(", ")}`);
  }
  return columns;
}

function csvRow(columns: readonly string[], record: readonly string[], line: number): InputRow {
  const cells: Record<string, string> = {};
  columns.forEach((name, index) => {
    cells[name] = record[index] ?? "";
  });
  if (record.length !== columns.length) {
    return { line, cells, reason: `row has ${record.length} fields, the header has ${columns.length}` };
  }
  const body = Object.fromEntries(Object.entries(cells).filter(([, value]) => value !== ""));
  return { line, cells, body };
}

/** A record starts after the previous one's end, past the empty lines the parser skipped. */
function firstContentByte(content: Buffer, from: number): number {
  let at = from;
  while (at < content.length && (content[at] === 0x0a || content[at] === 0x0d)) at++;
  return at;
}

/**
 * The 1-based line of a byte offset, for offsets asked in increasing order (one pass over the file).
 * Counting LF bytes is exact in UTF-8, and a CRLF line ending has one LF.
 */
function lineCounter(content: Buffer): (offset: number) => number {
  let line = 1;
  let next = content.indexOf(0x0a);
  return (offset) => {
    while (next !== -1 && next < offset) {
      line++;
      next = content.indexOf(0x0a, next + 1);
    }
    return line;
  };
}

/**
 * One JSON object per line, sent as it is (the gateway judges its fields); blank lines are
 * ignored. A line that is not JSON, or not an object, is rejected here with its line number.
 */
export function parseJsonl(content: Buffer): ImportInput {
  const rows: InputRow[] = [];
  const lines = content
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .split("\n");
  lines.forEach((text, index) => {
    if (text.trim() === "") return;
    rows.push(jsonlRow(text, index + 1));
  });
  return { columns: BODY_FIELDS, rows };
}

function jsonlRow(text: string, line: number): InputRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { line, cells: {}, reason: `line is not valid JSON (${(error as Error).message})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { line, cells: {}, reason: "line is not a JSON object" };
  }
  const body = value as Record<string, unknown>;
  const cells: Record<string, string> = {};
  for (const name of BODY_FIELDS) {
    const field = body[name];
    if (field !== undefined) cells[name] = typeof field === "string" ? field : JSON.stringify(field);
  }
  return { line, cells, body };
}

/** Consecutive slices of at most `size` items: one request each. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
