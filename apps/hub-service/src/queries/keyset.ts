import type { Connection, PageArgs } from "@hub/shared";
import type { z } from "zod";
import { Prisma } from "../generated/prisma/client.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";

/** One column of a sort key: its SQL name (trusted, never user input) and its parameter cast. */
export type KeyColumn = {
  readonly sql: string;
  readonly cast: "timestamptz" | "uuid" | "text" | "int4" | "int8";
  /** Cursor value (JSON) → query parameter; identity when absent. */
  readonly toParam?: (value: never) => unknown;
};

/** What a query needs to read one keyset page: a range predicate, an order and a limit. */
export type KeysetClause = {
  /** Undefined on the first page (no cursor). */
  readonly after: Prisma.Sql | undefined;
  readonly orderBy: Prisma.Sql;
  readonly limit: number;
};

export type KeysetPageOptions<Row, Node, K extends readonly unknown[]> = {
  readonly page: PageArgs;
  readonly defaultSize: number;
  /** Sort key, most significant first, ending in a unique column so the order is total. */
  readonly columns: readonly KeyColumn[];
  /** The requested order (the scan is reversed for `last`/`before`). */
  readonly descending: boolean;
  /** Fingerprint of the filter and order; cursors carry it. */
  readonly scope: string;
  readonly keySchema: z.ZodType<K>;
  readonly keyOf: (row: Row) => K;
  readonly toNode: (row: Row) => Node;
  readonly run: (clause: KeysetClause) => Promise<Row[]>;
};

/**
 * One page of a Relay connection by keyset: `WHERE (k1, k2) > (cursor values) ORDER BY k1, k2
 * LIMIT n + 1` (one extra row says whether there is a next page). Backward pages scan the index
 * the other way and are reversed, so both directions cost the same at any depth.
 */
export async function keysetPage<Row, Node, K extends readonly unknown[]>(
  options: KeysetPageOptions<Row, Node, K>,
): Promise<Connection<Node>> {
  const { page, columns } = options;
  const forward = page.last === undefined && page.before === undefined;
  const limit = (forward ? page.first : page.last) ?? options.defaultSize;
  const cursor = forward ? page.after : page.before;
  const field = forward ? "after" : "before";
  const key =
    cursor === undefined ? undefined : decodeCursor(cursor, options.scope, options.keySchema, field);
  const scanDescending = options.descending === forward;

  const rows = await options.run({
    after: key === undefined ? undefined : rowComparison(columns, key, scanDescending ? "<" : ">"),
    orderBy: Prisma.raw(columns.map((c) => `${c.sql} ${scanDescending ? "DESC" : "ASC"}`).join(", ")),
    limit: limit + 1,
  });
  const more = rows.length > limit;
  const pageRows = rows.slice(0, limit);
  if (!forward) pageRows.reverse();
  const edges = pageRows.map((row) => ({
    cursor: encodeCursor(options.scope, options.keyOf(row)),
    node: options.toNode(row),
  }));
  return {
    edges,
    pageInfo: {
      // Relay lets a server answer "false" for the direction it is not paging in when it cannot
      // tell cheaply; a cursor means rows exist on its other side (it was issued for one).
      hasNextPage: forward ? more : cursor !== undefined,
      hasPreviousPage: forward ? cursor !== undefined : more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** `(a, b) > ($1::t, $2::u)`: PostgreSQL matches a row comparison to an index on (a, b). */
function rowComparison(columns: readonly KeyColumn[], key: readonly unknown[], op: "<" | ">"): Prisma.Sql {
  const params = columns.map((column, index) => {
    const value = column.toParam ? column.toParam(key[index] as never) : key[index];
    return Prisma.sql`${value}::${Prisma.raw(column.cast)}`;
  });
  const names = Prisma.raw(columns.map((c) => c.sql).join(", "));
  if (columns.length === 1) return Prisma.sql`${names} ${Prisma.raw(op)} ${params[0]}`;
  return Prisma.sql`(${names}) ${Prisma.raw(op)} (${Prisma.join(params)})`;
}

/** Epoch ms as an exact timestamptz parameter (ISO text, no float or time zone rounding). */
export const epochMsParam = (value: number): string => new Date(value).toISOString();
