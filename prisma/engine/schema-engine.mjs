#!/usr/bin/env node
// A Prisma schema engine for machines that cannot download Prisma's native `schema-engine` binary.
//
// The Prisma CLI spawns whatever PRISMA_SCHEMA_ENGINE_BINARY names (prisma.config.ts points it here)
// and speaks line-delimited JSON-RPC 2.0 on stdin/stdout, reading JSON log lines from stderr. This
// script forwards every RPC to Prisma's own WASM build of the same engine (@prisma/schema-engine-wasm),
// which reaches the database through a driver adapter:
//   postgresql://… / postgres://…  → @prisma/adapter-pg
//   pglite:<dir>                   → embedded PGlite (dir relative to the cwd, created if missing)
// It also implements the `--version` flag and the `cli <subcommand>` calls the CLI makes directly.
// Plain ESM on purpose: no build step may stand between `npx prisma …` and a working engine.

import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";

// ---------------------------------------------------------------- arguments and logging

const args = process.argv.slice(2);
const argValues = (name) => args.flatMap((a, i) => (a === name && i + 1 < args.length ? [args[i + 1]] : []));
const datasource = JSON.parse(argValues("--datasource")[0] ?? "{}");
const datamodelPaths = argValues("--datamodels");

// The CLI reads stderr line by line as JSON; `cli` subcommands additionally need this exact target.
const log = (level, message, extra = {}) =>
  process.stderr.write(
    `${JSON.stringify({ timestamp: new Date().toISOString(), level, fields: { message, ...extra }, target: "schema_engine::logger" })}\n`,
  );

// ---------------------------------------------------------------- the WASM engine

