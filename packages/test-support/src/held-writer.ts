import pg from "pg";

export type HeldEvent = {
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly data?: Record<string, unknown>;
  readonly orgIds?: readonly string[];
};

/**
 * A writer that takes its log position and does not commit yet: an event inserted the way the
 * event store writes it (the same columns), in a transaction left open, so a test can force two
 * transactions to commit out of position order. Fault injection by the harness, on PostgreSQL.
 */
export async function holdEventWriter(databaseUrl: string, event: HeldEvent) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let open = false;
  try {
    await client.query("BEGIN");
    open = true;
    const { rows } = await client.query<{ position: string }>(
      `INSERT INTO hub_events (stream_id, version, type, data, metadata, org_ids)
       VALUES ($1, $2, $3, $4, '{}', $5) RETURNING position`,
      [
        event.streamId,
        event.version,
        event.type,
        JSON.stringify(event.data ?? {}),
        [...(event.orgIds ?? [])],
      ],
    );
    return {
      position: rows[0]?.position ?? "",
      async commit() {
        await client.query("COMMIT");
        open = false;
      },
      /** Ends the connection (rolling back if not committed). */
      async end() {
        if (open) await client.query("ROLLBACK");
        await client.end();
      },
    };
  } catch (error) {
    await client.end();
    throw error;
  }
}
