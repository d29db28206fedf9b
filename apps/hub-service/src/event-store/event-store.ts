import type { ConflictError } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { ConcurrencyError, GroupConflictError, isLostRace, violatedUniqueConstraint } from "./errors.ts";

export type JsonObject = Record<string, unknown>;

export type NewEvent = {
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  /** Who receives the event (the stream's owners before and after it); stored with it. */
  readonly orgIds?: readonly string[];
};

export type RecordedEvent = NewEvent & {
  readonly position: bigint;
  readonly streamId: string;
  readonly version: number;
  readonly recordedAt: Date;
};

/**
 * Read models registered with the store, by event type: data-modifying statements (one, or one
 * per read-model table the event changes) that read the appended event from the CTE `appended`
 * (the columns of hub_events). The same statements serve both append paths, so each event type's
 * read-model change is written once.
 */
export type Projection = Readonly<Record<string, Prisma.Sql | readonly Prisma.Sql[]>>;

/** An event type's registered statements, as a list. */
function statementsOf(projection: Projection, type: string): readonly Prisma.Sql[] {
  const statements = projection[type];
  if (!statements) return [];
  return Array.isArray(statements) ? statements : [statements as Prisma.Sql];
}

/** A read-model unique constraint whose violation is a business conflict, by constraint name. */
export type UniqueConflicts = Readonly<Record<string, () => ConflictError>>;

/**
 * For an event type that starts a stream and creates its read-model row (HubProvisioned): that
 * row's insert over `appended`, skipping rows that would violate a unique constraint and returning
 * the created rows' stream ids (`… ON CONFLICT DO NOTHING RETURNING id AS stream_id`). It gates a
 * group append: only streams whose row it created get their event, in the same statement.
 */
export type StreamGates = Readonly<Record<string, Prisma.Sql>>;

export type EventStoreOptions = {
  readonly projection?: Projection;
  readonly uniqueConflicts?: UniqueConflicts;
  readonly streamGates?: StreamGates;
};

/** One new stream's first event, for `appendNewStreams`. */
export type NewStream = { readonly streamId: string; readonly event: NewEvent };

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
  private readonly streamGates: StreamGates;

  constructor(
    private readonly prisma: PrismaClient,
    options: EventStoreOptions = {},
  ) {
    this.projection = options.projection ?? {};
    this.uniqueConflicts = options.uniqueConflicts ?? {};
    this.streamGates = options.streamGates ?? {};
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
        await this.project(tx, recorded);
        return { nextVersion: expectedVersion + events.length, events: recorded };
      });
    } catch (error) {
      throw this.translateAppendError(error, streamId, expectedVersion);
    }
  }

  /**
   * Runs the registered read-model statements of stored `events`, in the order given, through
   * `tx`: what an append does for its events, and what rebuilding a stream's read model replays.
   */
  async project(
    tx: Prisma.TransactionClient,
    events: readonly Pick<RecordedEvent, "position" | "type">[],
  ): Promise<void> {
    for (const event of events) {
      for (const statement of statementsOf(this.projection, event.type)) {
        await tx.$executeRaw`
          WITH appended AS (SELECT ${EVENT_COLUMNS} FROM hub_events WHERE position = ${event.position})
          ${statement}`;
      }
    }
  }

  /**
   * Group commit: starts many streams in one statement, each with its first event (version 1) and
   * its read-model row. Each row has its own version guard (its stream is empty) and its own
   * unique constraints (the event type's gate): a stream that already has events, or whose row
   * would violate a constraint (a serial taken, a concurrent writer of the same stream), is left
   * out without failing the others. One round trip, one commit, nothing half-written: an event is
   * stored only with its row. Returns the stored events by stream id; a stream missing from the
   * map was not written (the caller reads and decides it on its own). Streams must be distinct;
   * they are written in id order, so two groups overlapping on the same hubs wait on each other
   * rather than deadlock; groups of other processes overlapping on serials or thing names under
   * other ids can still deadlock, and PostgreSQL then aborts one: GroupConflictError, nothing
   * written, every stream the caller's to decide again.
   */
  async appendNewStreams(streams: readonly NewStream[]): Promise<Map<string, RecordedEvent>> {
    const stored = new Map<string, RecordedEvent>();
    const byType = new Map<string, NewStream[]>();
    for (const stream of streams) {
      const group = byType.get(stream.event.type) ?? [];
      group.push(stream);
      byType.set(stream.event.type, group);
    }
    for (const [type, group] of byType) {
      const gate = this.streamGates[type];
      if (!gate) throw new Error(`no stream gate registered for ${type}`);
      const ordered = [...group].sort((a, b) =>
        a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0,
      );
      let rows: Pick<EventRow, "stream_id" | "position" | "version" | "recorded_at">[];
      try {
        rows = await this.prisma.$queryRaw`
          WITH appended AS (
            SELECT i.stream_id, 1 AS version, i.type, i.data::jsonb AS data, i.metadata::jsonb AS metadata,
                   ARRAY(SELECT jsonb_array_elements_text(i.org_ids::jsonb)) AS org_ids
            FROM unnest(${ordered.map((s) => s.streamId)}::uuid[], ${ordered.map((s) => s.event.type)}::text[],
                        ${ordered.map((s) => JSON.stringify(s.event.data))}::text[],
                        ${ordered.map((s) => JSON.stringify(s.event.metadata))}::text[],
                        ${ordered.map((s) => JSON.stringify(s.event.orgIds ?? []))}::text[])
                 AS i(stream_id, type, data, metadata, org_ids)
            WHERE NOT EXISTS (SELECT 1 FROM hub_events e WHERE e.stream_id = i.stream_id)
          ),
          gate AS (${gate}),
          stored AS (
            INSERT INTO hub_events (stream_id, version, type, data, metadata, org_ids)
            SELECT a.stream_id, a.version, a.type, a.data, a.metadata, a.org_ids
            FROM appended a JOIN gate g ON g.stream_id = a.stream_id
            ORDER BY a.stream_id
            RETURNING stream_id, position, version, recorded_at
          )
          SELECT stream_id, position, version, recorded_at FROM stored`;
      } catch (error) {
        if (isLostRace(error)) throw new GroupConflictError();
        throw error;
      }
      const events = new Map(group.map((s) => [s.streamId.toLowerCase(), s]));
      for (const row of rows) {
        const stream = events.get(String(row.stream_id).toLowerCase());
        if (!stream) continue;
        stored.set(stream.streamId, {
          ...stream.event,
          position: BigInt(row.position),
          streamId: stream.streamId,
          version: row.version,
          recordedAt: new Date(row.recorded_at),
        });
      }
    }
    return stored;
  }

  private async appendOne(streamId: string, expectedVersion: number, event: NewEvent): Promise<AppendResult> {
    // Each read-model statement its own data-modifying CTE of the one statement.
    const statements = statementsOf(this.projection, event.type).map(
      (statement, index) => Prisma.sql`, ${Prisma.raw(`read_model_${index}`)} AS (${statement})`,
    );
    const readModel = statements.length > 0 ? Prisma.join(statements, "") : Prisma.empty;
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
    // A deadlock with a group append of the same new stream (it locks the read-model row first,
    // this path the event): nothing was written; the pipeline re-reads and decides again.
    if (constraint === undefined)
      return isLostRace(error) ? new ConcurrencyError(streamId, expectedVersion) : error;
    if (constraint === STREAM_VERSION_CONSTRAINT) return new ConcurrencyError(streamId, expectedVersion);
    return this.uniqueConflicts[constraint]?.() ?? error;
  }
}

