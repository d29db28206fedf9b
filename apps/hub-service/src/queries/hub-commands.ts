import {
  type HubCommandConnection,
  type HubCommandState,
  type HubCommandView,
  PAGE_SIZE_DEFAULT,
  type PageArgs,
} from "@hub/shared";
import { z } from "zod";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { fingerprint } from "./cursor.ts";
import { epochMsParam, type KeyColumn, type KeysetClause, keysetPage } from "./keyset.ts";

/** A `hub_commands` row as the reads select it (HUB_COMMAND_COLUMNS). */
export type HubCommandRow = {
  command_id: string;
  hub_id: string;
  command: string;
  args: Record<string, unknown> | null;
  secret_args: string[] | null;
  state: string;
  result: Record<string, unknown> | null;
  reason: string | null;
  sent_at: Date;
  timeout_at: Date;
  completed_at: Date | null;
  sent_by_kind: string;
  sent_by_id: string;
  sent_by_org_id: string | null;
};

const HUB_COMMAND_COLUMNS = Prisma.raw(
  "command_id, hub_id::text AS hub_id, command, args, secret_args, state, result, reason, sent_at, " +
    "timeout_at, completed_at, sent_by_kind, sent_by_id, sent_by_org_id",
);

const ms = (value: Date | string) => new Date(value).getTime();

export function toHubCommandView(row: HubCommandRow): HubCommandView {
  return {
    commandId: row.command_id,
    hubId: row.hub_id,
    command: row.command,
    args: row.args,
    secretArgs: row.secret_args ?? [],
    state: row.state as HubCommandState,
    result: row.result,
    reason: row.reason,
    sentAt: ms(row.sent_at),
    timeoutAt: ms(row.timeout_at),
    completedAt: row.completed_at === null ? null : ms(row.completed_at),
    sentBy: { kind: row.sent_by_kind, id: row.sent_by_id, orgId: row.sent_by_org_id },
  };
}

export type HubCommandsQuery = {
  readonly hubId: string;
  readonly state?: HubCommandState | undefined;
  readonly page: PageArgs;
};

/**
 * Newest first by (sent_at, command_id): with `hub_id =` (and `state =`) this is a range of
 * hub_commands_hub_id_sent_at_command_id_idx (hub_commands_hub_id_state_sent_at_command_id_idx),
 * read backwards, at any depth. Several commands sent in one millisecond are ordered by id.
 */
const bySentAt: readonly KeyColumn[] = [
  { sql: "sent_at", cast: "timestamptz", toParam: epochMsParam },
  { sql: "command_id", cast: "text" },
];
const sentAtKey = z.tuple([z.number().int(), z.string().min(1).max(64)]);

/** The one statement of a page of one hub's commands (exported for the EXPLAIN tests). */
export function hubCommandsSql(query: HubCommandsQuery, clause: KeysetClause): Prisma.Sql {
  const conditions = [Prisma.sql`hub_id = ${query.hubId}::uuid`];
  if (query.state !== undefined) conditions.push(Prisma.sql`state = ${query.state}`);
  if (clause.after) conditions.push(clause.after);
  return Prisma.sql`SELECT ${HUB_COMMAND_COLUMNS} FROM hub_commands WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY ${clause.orderBy} LIMIT ${clause.limit}`;
}

/** One page of one hub's commands, newest first, optionally in one state. */
export function hubCommands(prisma: PrismaClient, query: HubCommandsQuery): Promise<HubCommandConnection> {
  const scope = fingerprint({ query: "hub-commands", hubId: query.hubId.toLowerCase(), state: query.state });
  return keysetPage({
    page: query.page,
    defaultSize: PAGE_SIZE_DEFAULT,
    columns: bySentAt,
    descending: true,
    scope,
    keySchema: sentAtKey,
    keyOf: (row: HubCommandRow) => [ms(row.sent_at), row.command_id] as const,
    toNode: toHubCommandView,
    run: (clause) => prisma.$queryRaw<HubCommandRow[]>(hubCommandsSql(query, clause)),
  });
}

/**
 * One command by its id (command ids are unique across hubs); with `hubId`, only if it is that
 * hub's. Null when there is none.
 */
export async function hubCommand(
  prisma: PrismaClient,
  commandId: string,
  hubId?: string,
): Promise<HubCommandView | null> {
  const [row] = await prisma.$queryRaw<HubCommandRow[]>`
    SELECT ${HUB_COMMAND_COLUMNS} FROM hub_commands WHERE command_id = ${commandId}`;
  if (!row) return null;
  if (hubId !== undefined && row.hub_id.toLowerCase() !== hubId.toLowerCase()) return null;
  return toHubCommandView(row);
}
