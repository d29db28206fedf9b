import { randomUUID } from "node:crypto";
import {
  type AuditAction,
  type AuditConnection,
  type AuditListFilter,
  type AuditRecord,
  type AuditTargetType,
  PAGE_SIZE_DEFAULT,
  type PageArgs,
  type Principal,
} from "@hub/shared";
import { z } from "zod";
import { Prisma } from "../generated/prisma/client.ts";
import { fingerprint } from "../queries/cursor.ts";
import { epochMsParam, type KeyColumn, type KeysetClause, keysetPage } from "../queries/keyset.ts";

/** One thing an operator did, to record. `details` never holds a secret. */
export type AuditEntry = {
  readonly action: AuditAction;
  readonly targetType: AuditTargetType;
  readonly targetId: string;
  readonly actor: Principal;
  readonly requestId?: string | undefined;
  readonly details: Record<string, unknown>;
};

/** Anything that runs raw SQL: the client, or a transaction's client. */
type Executor = { $executeRaw(query: Prisma.Sql): Prisma.PrismaPromise<number> };

/** The insert of one record, to run inside the transaction whose change it records. */
export function auditInsert(entry: AuditEntry, id: string = randomUUID()): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO audit_records (id, action, target_type, target_id, actor_kind, actor_id, actor_org_id,
                               actor_api_key_id, request_id, details)
    VALUES (${id}::uuid, ${entry.action}, ${entry.targetType}, ${entry.targetId}, ${entry.actor.kind},
            ${entry.actor.id}, ${entry.actor.orgId ?? null}, ${entry.actor.apiKey?.id ?? null}::uuid,
            ${entry.requestId ?? null}, ${JSON.stringify(entry.details)}::jsonb)`;
}

/** Records `entry` through `db` (pass the transaction's client to make it part of the change). */
export async function recordAudit(db: Executor, entry: AuditEntry): Promise<string> {
  const id = randomUUID();
  await db.$executeRaw(auditInsert(entry, id));
  return id;
}

type AuditRow = {
  id: string;
  recorded_at: Date;
  action: string;
  target_type: string;
  target_id: string;
  actor_kind: string;
  actor_id: string;
  actor_org_id: string | null;
  actor_api_key_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
};

const COLUMNS = Prisma.raw(
  "id::text AS id, recorded_at, action, target_type, target_id, actor_kind, actor_id, actor_org_id, " +
    "actor_api_key_id::text AS actor_api_key_id, request_id, details",
);

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    recordedAt: new Date(row.recorded_at).getTime(),
    action: row.action as AuditAction,
    targetType: row.target_type as AuditTargetType,
    targetId: row.target_id,
    actor: {
      kind: row.actor_kind,
      id: row.actor_id,
      orgId: row.actor_org_id,
      apiKeyId: row.actor_api_key_id,
    },
    requestId: row.request_id,
    details: row.details,
  };
}

// Newest first by (recorded_at, id): with `action =` or `target_id =` a range of the matching
// index, read backwards, at any depth.
const byRecordedAt: readonly KeyColumn[] = [
  { sql: "recorded_at", cast: "timestamptz", toParam: epochMsParam },
  { sql: "id", cast: "uuid" },
];
const recordedAtKey = z.tuple([z.number().int(), z.uuid()]);

/** The one statement of a page (exported for the EXPLAIN tests). */
export function auditPageSql(filter: AuditListFilter, clause: KeysetClause): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (filter.action !== undefined) conditions.push(Prisma.sql`action = ${filter.action}`);
  if (filter.targetId !== undefined) conditions.push(Prisma.sql`target_id = ${filter.targetId}`);
  if (clause.after) conditions.push(clause.after);
  const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  return Prisma.sql`SELECT ${COLUMNS} FROM audit_records ${where} ORDER BY ${clause.orderBy} LIMIT ${clause.limit}`;
}

/** One page of the audit trail, newest first. */
export function listAuditRecords(
  db: { $queryRaw<T>(query: Prisma.Sql): Prisma.PrismaPromise<T> },
  filter: AuditListFilter,
  page: PageArgs,
): Promise<AuditConnection> {
  const scope = fingerprint({ query: "audit", action: filter.action, targetId: filter.targetId });
  return keysetPage({
    page,
    defaultSize: PAGE_SIZE_DEFAULT,
    columns: byRecordedAt,
    descending: true,
    scope,
    keySchema: recordedAtKey,
    keyOf: (row: AuditRow) => [new Date(row.recorded_at).getTime(), row.id] as const,
    toNode: toRecord,
    run: (clause) => db.$queryRaw<AuditRow[]>(auditPageSql(filter, clause)),
  });
}
