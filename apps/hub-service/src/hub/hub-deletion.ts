import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import type { HubDeletionMode, HubDeletionOperation, HubDeletionResult, Principal } from "@hub/shared";
import { auditInsert } from "../audit/audit-log.ts";
import { isLostRace } from "../event-store/errors.ts";
import type { EventStore } from "../event-store/event-store.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { type EventRow, rowToEventView } from "../queries/event-reads.ts";
import { decideDeletion } from "./deletion.ts";
import { foldHub } from "./hub.ts";

export type HubDeletionRequest = {
  readonly hubId: string;
  readonly mode: HubDeletionMode;
  readonly force: boolean;
  readonly actor: Principal;
  readonly requestId?: string | undefined;
};

export type HubDeletionDeps = {
  readonly prisma: PrismaClient;
  readonly store: EventStore;
  /** Where DELETE_DO_AND_EVENTS writes a stream's archive (HUB_ARCHIVE_DIR). */
  readonly archiveDir: string;
  readonly now: () => number;
};

type Tx = Prisma.TransactionClient;

/** A stored event as the archive holds it: an event read's columns, its transaction and recipients. */
type StreamRow = Omit<EventRow, "position"> & {
  position: bigint;
  transaction_id: string;
  org_ids: string[];
};

const STREAM_COLUMNS = Prisma.raw(
  "position, stream_id::text AS stream_id, version, type, data, metadata, recorded_at, " +
    "transaction_id::text AS transaction_id, org_ids",
);
("position, stream_id::text AS stream_id, version, type, data, metadata, recorded_at, transaction_id::text AS transaction_id, org_ids");

/**
 * Locks every event of the stream (FOR UPDATE), its last one included: an append needs a KEY SHARE
 * lock on the stream's last event (the event store's guard), so from here until this transaction
 * ends no event joins the stream, and an append in flight has committed before this returns. A
 * statement sees what committed before it started: the lock is taken again until the stream's
 * last version is among the locked rows.
 */
async function lockStream(tx: Tx, hubId: string): Promise<StreamRow[]> {
  for (;;) {
    const rows = await tx.$queryRaw<StreamRow[]>`
      SELECT ${STREAM_COLUMNS} FROM hub_events WHERE stream_id = ${hubId}::uuid ORDER BY version FOR UPDATE`;
    const [head] = await tx.$queryRaw<{ version: number | null }[]>`
      SELECT max(version) AS version FROM hub_events WHERE stream_id = ${hubId}::uuid`;
    if ((head?.version ?? 0) === (rows.at(-1)?.version ?? 0)) return rows;
  }
}

/** The archive's file name: the hub, and when (UTC, to the millisecond, sortable). */
export function archiveFileName(hubId: string, at: number): string {
  return `hub-${hubId}-${new Date(at).toISOString().replace(/[:.]/g, "-")}.jsonl`;
}

/** One JSON line per event, in version order, each with its metadata and log position. */
export function archiveLines(rows: readonly StreamRow[]): string {
  return rows
    .map((row) =>
      JSON.stringify({
        ...rowToEventView(row),
        recordedAt: new Date(row.recorded_at).toISOString(),
        transactionId: row.transaction_id,
        orgIds: row.org_ids,
      }),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** Writes `content` to `file` and flushes it to disk before returning. */
async function writeSynced(file: string, content: string): Promise<void> {
  const handle = await open(file, "wx");
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The directory's entry for new files reaches the disk too (a no-op where directories cannot be opened). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

/**
 * The stream's archive and its digest beside it (`<file>.sha256`, in `sha256sum` format, so
 * `sha256sum -c <file>.sha256` checks it from the archive's directory), both fsync'ed.
 */
async function writeArchive(
  dir: string,
  hubId: string,
  at: number,
  rows: readonly StreamRow[],
): Promise<{ file: string; sha256: string }> {
  await mkdir(dir, { recursive: true });
  const name = archiveFileName(hubId, at);
  const file = path.join(dir, name);
  const content = archiveLines(rows);
  const sha256 = createHash("sha256").update(content, "utf8").digest("hex");
  await writeSynced(file, content);
  await writeSynced(`${file}.sha256`, `${sha256}  ${name}\n`);
  await syncDirectory(dir);
  return { file, sha256 };
}

const DELETION_ATTEMPTS = 3;

/**
 * Deletes a hub, in one transaction with its audit record (see @hub/shared hub-deletion.ts for
 * the modes). Refusals (unknown hub, an active hub without force) roll back: nothing written. A
 * transaction PostgreSQL aborted as a deadlock's victim (with the webhook fan-out, which reads
 * the same events) wrote nothing and is run again.
 */
export async function deleteHub(
  deps: HubDeletionDeps,
  request: HubDeletionRequest,
): Promise<HubDeletionResult> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await deleteOnce(deps, request, started);
    } catch (error) {
      if (attempt >= DELETION_ATTEMPTS || !isLostRace(error)) throw error;
    }
  }
}

