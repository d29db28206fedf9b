// The standard Prisma CLI, run the way a developer or CI runs it, must manage our schema on both
// engines through prisma/engine/schema-engine.mjs (the bridge to Prisma's WASM schema engine).
// PGlite always; PostgreSQL when TEST_DATABASE_URL names a server, and then an unreachable server
// fails this file.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { hasPostgres, NEEDS_POSTGRES, serverUrl } from "@hub/test-support";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const TIMEOUT = 60_000;
const TABLES = [
  "_prisma_migrations",
  "api_keys",
  "audit_records",
  "hub_command_sends",
  "hub_commands",
  "hub_events",
  "hubs",
  "log_consumers",
  "organizations",
  "rule_destination_confirmations",
  "webhook_deliveries",
  "webhook_delivery_attempts",
  "webhook_subscriptions",
];
const TABLES_SQL =
  "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name";

async function committedMigrations(): Promise<string[]> {
  const entries = await readdir(path.join(repoRoot, "prisma/migrations"), { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

function prisma(databaseUrl: string, ...args: string[]) {
  return run("npx", ["prisma", ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    timeout: TIMEOUT,
  });
}

/** `migrate status` must exit non-zero and name every migration while the database lacks them. */
async function expectPending(databaseUrl: string) {
  const failure = await prisma(databaseUrl, "migrate", "status").then(
    () => undefined,
    (error: { code?: number; stdout?: string }) => error,
  );
  expect(failure?.code).toBe(1);
  expect(failure?.stdout).toContain("not yet been applied");
  for (const name of await committedMigrations()) expect(failure?.stdout).toContain(name);
}

/** Deploys the committed migrations, then checks that status says up to date. */
async function deployAndCheckStatus(databaseUrl: string) {
  const deploy = await prisma(databaseUrl, "migrate", "deploy");
  expect(deploy.stdout).toContain("All migrations have been successfully applied.");
  const status = await prisma(databaseUrl, "migrate", "status");
  expect(status.stdout).toContain("Database schema is up to date!");
}

describe("prisma CLI through the WASM schema engine bridge", () => {
  describe.runIf(hasPostgres())(`on PostgreSQL (${NEEDS_POSTGRES})`, () => {
    const database = `prisma_cli_${process.pid}_${randomBytes(4).toString("hex")}`;
    // Lazily: the body is collected even when the group is skipped.
    const url = () => serverUrl(database);

    async function query(connectionString: string, sql: string) {
      const client = new pg.Client({ connectionString });
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    }

    beforeAll(() => query(serverUrl(), `CREATE DATABASE ${database}`), TIMEOUT);
    afterAll(() => query(serverUrl(), `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`), TIMEOUT);

    it(
      "migrate status reports pending migrations, migrate deploy applies them, status is up to date",
      async () => {
        await expectPending(url());
        await deployAndCheckStatus(url());
        const { rows } = await query(url(), TABLES_SQL);
        expect(rows.map((r) => r.table_name)).toEqual(TABLES);
      },
      TIMEOUT,
    );
  });

  describe("on PGlite", () => {
    let tmp = "";
    // A directory that does not exist yet: the bridge has to create it.
    const dataDir = () => path.join(tmp, "nested", "pglite");

    beforeAll(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), "prisma-cli-"));
    });
    afterAll(() => rm(tmp, { recursive: true, force: true }));

    it(
      "migrate status reports pending migrations, migrate deploy applies them, status is up to date",
      async () => {
        await expectPending(`pglite:${dataDir()}`);
        await deployAndCheckStatus(`pglite:${dataDir()}`);
        // The bridge has exited and closed the directory; open it ourselves to look at the tables.
        const db = await PGlite.create(dataDir());
        try {
          const { rows } = await db.query<{ table_name: string }>(TABLES_SQL);
          expect(rows.map((r) => r.table_name)).toEqual(TABLES);
        } finally {
          await db.close();
        }
      },
      TIMEOUT,
    );
  });
});
