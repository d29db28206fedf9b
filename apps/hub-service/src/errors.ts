import { type AppError, isAppError, UnavailableError } from "@hub/shared";
import { Prisma } from "./generated/prisma/client.ts";

// P2028: no pool connection to start a transaction within `maxWait` (overload, not a bug).
const unreachableCodes = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
/** Socket errors, and PostgreSQL SQLSTATEs that mean "the server cannot serve you right now". */
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "57014", // query_canceled: our statement_timeout fired
  "53300", // too_many_connections
]);
/** adapter-pg's DriverAdapterError kinds for the same situations. */
const unavailableKinds = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
]);
/** Plain `Error`s from node-postgres that carry no code. */
const unavailableMessages =
  /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Query read timeout|not queryable|Server has closed the connection/i;

/**
 * The database not answering is a dependency outage (503, retry later), not a bug (500).
 * Driver adapters surface it in several shapes: Prisma's own codes, a DriverAdapterError under
 * `meta.driverAdapterError` (adapter-pg: `{kind: "ConnectionClosed"}` when a pooled connection is
 * cut mid-query, `{kind: "postgres", code: "57014"}` on a statement timeout), or node-postgres'
 * plain errors in a `cause` chain. Walk all of them.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError && unreachableCodes.has(error.code)) return true;
  const pending: unknown[] = [error];
  for (let visited = 0; pending.length > 0 && visited < 12; visited++) {
    const current = pending.shift();
    if (!current || typeof current !== "object") continue;
    const { code, originalCode, message, kind, cause, meta } = current as Record<string, unknown>;
    if (typeof code === "string" && unavailableCodes.has(code)) return true;
    if (typeof originalCode === "string" && unavailableCodes.has(originalCode)) return true;
    if (typeof kind === "string" && unavailableKinds.has(kind)) return true;
    if (typeof message === "string" && unavailableMessages.test(message)) return true;
    pending.push(cause, (meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError);
  }
  return false;
}

/** Maps anything a handler threw to an AppError when it is an expected failure. */
export function toAppError(error: unknown): AppError | undefined {
  if (isAppError(error)) return error;
  if (isDatabaseUnavailable(error)) {
    return new UnavailableError("The database is temporarily unavailable. Please retry later", 2);
  }
  return undefined;
}
