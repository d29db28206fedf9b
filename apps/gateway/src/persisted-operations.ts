import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import type { Plugin } from "graphql-yoga";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Reads an allow-list `{ "<sha256 hex of the document>": "<document>" }` (the format GraphQL
 * Code Generator's `persistedDocuments` writes). Every key must be the hash of its document, so a
 * typo cannot silently publish an operation under a wrong id; any problem stops the start.
 */
export function loadPersistedOperations(file: string): ReadonlyMap<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(
      `GRAPHQL_PERSISTED_OPERATIONS_FILE: cannot read ${file} as JSON (${(error as Error).message})`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("GRAPHQL_PERSISTED_OPERATIONS_FILE: expected an object of sha256 → document");
  }
  const operations = new Map<string, string>();
  for (const [hash, document] of Object.entries(parsed)) {
    if (!SHA256_HEX.test(hash) || typeof document !== "string" || sha256(document) !== hash) {
      throw new Error(
        `GRAPHQL_PERSISTED_OPERATIONS_FILE: entry ${hash.slice(0, 16)}… is not the sha256 of its document`,
      );
    }
    operations.set(hash, document);
  }
  return operations;
}

export function sha256(document: string): string {
  return createHash("sha256").update(document, "utf8").digest("hex");
}

/**
 * Partners send `extensions: {persistedQuery: {version: 1, sha256Hash}}` (Apollo's format, which
 * Apollo Client, urql and graphql-request speak) instead of the document. Persisted documents
 * still pass validation and the armor limits. `allowArbitrary: false` makes the list exclusive.
 */
export function persistedOperationsPlugin(
  operations: ReadonlyMap<string, string>,
  allowArbitrary: boolean,
): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: allowArbitrary,
    getPersistedOperation: (hash) => operations.get(hash) ?? null,
    customErrors: {
      notFound: {
        message: "PersistedQueryNotFound",
        extensions: { code: "PERSISTED_QUERY_NOT_FOUND", http: { status: 400 } },
      },
      persistedQueryOnly: {
        message: "Only allow-listed (persisted) operations are accepted",
        extensions: { code: "PERSISTED_QUERY_ONLY", http: { status: 400 } },
      },
      keyNotFound: {
        message: "Send a query or a persisted operation hash (extensions.persistedQuery.sha256Hash)",
        extensions: { code: "PERSISTED_QUERY_ID_REQUIRED", http: { status: 400 } },
      },
    },
  }) as Plugin;
}
