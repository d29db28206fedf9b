import { type AppError, isAppError, UnavailableError } from "@hub/shared";
import { Prisma } from "./generated/prisma/client.ts";

// P2028: no pool connection to start a transaction within `maxWait` (overload, not a bug).
const unreachableCodes = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
const networkErrorCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "57P01", "57P03"]);

/**
 * The database not answering is a dependency outage (503, retry later), not a bug (500).
 * Driver adapters surface it in several shapes; look at the known ones.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError && unreachableCodes.has(error.code)) return true;
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const { code, message, kind } = current as { code?: string; message?: string; kind?: string };
    if (code && networkErrorCodes.has(code)) return true;
    if (kind === "DatabaseNotReachable" || kind === "SocketTimeout" || kind === "ConnectionClosed")
      return true;
    if (
      typeof message === "string" &&
      /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message)
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
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
