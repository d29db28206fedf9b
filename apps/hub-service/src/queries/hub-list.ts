import {
  DEFAULT_HUB_ORDER,
  type HubConnection,
  type HubListFilter,
  type HubListOrder,
  type HubView,
  PAGE_SIZE_DEFAULT,
  type PageArgs,
} from "@hub/shared";
import { z } from "zod";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { toHubView } from "../hub/read-model.ts";
import { fingerprint } from "./cursor.ts";
import { epochMsParam, type KeyColumn, type KeysetClause, keysetPage } from "./keyset.ts";

export type HubListQuery = {
  readonly filter?: HubListFilter | undefined;
  readonly orderBy?: HubListOrder | undefined;
  readonly page: PageArgs;
};

export type HubRow = {
  id: string;
  serial: string;
  model: string;
  thing_name: string;
  vendor_name: string | null;
  status: string;
  version: number;
  provisioned_at: Date;
  updated_at: Date;
};

export const HUB_COLUMNS = Prisma.raw(
  "id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at",
);

/**
 * Sort keys. Each has an index per equality filter (see schema.prisma), so filter + order is an
 * index range scan. Provisioned-at ties (a production line provisions many hubs per millisecond)
 * are broken by id. Serials are unique (hubs_serial_key), so serial alone is a total order; the
 * cursor still carries the id, so both orders have the same cursor shape.
 */
const byProvisionedAt: readonly KeyColumn[] = [
  { sql: "provisioned_at", cast: "timestamptz", toParam: epochMsParam },
  { sql: "id", cast: "uuid" },
];
const bySerial: readonly KeyColumn[] = [{ sql: "serial", cast: "text" }];

const provisionedAtKey = z.tuple([z.number().int(), z.uuid()]);
const serialKey = z.tuple([z.string().min(1), z.uuid()]);

export function rowToHubView(row: HubRow): HubView {
  return toHubView({
    id: row.id,
    serial: row.serial,
    model: row.model,
    thingName: row.thing_name,
    vendorName: row.vendor_name,
    status: row.status,
    version: row.version,
    provisionedAt: new Date(row.provisioned_at),
    updatedAt: new Date(row.updated_at),
  });
}

/** Escapes LIKE wildcards so a prefix is matched literally (backslash is LIKE's default escape). */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filterConditions(filter: HubListFilter): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (filter.status !== undefined) conditions.push(Prisma.sql`status = ${filter.status}`);
  if (filter.model !== undefined) conditions.push(Prisma.sql`model = ${filter.model}`);
  if (filter.vendorName !== undefined) conditions.push(Prisma.sql`vendor_name = ${filter.vendorName}`);
  // `serial` is C-collated, so the planner turns a literal prefix into an index range.
  if (filter.serialPrefix !== undefined)
    conditions.push(Prisma.sql`serial LIKE ${likePrefix(filter.serialPrefix)}`);
  const { from, to } = filter.provisionedAt ?? {};
  if (from !== undefined) conditions.push(Prisma.sql`provisioned_at >= ${epochMsParam(from)}::timestamptz`);
  if (to !== undefined) conditions.push(Prisma.sql`provisioned_at < ${epochMsParam(to)}::timestamptz`);
  return conditions;
}

/** The one SQL statement of a page of hubs (exported for EXPLAIN tests and the benchmark). */
export function hubListSql(filter: HubListFilter, clause: KeysetClause): Prisma.Sql {
  const conditions = filterConditions(filter);
  if (clause.after) conditions.push(clause.after);
  const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  return Prisma.sql`SELECT ${HUB_COLUMNS} FROM hubs ${where} ORDER BY ${clause.orderBy} LIMIT ${clause.limit}`;
}

export function hubListScope(filter: HubListFilter, orderBy: HubListOrder): string {
  return fingerprint({ query: "hubs", filter, orderBy });
}

/** One page of hubs: one SQL statement, an index range scan at any depth. */
export function listHubs(prisma: PrismaClient, query: HubListQuery): Promise<HubConnection> {
  const filter = query.filter ?? {};
  const orderBy = query.orderBy ?? DEFAULT_HUB_ORDER;
  const common = {
    page: query.page,
    defaultSize: PAGE_SIZE_DEFAULT,
    descending: orderBy.direction === "DESC",
    scope: hubListScope(filter, orderBy),
    toNode: rowToHubView,
    run: (clause: KeysetClause) => prisma.$queryRaw<HubRow[]>(hubListSql(filter, clause)),
  };
  if (orderBy.field === "SERIAL") {
    return keysetPage({
      ...common,
      columns: bySerial,
      keySchema: serialKey,
      keyOf: (row: HubRow) => [row.serial, row.id] as const,
    });
  }
  return keysetPage({
    ...common,
    columns: byProvisionedAt,
    keySchema: provisionedAtKey,
    keyOf: (row: HubRow) => [new Date(row.provisioned_at).getTime(), row.id] as const,
  });
}
