import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { appErrorFrom } from "@hub/hub-client";
import type { HubDeletionMode, Permission, Principal, RequestContext } from "@hub/shared";
import { hasPostgres, NEEDS_POSTGRES, testEngine } from "@hub/test-support";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHubById } from "../src/hub/read-model.ts";
import { cursorAtPosition, readLog } from "../src/log/log-reader.ts";
import { useTestDatabase } from "./support/database.ts";
import { useHubService } from "./support/system.ts";

// Hub deletion over real HTTP (tRPC) with a real database: both modes, refusals, and deletions
// racing commands on the same hub.
const archiveDir = await mkdtemp(path.join(tmpdir(), "hub-archive-"));
afterAll(() => rm(archiveDir, { recursive: true, force: true }));
const db = useTestDatabase();
const system = useHubService(db, { HUB_ARCHIVE_DIR: archiveDir });
const client = () => system.current.client;
const prisma = () => db.current.prisma;

const ORG = randomUUID();
const KEY_ID = randomUUID();
const as = (principal: Principal): RequestContext => ({
  principal,
  requestId: `req-${randomUUID()}`,
  correlationId: "corr-deletion",
  source: "trpc",
});
const operatorKey = (permissions: Permission[] = ["hubs:delete"]) => ({
  id: KEY_ID,
  orgId: "ops",
  permissions,
});
/** An admin token presented with a platform operator's key: what a deletion needs. */
const operator = as({ kind: "admin", id: "admin-ops", permissions: [], apiKey: operatorKey() });
const orgCaller = as({
  kind: "organization",
  id: ORG,
  orgId: ORG,
  permissions: ["hubs:provision", "hubs:manage", "hubs:read"],
});

beforeAll(async () => {
  await prisma().organization.create({ data: { id: ORG, name: `deletion ${ORG}` } });
});

async function provisionedHub(options: { claimed?: boolean } = {}) {
  const hubId = randomUUID();
  const thingName = `thing-${hubId}`;
  const serial = `SN-${hubId}`;
  await system.current.createThing(thingName);
  await system.current.setConnected(thingName, true);
  await client().hub.provision.mutate({
    caller: orgCaller,
    command: { hubId, serial, model: "HUB-2", thingName },
  });
  if (options.claimed ?? true) {
    await client().hub.claim.mutate({
      caller: orgCaller,
      command: { hubId, siteId: `site-${hubId}`, userId: "installer" },
    });
    await client().hub.setRole.mutate({
      caller: orgCaller,
      command: { hubId, isPrimary: true, userId: randomUUID() },
    });
  }
  return { hubId, thingName, serial };
}

const remove = (hubId: string, mode: HubDeletionMode, force = false, caller = operator) =>
  client().hub.delete.mutate({ caller, hubId, mode, force });

const count = async (sql: string, hubId: string) =>
  Number((await prisma().$queryRawUnsafe<{ n: bigint }[]>(sql, hubId))[0]?.n);
const eventCount = (hubId: string) =>
  count("SELECT count(*) AS n FROM hub_events WHERE stream_id = $1::uuid", hubId);
const rowCount = (hubId: string) => count("SELECT count(*) AS n FROM hubs WHERE id = $1::uuid", hubId);
const commandCount = (hubId: string) =>
  count("SELECT count(*) AS n FROM hub_commands WHERE hub_id = $1::uuid", hubId);
