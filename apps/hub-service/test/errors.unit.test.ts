import { UnavailableError } from "@hub/shared";
import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, toAppError } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";

// Shapes as adapter-pg and node-postgres produced them when the e2e suite cut PostgreSQL off.
function knownRequestError(code: string, driverAdapterCause?: Record<string, unknown>) {
  return new Prisma.PrismaClientKnownRequestError("Raw query failed.", {
    code,
    clientVersion: "7.10.0",
    ...(driverAdapterCause
      ? { meta: { driverAdapterError: { name: "DriverAdapterError", cause: driverAdapterCause } } }
      : {}),
  });
}

describe("database unavailable → 503", () => {
  it.each([
    ["a pooled connection cut mid-query", knownRequestError("P2010", { kind: "ConnectionClosed" })],
    ["connection refused", knownRequestError("P2010", { kind: "DatabaseNotReachable", port: 5432 })],
    [
      "statement_timeout",
      knownRequestError("P2010", { kind: "postgres", code: "57014", originalCode: "57014" }),
    ],
    ["server shutting down", knownRequestError("P2010", { kind: "postgres", code: "57P01" })],
    ["no pool connection within maxWait", knownRequestError("P2028")],
    ["node-postgres query_timeout", new Error("Query read timeout")],
    ["node-postgres connect timeout", new Error("timeout exceeded when trying to connect")],
    ["wrapped socket error", Object.assign(new Error("fetch failed"), { cause: { code: "ECONNRESET" } })],
  ])("%s", (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(toAppError(error)).toBeInstanceOf(UnavailableError);
  });

  it.each([
    ["a unique violation", knownRequestError("P2002", { kind: "UniqueConstraintViolation" })],
    ["a syntax error", knownRequestError("P2010", { kind: "postgres", code: "42601" })],
    ["a plain bug", new TypeError("x is undefined")],
  ])("but not %s", (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(toAppError(error)).toBeUndefined();
  });
});
