import type { LogCursor } from "@hub/shared";
import { Prisma } from "../generated/prisma/client.ts";
import type { Queryable } from "./log-reader.ts";

/**
 * Takes or renews `name`'s lease for `owner` (free, expired, or already its own) and answers the
 * checkpoint; null when another instance holds a live lease. The holder that dies stops renewing,
 * and the next instance takes over once the lease has run out.
 */
export async function acquireLease(
  db: Queryable,
  name: string,
  owner: string,
  leaseMs: number,
): Promise<LogCursor | null> {
  const rows = await db.$queryRaw<{ tx: string; position: bigint | string }[]>(Prisma.sql`
    INSERT INTO log_consumers AS c (name, lease_owner, lease_until)
    VALUES (${name}, ${owner}, now() + ${leaseMs}::int * interval '1 millisecond')
    ON CONFLICT (name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
    WHERE c.lease_owner = ${owner} OR c.lease_owner IS NULL OR c.lease_until IS NULL OR c.lease_until < now()
    RETURNING transaction_id::text AS tx, position`);
  const [row] = rows;
  return row ? { tx: String(row.tx), position: String(row.position) } : null;
}

/** Gives the lease up (a clean stop), so another instance need not wait for it to run out. */
export async function releaseLease(db: Queryable, name: string, owner: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ name: string }[]>(Prisma.sql`
    UPDATE log_consumers SET lease_owner = NULL, lease_until = NULL
    WHERE name = ${name} AND lease_owner = ${owner} RETURNING name`);
  return rows.length === 1;
}

/**
 * Moves the checkpoint from `from` to `to` if `owner` still holds a live lease and nobody moved
 * it meanwhile (compare-and-set); false otherwise. Run in the same transaction as the consumer's
 * own writes, so they and the checkpoint commit together or not at all.
 */
export async function saveCheckpoint(
  db: Queryable,
  name: string,
  owner: string,
  from: LogCursor,
  to: LogCursor,
): Promise<boolean> {
  const rows = await db.$queryRaw<{ name: string }[]>(Prisma.sql`
    UPDATE log_consumers
    SET transaction_id = ${to.tx}::xid8, position = ${to.position}::int8, updated_at = now()
    WHERE name = ${name} AND lease_owner = ${owner} AND lease_until > now()
      AND transaction_id = ${from.tx}::xid8 AND position = ${from.position}::int8
    RETURNING name`);
  return rows.length === 1;
}

export type ConsumerState = {
  readonly name: string;
  readonly checkpoint: LogCursor;
  readonly leaseOwner: string | null;
  readonly leaseUntil: number | null;
  readonly updatedAt: number;
};

export async function listConsumers(db: Queryable): Promise<ConsumerState[]> {
  const rows = await db.$queryRaw<
    {
      name: string;
      tx: string;
      position: bigint | string;
      lease_owner: string | null;
      lease_until: Date | null;
      updated_at: Date;
    }[]
  >(Prisma.sql`SELECT name, transaction_id::text AS tx, position, lease_owner, lease_until, updated_at
    FROM log_consumers ORDER BY name`);
  return rows.map((row) => ({
    name: row.name,
    checkpoint: { tx: String(row.tx), position: String(row.position) },
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until ? new Date(row.lease_until).getTime() : null,
    updatedAt: new Date(row.updated_at).getTime(),
  }));
}
