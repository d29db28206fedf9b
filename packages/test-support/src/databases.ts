import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { childEnv, testEnv } from "./env.ts";

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Tests run on real PostgreSQL when TEST_DATABASE_URL names a server (CI does), else on embedded
 * PGlite. TEST_DATABASE_ENGINE=pglite forces PGlite even when a server is configured.
 */
export function testEngine(): "postgresql" | "pglite" {
  const env = testEnv();
  if (env.TEST_DATABASE_ENGINE === "pglite") return "pglite";
  return env.TEST_DATABASE_URL ? "postgresql" : "pglite";
}

/** The configured PostgreSQL server (optionally another database on it); no default server is assumed. */
export function serverUrl(database?: string): string {
  const configured = testEnv().TEST_DATABASE_URL;
  if (!configured) throw new Error("TEST_DATABASE_URL is not set: no PostgreSQL server is configured");
  const url = new URL(configured);
  if (database) url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Applies the committed migrations with the standard Prisma CLI (through the WASM engine bridge). */
export async function migrateDeploy(databaseUrl: string): Promise<void> {
  await run(
    process.execPath,
    [path.join(repoRoot, "node_modules/prisma/build/index.js"), "migrate", "deploy"],
    {
      cwd: repoRoot,
      env: childEnv({ DATABASE_URL: databaseUrl }),
      timeout: 120_000,
    },
  );
}

export type Template = { readonly engine: "postgresql" | "pglite"; readonly location: string };

/** Once per test run: a migrated template that every test file clones cheaply. */
export async function createTemplate(): Promise<{ template: Template; dispose(): Promise<void> }> {
  const engine = testEngine();
  if (engine === "postgresql") {
    const name = `hub_tpl_${process.pid}_${randomBytes(3).toString("hex")}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    await migrateDeploy(serverUrl(name));
    return {
      template: { engine, location: name },
      dispose: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "hub-tpl-"));
  await migrateDeploy(`pglite:${dir}`);
  return { template: { engine, location: dir }, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export type TestDatabase = { readonly url: string; drop(): Promise<void> };

/** A fresh database for one test file, cloned from the migrated template. */
export async function cloneTemplate(template: Template): Promise<TestDatabase> {
  if (template.engine === "postgresql") {
    const name = `hub_test_${randomBytes(6).toString("hex")}`;
    await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template.location}`);
    return { url: serverUrl(name), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "hub-db-"));
  await cp(template.location, dir, { recursive: true });
  return { url: `pglite:${dir}`, drop: () => rm(dir, { recursive: true, force: true }) };
}
