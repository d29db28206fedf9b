import { LOG_START, type LogCursor, type LogEvent } from "@hub/shared";
import { Prisma } from "../generated/prisma/client.ts";
import { type EventRow, rowToEventView } from "../queries/event-reads.ts";

/** Anything that runs a raw query: the client, or a transaction's client. */
export type Queryable = {
  $queryRaw<T = unknown>(query: Prisma.Sql): Prisma.PrismaPromise<T>;
};

export type LogFilter = {
  readonly hubId?: string | undefined;
  readonly types?: readonly string[] | undefined;
  /** Only events this organization receives (it owned the hub before or after the event). */
  readonly orgId?: string | undefined;
};

export type LogReadOptions = {
  readonly after?: LogCursor | undefined;
  readonly limit: number;
  readonly filter?: LogFilter | undefined;
};

type LogRow = EventRow & { tx: string; org_ids: string[] };

export function toLogEvent(row: LogRow): LogEvent {
  return { ...rowToEventView(row), tx: String(row.tx), orgIds: row.org_ids };
}

/**
 * The log after `after`, in (transaction id, position) order, up to the oldest transaction still
 * running: an event is read only once every transaction that might have taken a lower position
 * in the same order has ended, so a reader that checkpoints the last cursor it took never skips
 * one that commits late (a position taken before, committed after). Each statement sees its own
 * snapshot; the range is on the (transaction_id, position) index.
 */
export function readLogSql({ after = LOG_START, limit, filter = {} }: LogReadOptions): Prisma.Sql {
  const conditions = [
    Prisma.sql`(transaction_id, position) > (${after.tx}::xid8, ${after.position}::int8)`,
    Prisma.sql`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`,
  ];
  if (filter.hubId) conditions.push(Prisma.sql`stream_id = ${filter.hubId}::uuid`);
  if (filter.types && filter.types.length > 0)
    conditions.push(Prisma.sql`type = ANY(${[...filter.types]}::text[])`);
  if (filter.orgId !== undefined) conditions.push(Prisma.sql`${filter.orgId.toLowerCase()} = ANY(org_ids)`);
  return Prisma.sql`
    SELECT transaction_id::text AS tx, position, stream_id, version, type, data, metadata, recorded_at, org_ids
    FROM hub_events WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY transaction_id, position LIMIT ${limit}`;
}

export async function readLog(db: Queryable, options: LogReadOptions): Promise<LogEvent[]> {
  const rows = await db.$queryRaw<LogRow[]>(readLogSql(options));
  return rows.map(toLogEvent);
}

/**
 * The cursor of the event at `position` (a client resuming a feed names the last position it
 * received): everything the feed sent before it lies at or below this cursor, everything it had
 * not sent lies above. Position 0 is the start; a position no event has resumes after the last
 * event below it.
 */
export async function cursorAtPosition(db: Queryable, position: string): Promise<LogCursor> {
  if (BigInt(position) === 0n) return LOG_START;
  const rows = await db.$queryRaw<{ tx: string; position: bigint | string }[]>(Prisma.sql`
    SELECT transaction_id::text AS tx, position FROM hub_events
    WHERE position <= ${position}::int8 ORDER BY position DESC LIMIT 1`);
  const [row] = rows;
  return row ? { tx: String(row.tx), position: String(row.position) } : LOG_START;
}

/** The log's last position now (0 when empty): the head a consumer's lag is measured against. */
export async function headPosition(db: Queryable): Promise<bigint> {
  const rows = await db.$queryRaw<{ head: bigint | string | null }[]>(
    Prisma.sql`SELECT max(position) AS head FROM hub_events`,
  );
  return BigInt(rows[0]?.head ?? 0);
}