async function deleteOnce(
  deps: HubDeletionDeps,
  request: HubDeletionRequest,
  started: number,
): Promise<HubDeletionResult> {
  const { hubId, mode, force } = request;
  let archive: { file: string; sha256: string } | undefined;
  try {
    return await deps.prisma.$transaction(
      async (tx) => {
        const operations: HubDeletionOperation[] = [];
        const done = (operation: HubDeletionOperation["operation"], count: number) =>
          operations.push({ operation, count });
        const rows = await lockStream(tx, hubId);
        done("lockStream", rows.length);
        const decision = decideDeletion(foldHub(rows), { hubId, mode, force });
        const last = rows.at(-1);

        if (decision.removeEvents) {
          archive = await writeArchive(deps.archiveDir, hubId, deps.now(), rows);
          done("archiveEvents", rows.length);
          done("deleteEvents", await tx.$executeRaw`DELETE FROM hub_events WHERE stream_id = ${hubId}::uuid`);
          done(
            "deleteWebhookDeliveries",
            await tx.$executeRaw`DELETE FROM webhook_deliveries WHERE hub_id = ${hubId}::uuid`,
          );
          await tx.$executeRaw`DELETE FROM hub_command_sends WHERE hub_id = ${hubId}::uuid`;
        } else if (last) {
          // The fence: the last event leaves and comes back unchanged (same position, transaction
          // id, data), so an append that waited on it finds it gone and decides again on the
          // rebuilt row, instead of updating the row this transaction replaces.
          await tx.$executeRaw`DELETE FROM hub_events WHERE position = ${last.position}`;
          await tx.$executeRaw`
            INSERT INTO hub_events (position, stream_id, version, type, data, metadata, recorded_at,
                                    transaction_id, org_ids)
            VALUES (${last.position}, ${hubId}::uuid, ${last.version}, ${last.type},
                    ${JSON.stringify(last.data)}::jsonb, ${JSON.stringify(last.metadata)}::jsonb,
                    ${last.recorded_at}, ${last.transaction_id}::xid8, ${last.org_ids}::text[])`;
        }
        done(
          "deleteHubCommands",
          await tx.$executeRaw`DELETE FROM hub_commands WHERE hub_id = ${hubId}::uuid`,
        );
        done("deleteReadModel", await tx.$executeRaw`DELETE FROM hubs WHERE id = ${hubId}::uuid`);
        if (!decision.removeEvents) {
          await deps.store.project(tx, rows);
          done("rebuildReadModel", rows.length);
        }

        const auditRecordId = randomUUID();
        await tx.$executeRaw(
          auditInsert(
            {
              action: "hub.deleted",
              targetType: "hub",
              targetId: hubId,
              actor: request.actor,
              requestId: request.requestId,
              details: {
                mode,
                force,
                forced: decision.forced,
                eventCount: rows.length,
                lastVersion: last?.version ?? 0,
                archivePath: archive?.file ?? null,
                archiveSha256: archive?.sha256 ?? null,
              },
            },
            auditRecordId,
          ),
        );
        done("recordAudit", 1);
        const summary = decision.removeEvents
          ? `Hub ${hubId}: ${rows.length} events archived to ${archive?.file} (SHA-256 ${archive?.sha256}) and deleted with its read model, commands and webhook deliveries`
          : `Hub ${hubId}: read model rebuilt from its ${rows.length} events, which are kept`;
        return {
          success: true as const,
          hubId,
          mode,
          operations,
          deletionSummary: summary,
          auditLogPath: archive?.file ?? "",
          duration: Math.round(performance.now() - started),
          errors: [],
          auditRecordId,
          eventCount: rows.length,
          archiveSha256: archive?.sha256 ?? null,
        };
      },
      { timeout: 30_000, maxWait: 10_000 },
    );
  } catch (error) {
    // Rolled back: an archive of a deletion that did not happen is not left behind.
    if (archive) {
      await rm(archive.file, { force: true });
      await rm(`${archive.file}.sha256`, { force: true });
    }
    throw error;
  }
}
