import { Prisma } from "../generated/prisma/client.ts";

/** The stream moved on since it was read: the caller re-reads and decides again. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`stream ${streamId} is not at expected version ${expectedVersion}`);
    this.name = "ConcurrencyError";
  }
}

/** A group append lost a race as a whole (nothing was written): decide its streams one by one. */
export class GroupConflictError extends Error {
  constructor() {
    super("the group append lost a race; nothing was written");
    this.name = "GroupConflictError";
  }
}

/**
 * Whether a statement failed only because it raced another writer: a deadlock (40P01), a
 * serialization failure (40001) or a unique violation. Nothing it did was kept.
 */
export function isLostRace(error: unknown): boolean {
  if (violatedUniqueConstraint(error) !== undefined) return true;
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  const meta = (error.meta ?? {}) as Record<string, unknown>;
  const cause = (meta.driverAdapterError as { cause?: Record<string, unknown> } | undefined)?.cause;
  const code = String(cause?.originalCode ?? meta.code ?? "");
  return (
    error.code === "P2034" || code === "40P01" || code === "40001" || /deadlock detected/.test(error.message)
  );
}

/**
 * Name of the unique constraint a failed statement violated, if that is why it failed.
 * Driver adapters put it in different places: adapter-pg and PGlite report it under
 * `meta.driverAdapterError.cause`, raw queries only carry the PostgreSQL message.
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  const meta = (error.meta ?? {}) as Record<string, unknown>;
  const cause = (meta.driverAdapterError as { cause?: Record<string, unknown> } | undefined)?.cause;
  const isUnique = error.code === "P2002" || cause?.originalCode === "23505" || meta.code === "23505";
  if (!isUnique) return undefined;
  const constraint = cause?.constraint as { index?: string } | undefined;
  if (constraint?.index) return constraint.index;
  const text = `${String(meta.message ?? "")} ${String(cause?.originalMessage ?? "")} ${error.message}`;
  return /unique constraint "([^"]+)"/.exec(text)?.[1] ?? "unknown";
}
