import {
  EVENT_PAGE_SIZE_DEFAULT,
  type EventConnection,
  type EventFeedOrder,
  PAGE_SIZE_DEFAULT,
  type PageArgs,
  type RecordedEventView,
} from "@hub/shared";
import { z } from "zod";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { fingerprint } from "./cursor.ts";
import { type KeyColumn, type KeysetClause, keysetPage } from "./keyset.ts";

export type EventRow = {
  position: bigint | number | string;
  stream_id: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
};

const EVENT_COLUMNS = Prisma.raw("position, stream_id, version, type, data, metadata, recorded_at");

export function rowToEventView(row: EventRow): RecordedEventView {
  return {
    position: String(row.position),
    streamId: row.stream_id,
    version: row.version,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: new Date(row.recorded_at).getTime(),
  };
}

export type HubEventsQuery = {
  readonly hubId: string;
  readonly types?: readonly string[] | undefined;
  readonly fromVersion?: number | undefined;
  readonly page: PageArgs;
};

const byVersion: readonly KeyColumn[] = [{ sql: "version", cast: "int4" }];
const versionKey = z.tuple([z.number().int().min(0)]);
const byPosition: readonly KeyColumn[] = [{ sql: "position", cast: "int8" }];
const positionKey = z.tuple([z.string().regex(/^\d{1,19}$/)]);

function normalizedTypes(types: readonly string[] | undefined): string[] | undefined {
  return types && types.length > 0 ? [...new Set(types)].sort() : undefined;
}

/** One hub's history, oldest first: a range of the (stream_id, version) unique index. */
export function hubEventsSql(query: HubEventsQuery, clause: KeysetClause): Prisma.Sql {
  const types = normalizedTypes(query.types);
  const conditions = [
    Prisma.sql`stream_id = ${query.hubId}::uuid`,
    Prisma.sql`version >= ${query.fromVersion ?? 1}::int4`,
  ];
  if (types) conditions.push(Prisma.sql`type = ANY(${types}::text[])`);
  if (clause.after) conditions.push(clause.after);
  return Prisma.sql`SELECT ${EVENT_COLUMNS} FROM hub_events WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY ${clause.orderBy} LIMIT ${clause.limit}`;
}

export function hubEvents(prisma: PrismaClient, query: HubEventsQuery): Promise<EventConnection> {
  const scope = fingerprint({
    query: "hub-events",
    hubId: query.hubId.toLowerCase(),
    types: normalizedTypes(query.types),
    fromVersion: query.fromVersion ?? 1,
  });
  return keysetPage({
    page: query.page,
    defaultSize: EVENT_PAGE_SIZE_DEFAULT,
    columns: byVersion,
    descending: false,
    scope,
    keySchema: versionKey,
    keyOf: (row: EventRow) => [row.version] as const,
    toNode: rowToEventView,
    run: (clause) => prisma.$queryRaw<EventRow[]>(hubEventsSql(query, clause)),
  });
}

/**
 * The last event of each hub, for a page of hubs: one statement whatever the page size. The
 * LATERAL subquery reads one row per hub from the end of its (stream_id, version) index range.
 */
export function lastEventsSql(hubIds: readonly string[]): Prisma.Sql {
  return Prisma.sql`SELECT e.position, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at
    FROM unnest(${[...hubIds]}::uuid[]) AS h(id)
    CROSS JOIN LATERAL (
      SELECT ${EVENT_COLUMNS} FROM hub_events WHERE stream_id = h.id ORDER BY version DESC LIMIT 1
    ) AS e`;
}

export async function lastEvents(
  prisma: PrismaClient,
  hubIds: readonly string[],
): Promise<RecordedEventView[]> {
  if (hubIds.length === 0) return [];
  const rows = await prisma.$queryRaw<EventRow[]>(lastEventsSql([...new Set(hubIds)]));
  return rows.map(rowToEventView);
}

export type EventFeedQuery = { readonly order?: EventFeedOrder | undefined; readonly page: PageArgs };

/** The global feed by position (the log's primary key): a range scan at any depth. */
export function eventFeedSql(clause: KeysetClause): Prisma.Sql {
  const where = clause.after ? Prisma.sql`WHERE ${clause.after}` : Prisma.empty;
  return Prisma.sql`SELECT ${EVENT_COLUMNS} FROM hub_events ${where} ORDER BY ${clause.orderBy} LIMIT ${clause.limit}`;
}

export function eventFeed(prisma: PrismaClient, query: EventFeedQuery): Promise<EventConnection> {
  const order = query.order ?? "NEWEST_FIRST";
  return keysetPage({
    page: query.page,
    defaultSize: PAGE_SIZE_DEFAULT,
    columns: byPosition,
    descending: order === "NEWEST_FIRST",
    scope: fingerprint({ query: "events", order }),
    keySchema: positionKey,
    keyOf: (row: EventRow) => [String(row.position)] as const,
    toNode: rowToEventView,
    run: (clause) => prisma.$queryRaw<EventRow[]>(eventFeedSql(clause)),
  });
}
