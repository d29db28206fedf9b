import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapterFactory, SqlQuery, SqlQueryable } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";

export type Database = {
  readonly prisma: PrismaClient;
  readonly engine: "postgresql" | "pglite";
  /** PostgreSQL: the connection pool now (metrics); PGlite has no pool. */
  poolStats(): PoolStats | undefined;
  close(): Promise<void>;
};

export type PoolStats = { readonly inUse: number; readonly idle: number; readonly waiting: number };

export type DatabaseOptions = {
  /** `postgresql://…` for a PostgreSQL server; `pglite:<dir>` (or `pglite:memory`) for embedded PGlite. */
  readonly url: string;
  readonly poolSize?: number;
  /** PostgreSQL: give up opening a connection after this long (default 5 000). */
  readonly connectTimeoutMs?: number;
  /**
   * PostgreSQL: give up on a statement after this long (default 5 000), both server-side
   * (`statement_timeout`: lock waits, slow plans) and client-side (`query_timeout`: a server or
   * network that stopped answering), so a request fails as unavailable instead of hanging.
   */
  readonly queryTimeoutMs?: number;
  /**
   * Called with every SQL statement the client sends through its driver adapter (tests count
   * statements to prove a read is one query; Prisma's `$on("query")` does not fire with adapters).
   */
  readonly onStatement?: (sql: string) => void;
};

export function isPgliteUrl(url: string): boolean {
  return url.startsWith("pglite:");
}

/** Resolves `pglite:<dir>` to an absolute directory, or undefined for an in-memory database. */
export function pgliteDirectory(url: string, cwd = process.cwd()): string | undefined {
  const location = url.slice("pglite:".length);
  if (location === "" || location === "memory" || location === "memory://") return undefined;
  return path.resolve(cwd, location);
}

/** One database URL, two engines: the same schema and migrations on PGlite and PostgreSQL. */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (isPgliteUrl(options.url)) {
    const dir = pgliteDirectory(options.url);
    // PGlite does not create parent directories itself.
    if (dir) await mkdir(dir, { recursive: true });
    // Loaded only for PGlite: importing it costs ~45 MB of RSS that a PostgreSQL deployment never uses.
    const [{ PGlite }, { PrismaPGlite }] = await Promise.all([
      import("@electric-sql/pglite"),
      import("pglite-prisma-adapter"),
    ]);
    const pglite = dir ? new PGlite(dir) : new PGlite();
    const work = inFlight();
    const prisma = new PrismaClient({
      adapter: observed(new PrismaPGlite(pglite), options.onStatement, work),
    });
    return {
      prisma,
      engine: "pglite",
      poolStats: () => undefined,
      async close() {
        await work.idle(5_000);
        await prisma.$disconnect();
        // The adapter's dispose leaves PGlite open; an open instance makes the process exit non-zero.
        await pglite.close();
      },
    };
  }
  // Our own pool, so its counts can be reported; the adapter ends it on disconnect
  // (`disposeExternalPool`; without it an external pool outlives the client, its idle
  // connections unwatched).
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 16,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: options.queryTimeoutMs ?? 5_000,
    query_timeout: options.queryTimeoutMs ?? 5_000,
    keepAlive: true,
  });
  const adapter = new PrismaPg(pool, {
    statementNameGenerator: preparedStatementNames(),
    disposeExternalPool: true,
  });
  const work = inFlight();
  const prisma = new PrismaClient({ adapter: observed(adapter, options.onStatement, work) });
  return {
    prisma,
    engine: "postgresql",
    poolStats: () => ({
      inUse: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    async close() {
      await work.idle(5_000);
      await prisma.$disconnect();
    },
  };
}

/**
 * Names statements by their SQL text, so that each connection parses and plans a statement once
 * and then only binds and executes it: PostgreSQL spent 0.39-0.42 ms of CPU on every unnamed
 * provisioning statement (a CTE: parse and plan each time) and 0.16 ms on the same statement
 * prepared (measured on this machine, 16 connections). Bounded: past `max` distinct texts,
 * further statements run unnamed as before. Prisma generates the same text for the same query
 * shape, so a bounded set covers the service's queries. Prisma names every column it selects,
 * so an added column (a migration applied while the service runs) does not change a prepared
 * statement's result type; PostgreSQL re-plans prepared statements after DDL by itself.
 */
function preparedStatementNames(max = 500): (query: SqlQuery) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < max) {
      name = `hub_${names.size + 1}`;
      names.set(sql, name);
    }
    return name ?? ""; // pg runs a statement without a name unnamed
  };
}

/** The adapter factory as is, or one whose connections report each statement before running it. */
function observed(
  factory: SqlDriverAdapterFactory,
  onStatement: ((sql: string) => void) | undefined,
  work?: InFlight,
): SqlDriverAdapterFactory {
  if (!onStatement && !work) return factory;
  const watch = <T extends SqlQueryable>(target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== "function") return value;
        if (property === "queryRaw" || property === "executeRaw") {
          return (query: SqlQuery) => {
            onStatement?.(query.sql);
            return work ? work.run(() => value.call(object, query)) : value.call(object, query);
          };
        }
        if (property === "startTransaction") {
          return async (...args: unknown[]) => watch(await value.apply(object, args));
        }
        return value.bind(object);
      },
    });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => watch(await factory.connect()),
  };
}

/**
 * The statements running on an adapter, so closing waits for them (up to a bound): a statement
 * nobody awaits — an API key's "last used" write — can be in flight when a process or a test
 * closes its database. On PostgreSQL it would be cut off; PGlite must never be closed under one,
 * its engine then spins in a synchronous loop that blocks the process for good (no timer fires,
 * not even a test's time-out).
 */
type InFlight = {
  run<T>(statement: () => Promise<T>): Promise<T>;
  /** Resolves once no statement has run for a turn of the event loop, or after `limitMs`. */
  idle(limitMs: number): Promise<void>;
};

function inFlight(): InFlight {
  let running = 0;
  let started = 0;
  return {
    async run(statement) {
      running += 1;
      started += 1;
      try {
        return await statement();
      } finally {
        running -= 1;
      }
    },
    async idle(limitMs) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const seen = started;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if ((running === 0 && started === seen) || Date.now() >= deadline) return;
      }
    },
  };
}
