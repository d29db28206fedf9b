import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/** Progress goes to stderr, so stdout holds only the report. */
export const log = (message: string) => process.stderr.write(`${message}\n`);
export const loadAverage = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
export const mean = (values: readonly number[]) => values.reduce((sum, n) => sum + n, 0) / values.length;
export const fixed = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits);

export type BenchDatabase = {
  /** For the report: the engine and the database's name or directory. */
  readonly label: string;
  readonly url: string;
  readonly drop: () => Promise<void>;
};

/**
 * A fresh, empty database for one bench run: on the PostgreSQL server at `serverUrl` (a database
 * named `hub_bench_<tag>_<random>`), or a PGlite directory when there is no server; `drop` removes it.
 */
export async function freshDatabase(serverUrl: string | undefined, tag: string): Promise<BenchDatabase> {
  if (serverUrl === undefined) {
    const dir = await mkdtemp(path.join(os.tmpdir(), `hub-bench-${tag}-pglite-`));
    return {
      label: `PGlite (${dir})`,
      url: `pglite:${dir}`,
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const name = `hub_bench_${tag}_${randomBytes(5).toString("hex")}`;
  const onServer = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await onServer(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    label: `PostgreSQL (${name})`,
    url: url.toString(),
    drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
