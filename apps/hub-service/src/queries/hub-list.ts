import {
  DEFAULT_HUB_ORDER,
  type HubConnection,
  type HubListFilter,
  type HubListOrder,
  PAGE_SIZE_DEFAULT,
  type PageArgs,
} from "@hub/shared";
import { z } from "zod";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { HUB_COLUMNS, type HubRow, toHubView } from "../hub/read-model.ts";
import { fingerprint } from "./cursor.ts";
import { epochMsParam, type KeyColumn, type KeysetClause, keysetPage } from "./keyset.ts";

export type HubListQuery = {
  readonly filter?: HubListFilter | undefined;
  readonly orderBy?: HubListOrder | undefined;
  readonly page: PageArgs;
};

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
  if (filter.orgId !== undefined) conditions.push(Prisma.sql`org_id = ${filter.orgId}`);
  if (filter.siteId !== undefined) conditions.push(Prisma.sql`site_id = ${filter.siteId}`);
  if (filter.isPrimary !== undefined) conditions.push(Prisma.sql`is_primary = ${filter.isPrimary}`);
  // hubs_online_provisioned_at_id_idx and hubs_online_serial_idx serve it in both orders.
  if (filter.online !== undefined) conditions.push(Prisma.sql`online = ${filter.online}`);
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
    toNode: toHubView,
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