const auditCount = async () =>
  Number((await prisma().$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM audit_records`)[0]?.n);
const auditOf = (hubId: string) =>
  prisma().$queryRaw<
    { action: string; actor_id: string; actor_api_key_id: string; details: Record<string, unknown> }[]
  >`
    SELECT action, actor_id, actor_api_key_id::text, details FROM audit_records WHERE target_id = ${hubId}
    ORDER BY recorded_at, id`;

/** Everything a hub has in the database, to compare before and after. */
async function snapshot(hubId: string) {
  return {
    hub: await readHubById(prisma(), hubId),
    row: await prisma().$queryRaw`SELECT * FROM hubs WHERE id = ${hubId}::uuid`,
    commands: await prisma()
      .$queryRaw`SELECT * FROM hub_commands WHERE hub_id = ${hubId}::uuid ORDER BY command_id`,
    events: await prisma().$queryRaw`
      SELECT position, version, type, data, metadata, recorded_at, transaction_id::text, org_ids
      FROM hub_events WHERE stream_id = ${hubId}::uuid ORDER BY version`,
  };
}

async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  const app = appErrorFrom(error);
  return { kind: app?.kind, reason: (app as { reason?: string } | undefined)?.reason };
}

describe(`hub deletion (${testEngine()})`, () => {
  it("DELETE_DO_ONLY rebuilds the read model from the kept events, identical field by field", async () => {
    const { hubId } = await provisionedHub();
    await client().hub.suspend.mutate({
      caller: orgCaller,
      command: { hubId, reason: "audit", userId: "ops" },
    });
    await client().hub.resume.mutate({ caller: orgCaller, command: { hubId, userId: "ops" } });
    // Derived state that does not match the events (a damaged projection) is what the mode repairs.
    const before = await snapshot(hubId);
    await prisma()
      .$executeRaw`UPDATE hubs SET status = 'Suspended', model = 'damaged' WHERE id = ${hubId}::uuid`;

    const result = await remove(hubId, "DELETE_DO_ONLY");
    expect(result).toMatchObject({
      success: true,
      hubId,
      mode: "DELETE_DO_ONLY",
      auditLogPath: "",
      errors: [],
      eventCount: 5,
      archiveSha256: null,
    });
    expect(result.operations.map((o) => o.operation)).toEqual([
      "lockStream",
      "deleteHubCommands",
      "deleteReadModel",
      "rebuildReadModel",
      "recordAudit",
    ]);
    const after = await snapshot(hubId);
    expect(after.hub).not.toBeNull();
    for (const field of Object.keys(before.hub ?? {}) as (keyof NonNullable<typeof before.hub>)[]) {
      expect({ field, value: after.hub?.[field] }).toEqual({ field, value: before.hub?.[field] });
    }
    expect(after.row).toEqual(before.row);
    expect(after.commands).toEqual(before.commands);
    expect(after.events).toEqual(before.events);
    const [audit] = await auditOf(hubId);
    expect(audit).toMatchObject({
      action: "hub.deleted",
      actor_id: "admin-ops",
      actor_api_key_id: KEY_ID,
      details: { mode: "DELETE_DO_ONLY", eventCount: 5, archivePath: null, archiveSha256: null },
    });
    // The next command works on the rebuilt row.
    await client().hub.decommission.mutate({
      caller: orgCaller,
      command: { hubId, reason: "eol", userId: "ops" },
    });
    expect((await readHubById(prisma(), hubId))?.status).toBe("Decommissioned");
  });

  it("DELETE_DO_AND_EVENTS archives the stream with its digest, removes it, and frees serial and Thing name", async () => {
    const { hubId, thingName, serial } = await provisionedHub();
    await client().hub.decommission.mutate({
      caller: orgCaller,
      command: { hubId, reason: "eol", userId: "ops" },
    });
    const stored = (await snapshot(hubId)).events as {
      version: number;
      type: string;
      data: unknown;
      metadata: unknown;
    }[];
    const other = await provisionedHub({ claimed: false });
    const othersBefore = await prisma().$queryRaw<{ position: bigint }[]>`
      SELECT position FROM hub_events WHERE stream_id <> ${hubId}::uuid ORDER BY transaction_id, position`;

    const result = await remove(hubId, "DELETE_DO_AND_EVENTS");
    expect(result).toMatchObject({
      success: true,
      hubId,
      mode: "DELETE_DO_AND_EVENTS",
      errors: [],
      eventCount: 4,
    });
    expect(result.operations.map((o) => [o.operation, o.count])).toEqual([
      ["lockStream", 4],
      ["archiveEvents", 4],
      ["deleteEvents", 4],
      ["deleteWebhookDeliveries", 0],
      ["deleteHubCommands", 0],
      ["deleteReadModel", 1],
      ["recordAudit", 1],
    ]);
    expect(path.dirname(result.auditLogPath)).toBe(archiveDir);
    expect(path.basename(result.auditLogPath)).toMatch(new RegExp(`^hub-${hubId}-.+\\.jsonl$`));

    const content = await readFile(result.auditLogPath);
    const digest = createHash("sha256").update(content).digest("hex");
    expect(result.archiveSha256).toBe(digest);
    expect(await readFile(`${result.auditLogPath}.sha256`, "utf8")).toBe(
      `${digest}  ${path.basename(result.auditLogPath)}\n`,
    );
    const lines = content
      .toString("utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.version, line.type, line.data, line.metadata])).toEqual(
      stored.map((event) => [event.version, event.type, event.data, event.metadata]),
    );
    expect(lines.every((line) => line.streamId === hubId && typeof line.position === "string")).toBe(true);

    expect(await eventCount(hubId)).toBe(0);
    expect(await rowCount(hubId)).toBe(0);
    expect(await readHubById(prisma(), hubId)).toBeNull();
    const [audit] = await auditOf(hubId);
    expect(audit?.details).toEqual({
      mode: "DELETE_DO_AND_EVENTS",
      force: false,
      forced: false,
      eventCount: 4,
      lastVersion: 4,
      archivePath: result.auditLogPath,
      archiveSha256: digest,
    });
    // The log's consumers read ranges: the other hub's events are all still there, none waits on a hole.
    const expected = othersBefore.map((row) => String(row.position));
    let logAfter = await readLog(prisma(), { limit: 10_000 });
    for (let i = 0; i < 50 && logAfter.length < expected.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      logAfter = await readLog(prisma(), { limit: 10_000 });
    }
    expect(logAfter.map((e) => e.position)).toEqual(expected);
    expect(logAfter.some((e) => e.streamId === other.hubId)).toBe(true);

    // The same serial and Thing name provision again (a new id; the old one too).
    const newHubId = randomUUID();
    const again = await client().hub.provision.mutate({
      caller: orgCaller,
      command: { hubId: newHubId, serial, model: "HUB-2", thingName },
    });
    expect(again.event?.type).toBe("HubProvisioned");

    // A consumer whose checkpoint is the deleted stream's last event goes on past it: the next
    // read after that cursor finds the new hub's event, and a feed resuming at its position too.
    const lastArchived = lines.at(-1);
    const checkpoint = { tx: String(lastArchived.transactionId), position: String(lastArchived.position) };
    const newEvent = async (after: { tx: string; position: string }) => {
      for (let i = 0; i < 50; i++) {
        const read = await readLog(prisma(), { after, limit: 10_000 });
        if (read.some((e) => e.streamId === newHubId)) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    };
    expect(await newEvent(checkpoint)).toBe(true);
    expect(await newEvent(await cursorAtPosition(prisma(), checkpoint.position))).toBe(true);
  });

  it("force: a claimed, active hub's events are deleted only with force; the refusal writes nothing", async () => {
    const { hubId } = await provisionedHub();
    const before = await snapshot(hubId);
    const audits = await auditCount();
    expect(await refusal(remove(hubId, "DELETE_DO_AND_EVENTS"))).toEqual({
      kind: "CONFLICT",
      reason: "HUB_ACTIVE",
    });
    expect(await snapshot(hubId)).toEqual(before);
    expect(await auditCount()).toBe(audits);
    const files = async () => (await import("node:fs/promises")).readdir(archiveDir);
    expect((await files()).some((name) => name.includes(hubId))).toBe(false);

    const result = await remove(hubId, "DELETE_DO_AND_EVENTS", true);
    expect(result.eventCount).toBe(3);
    expect((await auditOf(hubId))[0]?.details).toMatchObject({ force: true, forced: true });
    expect(await eventCount(hubId)).toBe(0);
  });

  it("refusals (unknown hub, missing key, key without hubs:delete, no admin token, bad mode) write nothing", async () => {
    const { hubId } = await provisionedHub({ claimed: false });
    const before = await snapshot(hubId);
    const audits = await auditCount();
    expect(await refusal(remove(randomUUID(), "DELETE_DO_AND_EVENTS", true))).toEqual({
      kind: "NOT_FOUND",
      reason: undefined,
    });
    const adminOnly = as({ kind: "admin", id: "a", permissions: ["hubs:delete"] });
    const wrongKey = as({ kind: "admin", id: "a", permissions: [], apiKey: operatorKey(["hubs:manage"]) });
    const keyOnly = as({
      kind: "organization",
      id: "ops",
      orgId: "ops",
      permissions: ["hubs:delete"],
      apiKey: operatorKey(),
    });
    for (const caller of [adminOnly, wrongKey, keyOnly]) {
      expect(await refusal(remove(hubId, "DELETE_DO_AND_EVENTS", true, caller))).toMatchObject({
        kind: "FORBIDDEN",
      });
    }
    expect(
      await refusal(
        client().hub.delete.mutate({ caller: operator, hubId, mode: "DELETE_ALL" as never, force: true }),
      ),
    ).toMatchObject({ kind: "VALIDATION" });
    expect(await snapshot(hubId)).toEqual(before);
    expect(await auditCount()).toBe(audits);
  });

  it("lists the deletions in the audit trail (audit.list), for admins only", async () => {
    const { hubId } = await provisionedHub({ claimed: false });
    await remove(hubId, "DELETE_DO_ONLY");
    const page = await client().audit.list.query({
      caller: as({ kind: "admin", id: "a", permissions: [] }),
      filter: { action: "hub.deleted", targetId: hubId },
    });
    expect(page.edges.map((edge) => edge.node)).toMatchObject([
      {
        action: "hub.deleted",
        targetType: "hub",
        targetId: hubId,
        actor: { id: "admin-ops", apiKeyId: KEY_ID },
      },
    ]);
    expect(await refusal(client().audit.list.query({ caller: orgCaller }))).toMatchObject({
      kind: "FORBIDDEN",
    });
  });

  it("16 deletions and commands racing on one hub: it is fully present or fully gone, and the audit log says which", async () => {
    for (const modes of [["DELETE_DO_ONLY"], ["DELETE_DO_ONLY", "DELETE_DO_AND_EVENTS"]] as const) {
      const { hubId } = await provisionedHub();
      const calls = Array.from({ length: 16 }, (_, i) => {
        if (i % 2 === 1) return remove(hubId, modes[(i >> 1) % modes.length] as HubDeletionMode, true);
        const command = { hubId, reason: `race ${i}`, userId: "ops" };
        return i % 4 === 0
          ? client().hub.suspend.mutate({ caller: orgCaller, command })
          : client().hub.resume.mutate({ caller: orgCaller, command });
      });
      const outcomes = await Promise.allSettled(calls);
      const failures = outcomes.flatMap((o) =>
        o.status === "rejected" ? [appErrorFrom(o.reason)?.kind ?? String(o.reason)] : [],
      );
      // A command that lost to the deletion finds no hub; nothing else fails.
      expect(failures.every((kind) => kind === "NOT_FOUND")).toBe(true);
      const audits = await auditOf(hubId);
      const erased = audits.filter((a) => a.details.mode === "DELETE_DO_AND_EVENTS");
      const events = await eventCount(hubId);
      if (erased.length > 0) {
        expect(erased).toHaveLength(1);
        expect({ events, row: await rowCount(hubId), commands: await commandCount(hubId) }).toEqual({
          events: 0,
          row: 0,
          commands: 0,
        });
        // Every event a successful command wrote before the deletion is in the archive.
        const archived = (await readFile(String(erased[0]?.details.archivePath), "utf8"))
          .trimEnd()
          .split("\n");
        expect(archived).toHaveLength(Number(erased[0]?.details.eventCount));
      } else {
        expect(modes).toEqual(["DELETE_DO_ONLY"]);
        const hub = await readHubById(prisma(), hubId);
        expect(hub?.version).toBe(events);
        // What the row says is what the events say: a rebuild now changes nothing.
        const before = await snapshot(hubId);
        await remove(hubId, "DELETE_DO_ONLY");
        expect(await snapshot(hubId)).toEqual(before);
      }
      const succeeded = outcomes.filter((o, i) => i % 2 === 1 && o.status === "fulfilled").length;
      expect(audits).toHaveLength(succeeded);
    }
  });
});

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const pending = Symbol("pending");
  const winner = await Promise.race([
    promise.then(
      () => "settled",
      () => "settled",
    ),
    new Promise((resolve) => setTimeout(() => resolve(pending), ms)),
  ]);
  return winner === pending;
}

// Two connections, each step forced in order: what the 16-call race can only hit by chance.
describe.runIf(hasPostgres())(`hub deletion's locks (${NEEDS_POSTGRES})`, () => {
  async function held(work: (client: pg.Client) => Promise<void>) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query("BEGIN");
    await work(client);
    return {
      commit: async () => {
        await client.query("COMMIT");
        await client.end();
      },
    };
  }

  it("an append behind a transaction that locked and deleted the stream waits for it, then writes nothing (404)", async () => {
    const { hubId } = await provisionedHub();
    const deleter = await held(async (client) => {
      await client.query("SELECT position FROM hub_events WHERE stream_id = $1 ORDER BY version FOR UPDATE", [
        hubId,
      ]);
      await client.query("DELETE FROM hub_events WHERE stream_id = $1", [hubId]);
      await client.query("DELETE FROM hubs WHERE id = $1", [hubId]);
    });
    const suspend = client().hub.suspend.mutate({
      caller: orgCaller,
      command: { hubId, reason: "race", userId: "ops" },
    });
    expect(await pendingAfter(suspend, 300)).toBe(true);
    await deleter.commit();
    expect(await refusal(suspend)).toEqual({ kind: "NOT_FOUND", reason: undefined });
    expect(await eventCount(hubId)).toBe(0);
  });

  it("a deletion waits for an append in flight and archives its event with the rest", async () => {
    const { hubId } = await provisionedHub();
    const version = await eventCount(hubId);
    // An append in flight: its guard's KEY SHARE lock on the last event, its event inserted, not committed.
    const appender = await held(async (client) => {
      await client.query("SELECT 1 FROM hub_events WHERE stream_id = $1 AND version = $2 FOR KEY SHARE", [
        hubId,
        version,
      ]);
      await client.query(
        `INSERT INTO hub_events (stream_id, version, type, data, metadata, org_ids)
         VALUES ($1, $2, 'HubSuspended', $3, '{}', '{}')`,
        [hubId, version + 1, JSON.stringify({ hubId, reason: "late", suspendedBy: "ops", suspendedAt: 5 })],
      );
    });
    const deletion = remove(hubId, "DELETE_DO_AND_EVENTS", true);
    expect(await pendingAfter(deletion, 300)).toBe(true);
    await appender.commit();
    const result = await deletion;
    expect(result.eventCount).toBe(version + 1);
    const archived = (await readFile(result.auditLogPath, "utf8")).trimEnd().split("\n");
    expect(archived.map((line) => JSON.parse(line).type).at(-1)).toBe("HubSuspended");
    expect(await eventCount(hubId)).toBe(0);
  });

  it("DELETE_DO_ONLY: an append waiting on the locked stream decides again on the rebuilt row", async () => {
    const { hubId } = await provisionedHub();
    const locker = await held(async (client) => {
      await client.query("SELECT position FROM hub_events WHERE stream_id = $1 ORDER BY version FOR UPDATE", [
        hubId,
      ]);
    });
    const deletion = remove(hubId, "DELETE_DO_ONLY");
    const suspend = client().hub.suspend.mutate({
      caller: orgCaller,
      command: { hubId, reason: "race", userId: "ops" },
    });
    expect(await pendingAfter(Promise.race([deletion, suspend]), 300)).toBe(true);
    await locker.commit();
    await Promise.all([deletion, suspend]);
    const hub = await readHubById(prisma(), hubId);
    expect(hub).toMatchObject({ status: "Suspended", version: await eventCount(hubId) });
  });
});
