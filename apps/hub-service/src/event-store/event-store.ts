import { ConflictError } from "@hub/shared";
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

export type Transaction = Prisma.TransactionClient;

/** Applies the appended events to read models, inside the append's transaction. */
export type ReadModelUpdate = (tx: Transaction, events: readonly RecordedEvent[]) => Promise<void>;

export type AppendResult = { readonly nextVersion: number; readonly events: readonly RecordedEvent[] };

/** Unique constraints of read models whose violation is a business conflict on an input field. */
const conflictFields: Record<string, string> = {
  hubs_serial_key: "serial",
  hubs_thing_name_key: "thingName",
};
const STREAM_VERSION_CONSTRAINT = "hub_events_stream_version_key";

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
 */
export class EventStore {
  constructor(private readonly prisma: PrismaClient) {}

  async readStream(streamId: string): Promise<{ version: number; events: RecordedEvent[] }> {
    const rows = await this.prisma.hubEvent.findMany({ where: { streamId }, orderBy: { version: "asc" } });
    const events = rows.map((row) => ({
      position: row.position,
      streamId: row.streamId,
      version: row.version,
      type: row.type,
      data: row.data as JsonObject,
      metadata: row.metadata as JsonObject,
      recordedAt: row.recordedAt,
    }));
    return { version: events.at(-1)?.version ?? 0, events };
  }

  /**
   * Appends `events` if the stream is still at `expectedVersion`, and runs `updateReadModel` in the
   * same transaction: events and read models change together or not at all.
   */
  async appendToStream(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
    updateReadModel?: ReadModelUpdate,
  ): Promise<AppendResult> {
    if (events.length === 0) return { nextVersion: expectedVersion, events: [] };
    try {
      return await this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<EventRow[]>(guardedInsert(streamId, expectedVersion, events));
        if (rows.length !== events.length) throw new ConcurrencyError(streamId, expectedVersion);
        const recorded = rows.map(toRecorded).sort((a, b) => a.version - b.version);
        if (updateReadModel) await updateReadModel(tx, recorded);
        return { nextVersion: expectedVersion + events.length, events: recorded };
      });
    } catch (error) {
      throw translateAppendError(error, streamId, expectedVersion);
    }
  }

  /**
   * The same append with the read-model change written by the same SQL statement: one database
   * round trip and no interactive transaction (a single statement is atomic on its own).
   * `readModel` is a data-modifying statement that reads the appended rows from the CTE
   * `appended` (columns of hub_events), so it changes nothing when the version guard fails.
   * Same guarantees as appendToStream: ConcurrencyError on a stale version (nothing written),
   * ConflictError for a read-model unique constraint, events and read model together or not at all.
   */
  async appendToStreamInOneStatement(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
    readModel: Prisma.Sql,
  ): Promise<AppendResult> {
    if (events.length === 0) return { nextVersion: expectedVersion, events: [] };
    try {
      // Only what the caller does not have comes back: data and metadata are the events' own.
      const rows = await this.prisma.$queryRaw<Pick<EventRow, "position" | "version" | "recorded_at">[]>`
        WITH appended AS (${guardedInsert(streamId, expectedVersion, events)}),
             read_model AS (${readModel})
        SELECT position, version, recorded_at FROM appended`;
      if (rows.length !== events.length) throw new ConcurrencyError(streamId, expectedVersion);
      const recorded = rows
        .map((row): RecordedEvent => {
          const event = events[row.version - expectedVersion - 1] as NewEvent;
          return {
            ...event,
            position: BigInt(row.position),
            streamId,
            version: row.version,
            recordedAt: new Date(row.recorded_at),
          };
        })
        .sort((a, b) => a.version - b.version);
      return { nextVersion: expectedVersion + events.length, events: recorded };
    } catch (error) {
      throw translateAppendError(error, streamId, expectedVersion);
    }
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

function translateAppendError(error: unknown, streamId: string, expectedVersion: number): unknown {
  const constraint = violatedUniqueConstraint(error);
  if (constraint === undefined) return error;
  if (constraint === STREAM_VERSION_CONSTRAINT) return new ConcurrencyError(streamId, expectedVersion);
  const field = conflictFields[constraint];
  if (field) return new ConflictError(`${field} is already used by another hub`, field);
  return error;
}

export { ConcurrencyError } from "./errors.ts";
export { Prisma };
