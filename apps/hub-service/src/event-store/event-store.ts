import type { ConflictError } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { ConcurrencyError, violatedUniqueConstraint } from "./errors.ts";

export type JsonObject = Record<string, unknown>;

export type NewEvent = {
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
};

export type RecordedEvent = NewEvent & {
  readonly position: bigint;
  readonly streamId: string;
  readonly version: number;
  readonly recordedAt: Date;
};

/**
 * Read models registered with the store, by event type: a data-modifying statement that reads the
 * appended event from the CTE `appended` (the columns of hub_events). The same statement serves
 * both append paths, so each event type's read-model change is written once.
 */
export type Projection = Readonly<Record<string, Prisma.Sql>>;

/** A read-model unique constraint whose violation is a business conflict, by constraint name. */
export type UniqueConflicts = Readonly<Record<string, () => ConflictError>>;

export type EventStoreOptions = {
  readonly projection?: Projection;
  readonly uniqueConflicts?: UniqueConflicts;
};

export type AppendResult = { readonly nextVersion: number; readonly events: readonly RecordedEvent[] };

const STREAM_VERSION_CONSTRAINT = "hub_events_stream_version_key";
const EVENT_COLUMNS = Prisma.raw("position, stream_id, version, type, data, metadata, recorded_at");

type EventRow = {
  position: bigint;
  stream_id: string;
  version: number;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  recorded_at: Date;
};

function toRecorded(row: EventRow): RecordedEvent {
  return {
    position: BigInt(row.position),
    streamId: row.stream_id,
    version: row.version,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: new Date(row.recorded_at),
  };
}

/**
 * Append-only event store on the `hub_events` table. A stream's version is the version of its
 * last event (0 when empty); `(stream_id, version)` is unique, so racing writers cannot both win.
 * It knows no read-model table: projections and their unique constraints come from the caller.
 */
export class EventStore {
  private readonly projection: Projection;
  private readonly uniqueConflicts: UniqueConflicts;

  constructor(
    private readonly prisma: PrismaClient,
    options: EventStoreOptions = {},
  ) {
    this.projection = options.projection ?? {};
    this.uniqueConflicts = options.uniqueConflicts ?? {};
  }

  async readStream(streamId: string): Promise<{ version: number; events: RecordedEvent[] }> {
    const rows = await this.prisma.$queryRaw<EventRow[]>`
      SELECT ${EVENT_COLUMNS} FROM hub_events WHERE stream_id = ${streamId}::uuid ORDER BY version`;
    const events = rows.map(toRecorded);
    return { version: events.at(-1)?.version ?? 0, events };
  }

  /**
   * Appends `events` if the stream is still at `expectedVersion`, with each event's registered
   * read-model change: events and read models change together or not at all. ConcurrencyError on
   * a stale version (nothing written); ConflictError for a registered unique constraint.
   *
   * One event (every command emits one): a single statement, the version-guarded insert and the
   * projection as CTEs, one database round trip and no interactive transaction. Several: one
   * transaction, the insert, then each event's projection in order.
   */
  async appendToStream(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
  ): Promise<AppendResult> {
    const [only] = events;
    if (!only) return { nextVersion: expectedVersion, events: [] };
    try {
      if (events.length === 1) return await this.appendOne(streamId, expectedVersion, only);
      return await this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<EventRow[]>(guardedInsert(streamId, expectedVersion, events));
        if (rows.length !== events.length) throw new ConcurrencyError(streamId, expectedVersion);
        const recorded = rows.map(toRecorded).sort((a, b) => a.version - b.version);
        for (const event of recorded) {
          const statement = this.projection[event.type];
          if (!statement) continue;
          await tx.$executeRaw`
            WITH appended AS (SELECT ${EVENT_COLUMNS} FROM hub_events WHERE position = ${event.position})
            ${statement}`;
        }
        return { nextVersion: expectedVersion + events.length, events: recorded };
      });
    } catch (error) {
      throw this.translateAppendError(error, streamId, expectedVersion);
    }
  }

  private async appendOne(streamId: string, expectedVersion: number, event: NewEvent): Promise<AppendResult> {
    const statement = this.projection[event.type];
    const readModel = statement ? Prisma.sql`, read_model AS (${statement})` : Prisma.empty;
    // Only what the caller does not have comes back: data and metadata are the event's own.
    const rows = await this.prisma.$queryRaw<Pick<EventRow, "position" | "version" | "recorded_at">[]>`
      WITH appended AS (${guardedInsert(streamId, expectedVersion, [event])})${readModel}
      SELECT position, version, recorded_at FROM appended`;
    const [row] = rows;
    if (!row) throw new ConcurrencyError(streamId, expectedVersion);
    const recorded: RecordedEvent = {
      ...event,
      position: BigInt(row.position),
      streamId,
      version: row.version,
      recordedAt: new Date(row.recorded_at),
    };
    return { nextVersion: expectedVersion + 1, events: [recorded] };
  }

  private translateAppendError(error: unknown, streamId: string, expectedVersion: number): unknown {
    const constraint = violatedUniqueConstraint(error);
    if (constraint === undefined) return error;
    if (constraint === STREAM_VERSION_CONSTRAINT) return new ConcurrencyError(streamId, expectedVersion);
    return this.uniqueConflicts[constraint]?.() ?? error;
  }
}

/**
 * One statement: the version guard and the insert. A writer that read the same version
 * concurrently blocks on the unique index and then fails with a unique violation.
 */
function guardedInsert(streamId: string, expectedVersion: number, events: readonly NewEvent[]): Prisma.Sql {
  const [only] = events;
  if (events.length === 1 && only) {
    // The common case, without the arrays: measurably cheaper through Prisma's raw-query path.
    return Prisma.sql`
      INSERT INTO hub_events (stream_id, version, type, data, metadata)
      SELECT ${streamId}::uuid, ${expectedVersion + 1}::int, ${only.type},
             ${JSON.stringify(only.data)}::jsonb, ${JSON.stringify(only.metadata)}::jsonb
      WHERE (SELECT coalesce(max(version), 0) FROM hub_events WHERE stream_id = ${streamId}::uuid)
            = ${expectedVersion}::int
      RETURNING position, stream_id, version, type, data, metadata, recorded_at`;
  }
  return Prisma.sql`
    INSERT INTO hub_events (stream_id, version, type, data, metadata)
    SELECT ${streamId}::uuid, ${expectedVersion}::int + e.ord::int, e.type, e.data::jsonb, e.metadata::jsonb
    FROM unnest(${events.map((e) => e.type)}::text[],
                ${events.map((e) => JSON.stringify(e.data))}::text[],
                ${events.map((e) => JSON.stringify(e.metadata))}::text[])
         WITH ORDINALITY AS e(type, data, metadata, ord)
    WHERE (SELECT coalesce(max(version), 0) FROM hub_events WHERE stream_id = ${streamId}::uuid)
          = ${expectedVersion}::int
    RETURNING position, stream_id, version, type, data, metadata, recorded_at`;
}

export { ConcurrencyError } from "./errors.ts";
export { Prisma };
