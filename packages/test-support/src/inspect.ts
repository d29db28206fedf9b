import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

export type Query = <Row = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<Row[]>;

/**
 * Opens a test database directly (not through hub-service) to check invariants, runs `use`, and
 * closes it. A PGlite directory admits one process: stop hub-service before opening one.
 */
export async function withDatabase<T>(url: string, use: (query: Query) => Promise<T>): Promise<T> {
  if (url.startsWith("pglite:")) {
    const db = new PGlite(url.slice("pglite:".length));
    try {
      return await use(async (text, params) => (await db.query(text, params)).rows as never[]);
    } finally {
      await db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(async (text, params) => (await client.query(text, params)).rows as never[]);
  } finally {
    await client.end();
  }
}

export type EventLogInvariants = {
  readonly events: number;
  readonly hubs: number;
  /** Read-model rows whose stream has no event. */
  readonly hubsWithoutEvents: number;
  /** Streams with events but no read-model row. */
  readonly streamsWithoutHub: number;
  /** Read-model rows whose version is not their stream's last version. */
  readonly versionMismatches: number;
  /** Streams whose versions are not exactly 1..n. */
  readonly gappedStreams: number;
  /**
   * Read-model rows whose contents differ from their stream's HubProvisioned event (serial, model,
   * Thing, vendor, provisioning time), or that have no such event: a row written without its event,
   * or from another one, is caught here even when the counts agree.
   */
  readonly rowMismatches: number;
};

/** Counts that must agree between the event log and the hubs read model (all zero but two). */
export async function eventLogInvariants(query: Query): Promise<EventLogInvariants> {
  const [row] = await query<Record<keyof EventLogInvariants, string | number>>(`
    SELECT
      (SELECT count(*) FROM hub_events) AS "events",
      (SELECT count(*) FROM hubs) AS "hubs",
      (SELECT count(*) FROM hubs h
        WHERE NOT EXISTS (SELECT 1 FROM hub_events e WHERE e.stream_id = h.id)) AS "hubsWithoutEvents",
      (SELECT count(DISTINCT e.stream_id) FROM hub_events e
        WHERE NOT EXISTS (SELECT 1 FROM hubs h WHERE h.id = e.stream_id)) AS "streamsWithoutHub",
      (SELECT count(*) FROM hubs h
        WHERE h.version <> (SELECT max(e.version) FROM hub_events e WHERE e.stream_id = h.id)) AS "versionMismatches",
      (SELECT count(*) FROM (SELECT stream_id FROM hub_events GROUP BY stream_id
        HAVING min(version) <> 1 OR max(version) <> count(*)) s) AS "gappedStreams",
      (SELECT count(*) FROM hubs h
        WHERE NOT EXISTS (
          SELECT 1 FROM hub_events e
          WHERE e.stream_id = h.id AND e.version = 1 AND e.type = 'HubProvisioned'
            AND e.data->>'hubId' = h.id::text
            AND e.data->>'serial' = h.serial
            AND e.data->>'model' = h.model
            AND e.data->>'thingName' = h.thing_name
            AND (e.data->>'vendorName') IS NOT DISTINCT FROM h.vendor_name
            AND (e.data->>'provisionedAt')::bigint = (extract(epoch FROM h.provisioned_at) * 1000)::bigint
        )) AS "rowMismatches"`);
  if (!row) throw new Error("invariant query returned nothing");
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key, Number(value)]),
  ) as EventLogInvariants;
}

/** The ids of every read-model row. */
export async function hubRowIds(query: Query): Promise<Set<string>> {
  const rows = await query<{ id: string }>("SELECT id::text AS id FROM hubs");
  return new Set(rows.map((row) => row.id));
}

/** Every stream in the log: id → number of events and the serial of its HubProvisioned event. */
export async function storedStreams(
  query: Query,
): Promise<Map<string, { events: number; serial: string | undefined }>> {
  const rows = await query<{ stream_id: string; events: string | number; serial: string | null }>(`
    SELECT stream_id, count(*) AS events,
           max(data->>'serial') FILTER (WHERE type = 'HubProvisioned') AS serial
    FROM hub_events GROUP BY stream_id`);
  return new Map(
    rows.map((row) => [row.stream_id, { events: Number(row.events), serial: row.serial ?? undefined }]),
  );
}
