import { createHash } from "node:crypto";
import { ValidationError } from "@hub/shared";
import type { z } from "zod";

/**
 * Opaque page cursors: base64url of `{"f": fingerprint, "k": [sort key values]}`.
 *
 * The key values let the next page start right after a row (keyset pagination: an index range
 * scan whatever the depth). The fingerprint names the filter and order the cursor was issued for,
 * so a cursor reused with another filter or order is refused instead of silently paging through
 * a different list from an unrelated position. Cursors are not secret and not signed: a forged
 * one can only position a page the caller may read anyway.
 */
export type CursorScope = Record<string, unknown>;

type CursorPayload = { readonly f: string; readonly k: readonly unknown[] };

/** Stable across key order and absent fields, so equal scopes always give equal fingerprints. */
export function fingerprint(scope: CursorScope): string {
  return createHash("sha256").update(canonicalJson(scope)).digest("base64url").slice(0, 16);
}

export function encodeCursor(scopeFingerprint: string, key: readonly unknown[]): string {
  const payload: CursorPayload = { f: scopeFingerprint, k: key };
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

/**
 * The sort key values of `cursor`, checked against the scope it must have been issued for and
 * against the shape of the key. `field` names the argument in error details (`after`/`before`).
 */
export function decodeCursor<K extends readonly unknown[]>(
  cursor: string,
  scopeFingerprint: string,
  keySchema: z.ZodType<K>,
  field: string,
): K {
  const payload = parsePayload(cursor);
  if (!payload) {
    throw new ValidationError(`The ${field} cursor is malformed`, [
      { field, message: "not a cursor issued by this API" },
    ]);
  }
  if (payload.f !== scopeFingerprint) {
    throw new ValidationError(
      `The ${field} cursor was issued for a different filter or order; start again without a cursor`,
      [{ field, message: "cursor does not match the filter and order of this query" }],
    );
  }
  const key = keySchema.safeParse(payload.k);
  if (!key.success) {
    throw new ValidationError(`The ${field} cursor is malformed`, [
      { field, message: "not a cursor issued by this API" },
    ]);
  }
  return key.data;
}

function parsePayload(cursor: string): CursorPayload | undefined {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null) return undefined;
    const { f, k } = value as Record<string, unknown>;
    if (typeof f !== "string" || !Array.isArray(k)) return undefined;
    return { f, k };
  } catch {
    return undefined;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