const require = createRequire(import.meta.url);
async function loadWasmEngine() {
  // Instantiate by hand: the package's entry `import`s the .wasm as an ES module, which Node 20 cannot.
  const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const glue = await import(pathToFileURL(gluePath).href);
  const bytes = readFileSync(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue;
}

if (args.includes("--version") || args.includes("-V")) {
  // `prisma -v` shows this line; the hash is the prisma-engines commit the WASM was built from.
  process.stdout.write(`schema-engine-cli ${(await loadWasmEngine()).version()}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------- databases and adapters

function parseUrl(url) {
  if (!url) throw new Error("No datasource URL: set datasource.url in prisma.config.ts");
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "pg", url };
  if (url.startsWith("pglite:")) {
    const rest = url.slice("pglite:".length);
    return { kind: "pglite", dir: rest.startsWith("memory://") ? rest : path.resolve(rest) };
  }
  throw new Error(`Unsupported datasource URL "${url.split(":")[0]}:…" (use postgresql://… or pglite:<dir>)`);
}

const withDatabase = (url, database) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

// Things to release before exiting; each entry is idempotent and removes itself.
const cleanups = new Set();
function onCleanup(fn, { shadow = false } = {}) {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    cleanups.delete(once);
    await fn();
  };
  once.isShadow = shadow;
  cleanups.add(once);
  return once;
}

// The engine's introspection selects catalog columns ("char", int2vector, regproc, oidvector,
// pg_node_tree, regclass, char[], name[]) that adapter-pg cannot map ("Column type 'char' could not be
// deserialized"). Relabel them as text / text[] before pg picks a parser, in this process only.
const PG_TYPE_REMAP = new Map([
  ...[18, 22, 24, 30, 194, 2205].map((oid) => [oid, 25]),
  [1002, 1009],
  [1003, 1009],
]);
const originalAddFields = pg.Result.prototype.addFields;
pg.Result.prototype.addFields = function (fields) {
  for (const f of fields) f.dataTypeID = PG_TYPE_REMAP.get(f.dataTypeID) ?? f.dataTypeID;
  return originalAddFields.call(this, fields);
};

async function withPgClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// adapter-pg splits scripts on every ";" (breaking function bodies and string literals). The native
// engine sends a migration as one simple-protocol query, i.e. one implicit transaction: do the same.
function wholeScriptPg(adapter) {
  adapter.executeScript = async (script) => {
    try {
      await adapter.underlyingDriver().query(script);
    } catch (error) {
      adapter.onError(error);
    }
  };
  return adapter;
}

function pgFactory(url) {
  const main = new PrismaPg({ connectionString: url });
  return {
    adapterName: main.adapterName,
    provider: main.provider,
    async connect() {
      const adapter = wholeScriptPg(await main.connect());
      onCleanup(() => adapter.dispose());
      return adapter;
    },
    // adapter-pg's own version spreads {...config, database} but pg lets connectionString win, so its
    // "shadow" database is the main one. Create a uniquely named database and point a URL at it.
    async connectToShadowDb() {
      if (datasource.shadowDatabaseUrl) {
        throw new Error(
          "shadowDatabaseUrl is not supported by this bridge: remove it, a temporary shadow database is created and dropped automatically",
        );
      }
      const name = `prisma_shadow_${process.pid}_${randomUUID().slice(0, 8)}`;
      await withPgClient(url, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
      const adapter = wholeScriptPg(
        await new PrismaPg({ connectionString: withDatabase(url, name) }).connect(),
      );
      // Drop only once the shadow pool is closed: PostgreSQL refuses to drop a database in use.
      const release = adapter.dispose.bind(adapter);
      adapter.dispose = onCleanup(
        async () => {
          await release();
          await withPgClient(url, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`));
        },
        { shadow: true },
      );
      return adapter;
    },
  };
}

// pglite-prisma-adapter 0.7.2 needs two fixes, both by running SQL through PGlite's simple protocol
// (exec), as pg does for a query without parameters:
// - executeScript does not await exec(): a failing migration would be recorded as applied;
// - executeRaw always prepares, so `db execute` of a multi-statement script fails with "cannot insert
//   multiple commands into a prepared statement" (adapter-pg sends those as a simple query).
function simpleProtocolPglite(adapter, db) {
  const exec = async (sql) => {
    try {
      return await db.exec(sql);
    } catch (error) {
      adapter.onError(error);
    }
  };
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeScript = async (script) => void (await exec(script));
  adapter.executeRaw = async (query) =>
    query.args.length ? executeRaw(query) : ((await exec(query.sql)).at(-1)?.affectedRows ?? 0);
  return adapter;
}

async function openPglite(dataDir, { shadow = false } = {}) {
  if (dataDir && !dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true }); // PGlite won't
  const db = await PGlite.create(dataDir);
  // The adapter's dispose() leaves PGlite open; close it ourselves so the data directory is shut down
  // cleanly (and an open PGlite would make the process exit non-zero).
  return { db, close: onCleanup(() => db.close(), { shadow }) };
}

async function pgliteFactory(dataDir) {
  const { db } = await openPglite(dataDir);
  const main = new PrismaPGlite(db);
  return {
    adapterName: main.adapterName,
    provider: main.provider,
    connect: async () => simpleProtocolPglite(await main.connect(), db),
    // The adapter's own shadow is a PGlite it never closes; use a fresh in-memory one we close.
    async connectToShadowDb() {
      const shadow = await openPglite(undefined, { shadow: true });
      const adapter = simpleProtocolPglite(await new PrismaPGlite(shadow.db).connect(), shadow.db);
      adapter.dispose = shadow.close;
      return adapter;
    },
  };
}

// ---------------------------------------------------------------- errors

// The CLI decides what to do from these codes: P1003 makes it create the database, for instance.
function userFacingPgError(error, url) {
  const u = new URL(url);
  const at = `${u.hostname}:${u.port || 5432}`;
  const code = error?.code;
  if (code === "3D000") {
    const message = `Database \`${decodeURIComponent(u.pathname.slice(1))}\` does not exist on the database server at \`${at}\`.`;
    return { error_code: "P1003", message };
  }
  if (["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EAI_AGAIN"].includes(code)) {
    const message = `Can't reach database server at \`${at}\`\n\nPlease make sure your database server is running at \`${at}\`.`;
    return { error_code: "P1001", message };
  }
  if (code === "28P01" || code === "28000") {
    const message = `Authentication failed against database server at \`${at}\`, the provided database credentials for \`${decodeURIComponent(u.username)}\` are not valid.`;
    return { error_code: "P1000", message };
  }
  return { message: error?.message ?? String(error) };
}

// WASM errors carry only a message (no P-code); "External error id#N" stands for a JS error that the
// bound adapter kept in its registry, so spell that one out.
function rpcError(error) {
  const message = String(error?.message ?? error).replace(/External error id#(\d+)/g, (all, id) => {
    const cause = boundFactory?.errorRegistry.consumeError(Number(id))?.error;
    return cause ? `${all}: ${cause.message ?? cause}` : all;
  });
  return {
    code: 4466,
    message: "An error happened. Check the data field for details.",
    data: { is_panic: false, message: message.trim(), meta: {} },
  };
}

// ---------------------------------------------------------------- `cli <subcommand>`

async function runCliSubcommand(command) {
  // The CLI skips the first stderr line and parses every other one as JSON.
  log("INFO", `Starting schema engine CLI (WASM bridge): ${command}`);
  const target = parseUrl(datasource.url);
  try {
    if (target.kind === "pglite") {
      // A PGlite directory is created on first open; "dropping" it means removing it.
      if (command === "drop-database" && !target.dir.startsWith("memory://"))
        rmSync(target.dir, { recursive: true, force: true });
      return 0;
    }
    const name = decodeURIComponent(new URL(target.url).pathname.slice(1)) || "postgres";
    if (command === "can-connect-to-database") await withPgClient(target.url, (c) => c.query("SELECT 1"));
    else if (command === "create-database" || command === "drop-database") {
      const sql = `${command === "create-database" ? "CREATE" : "DROP"} DATABASE ${quoteIdent(name)}`;
      await withPgClient(withDatabase(target.url, "postgres"), (c) => c.query(sql));
    } else throw new Error(`Unknown cli subcommand: ${command}`);
    return 0;
  } catch (error) {
    const { error_code, message } =
      target.kind === "pg" ? userFacingPgError(error, target.url) : { message: error.message };
    log("ERROR", message, error_code ? { error_code } : {});
    return 1;
  }
}

if (args.includes("cli")) {
  const code = await runCliSubcommand(args[args.indexOf("cli") + 1]);
  process.exit(code);
}

// ---------------------------------------------------------------- JSON-RPC server

const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);

let engine; // created on the first request: SchemaEngine.new() connects right away
let boundFactory;
let lastMethod;
async function getEngine() {
  if (engine) return engine;
  const glue = await loadWasmEngine();
  const target = parseUrl(datasource.url);
  const factory = target.kind === "pg" ? pgFactory(target.url) : await pgliteFactory(target.dir);
  boundFactory = bindMigrationAwareSqlAdapterFactory(factory);
  const datamodels = datamodelPaths.length
    ? datamodelPaths.map((p) => [p, readFileSync(p, "utf8")])
    : undefined;
  // The engine logs JSON lines already; the CLI keeps their messages for its error reports.
  const onLog = (line) => process.stderr.write(`${String(line).trimEnd()}\n`);
  engine = await glue.SchemaEngine.new({ datamodels }, onLog, boundFactory);
  onCleanup(() => engine.free());
  return engine;
}

// Requests we send to the CLI (only `print`), answered on stdin.
let nextOwnId = 1;
const awaitingCli = new Map();
const askCli = (method, params) =>
  new Promise((resolve) => {
    const id = `bridge-${nextOwnId++}`;
    awaitingCli.set(id, resolve);
    send({ id, method, params });
  });

async function handle(method, params) {
  const e = await getEngine();
  const name = method === "getDatabaseVersion" ? "version" : method;
  if (typeof e[name] !== "function" || name === "free")
    throw new Error(`Method not supported by the WASM schema engine: ${method}`);
  // 7.10: evaluateDataLoss never asks the factory for a shadow database; it reuses the migration
  // history that the previous devDiagnostic replayed, and any other call (applyMigrations, as in
  // `migrate dev`) discards it: "PostgreSQL shadow DB must be provided through an external factory".
  if (name === "evaluateDataLoss" && lastMethod !== "devDiagnostic") {
    await e.devDiagnostic({ migrationsList: params.migrationsList, filters: params.filters });
  }
  lastMethod = name;
  const result = await e[name](params);
  if (name === "diff" && result?.stdout != null) {
    // The native engine prints the diff through the CLI and answers without stdout; do the same.
    await askCli("print", { content: result.stdout });
    return { ...result, stdout: null };
  }
  return result ?? null;
}

// The engine disposes the shadow adapters it opens; should one survive a request (an error midway),
// drop it before answering: the CLI kills the engine right after its last answer (stdin end, SIGTERM).
async function releaseShadows() {
  const shadows = [...cleanups].filter((fn) => fn.isShadow);
  await Promise.all(shadows.map((fn) => fn()));
}

let queue = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return send({ id: null, error: { code: -32700, message: "Parse error" } });
  }
  if (!msg.method) return (awaitingCli.get(msg.id)?.(msg.result), awaitingCli.delete(msg.id));
  queue = queue.then(async () => {
    try {
      const result = await handle(msg.method, msg.params);
      await releaseShadows();
      send({ id: msg.id, result });
    } catch (error) {
      await releaseShadows().catch(() => {});
      send({ id: msg.id, error: rpcError(error) });
    }
  });
});

// ---------------------------------------------------------------- shutdown

let stopping;
function shutdown() {
  stopping ??= (async () => {
    for (const resolve of awaitingCli.values()) resolve(); // the CLI will not answer a `print` any more
    await queue.catch(() => {});
    for (const fn of [...cleanups].reverse())
      await fn().catch((e) => log("WARN", `cleanup failed: ${e.message}`));
    process.exit(0);
  })();
  return stopping;
}
rl.on("close", shutdown);
process.on("SIGTERM", shutdown); // the CLI sends it right after closing stdin; finish cleaning up first
process.on("SIGINT", shutdown);