/**
 * One statement: the version guard and the insert. A writer that read the same version
 * concurrently blocks on the unique index and then fails with a unique violation. The guard also
 * takes a KEY SHARE lock on the stream's last event: a hub deletion holding it (FOR UPDATE, or
 * deleting it) makes the append wait for its end, and an append behind a committed deletion finds
 * that event gone and writes nothing (ConcurrencyError), never an event of a deleted stream.
 */
function guardedInsert(streamId: string, expectedVersion: number, events: readonly NewEvent[]): Prisma.Sql {
  const lastEventHeld =
    expectedVersion === 0
      ? Prisma.empty
      : Prisma.sql`AND EXISTS (SELECT 1 FROM hub_events WHERE stream_id = ${streamId}::uuid
                                 AND version = ${expectedVersion}::int FOR KEY SHARE)`;
  const [only] = events;
  if (events.length === 1 && only) {
    // The common case, without the arrays: measurably cheaper through Prisma's raw-query path.
    return Prisma.sql`
      INSERT INTO hub_events (stream_id, version, type, data, metadata, org_ids)
      SELECT ${streamId}::uuid, ${expectedVersion + 1}::int, ${only.type},
             ${JSON.stringify(only.data)}::jsonb, ${JSON.stringify(only.metadata)}::jsonb,
             ${[...(only.orgIds ?? [])]}::text[]
      WHERE (SELECT coalesce(max(version), 0) FROM hub_events WHERE stream_id = ${streamId}::uuid)
            = ${expectedVersion}::int ${lastEventHeld}
      RETURNING position, stream_id, version, type, data, metadata, recorded_at`;
  }
  return Prisma.sql`
    INSERT INTO hub_events (stream_id, version, type, data, metadata, org_ids)
    SELECT ${streamId}::uuid, ${expectedVersion}::int + e.ord::int, e.type, e.data::jsonb, e.metadata::jsonb,
           ARRAY(SELECT jsonb_array_elements_text(e.org_ids::jsonb))
    FROM unnest(${events.map((e) => e.type)}::text[],
                ${events.map((e) => JSON.stringify(e.data))}::text[],
                ${events.map((e) => JSON.stringify(e.metadata))}::text[],
                ${events.map((e) => JSON.stringify(e.orgIds ?? []))}::text[])
         WITH ORDINALITY AS e(type, data, metadata, org_ids, ord)
    WHERE (SELECT coalesce(max(version), 0) FROM hub_events WHERE stream_id = ${streamId}::uuid)
          = ${expectedVersion}::int ${lastEventHeld}
    RETURNING position, stream_id, version, type, data, metadata, recorded_at`;
}

export { ConcurrencyError, GroupConflictError } from "./errors.ts";
export { Prisma };
