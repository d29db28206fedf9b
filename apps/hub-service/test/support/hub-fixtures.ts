import { randomUUID } from "node:crypto";
import type { HubCommandView, HubListFilter, HubStatus, HubView } from "@hub/shared";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

export const FIXTURE_MODELS = ["HUB-1", "HUB-2", "HUB-3", "HUB-4"] as const;
export const FIXTURE_VENDORS = ["Acme", "Globex", "Initech", null] as const;
export const FIXTURE_SERIAL_PREFIXES = ["AB", "AC", "B_", "BZ", "XY"] as const;
export const FIXTURE_ORGS = [
  "11111111-1111-4111-8111-111111111111",
  "22222222-2222-4222-8222-222222222222",
  "33333333-3333-4333-8333-333333333333",
] as const;
export const FIXTURE_SITES = ["site-0", "site-1", "site-2", "site-3"] as const;

/**
 * `count` hubs with their events, written in one statement (hubs + HubProvisioned, and a
 * HubSuspended/HubDecommissioned event for hubs in those states), the way the projection would
 * have left them. Provisioning times come in groups of three equal milliseconds, so orders by
 * time must break ties; serials share a few prefixes (one with a LIKE wildcard in it), spread
 * across statuses. Each model belongs to one vendor, as in the product (Acme makes HUB-2). One in
 * five hubs is claimed into one of three organizations and four sites, the first of each site its
 * primary (HubClaimed, then HubRoleSet). One in four is online (as presence events leave it:
 * last seen an hour after provisioning); the others have never connected.
 */
export async function seedHubs(
  prisma: PrismaClient,
  count: number,
  options: { startAt?: number; label?: string } = {},
): Promise<HubView[]> {
  const startAt = options.startAt ?? Date.UTC(2025, 0, 1);
  const label = options.label ?? randomUUID().slice(0, 6);
  const hubs: HubView[] = [];
  const sitesWithPrimary = new Set<string>();
  for (let i = 0; i < count; i++) {
    const claimed = i % 10 === 5 || i % 10 === 6;
    const status: HubStatus =
      i % 10 === 3 ? "Suspended" : i % 25 === 7 ? "Decommissioned" : claimed ? "Claimed" : "Provisioned";
    const provisionedAt = startAt + Math.floor(i / 3) * 1000;
    const hubId = randomUUID();
    const orgId = claimed ? (FIXTURE_ORGS[i % 3] as string) : null;
    const siteId = claimed ? (FIXTURE_SITES[Math.floor(i / 10) % 4] as string) : null;
    const isPrimary = claimed && !sitesWithPrimary.has(`${orgId}/${siteId}`);
    const online = i % 4 === 1;
    if (isPrimary) sitesWithPrimary.add(`${orgId}/${siteId}`);
    hubs.push({
      hubId,
      serial: `${FIXTURE_SERIAL_PREFIXES[(i + Math.floor(i / 5)) % 5]}${label}-${String((i * 7919) % 100_003).padStart(6, "0")}-${i}`,
      model: FIXTURE_MODELS[(i * 3) % 4] as string,
      thingName: `thing-${hubId}`,
      vendorName: FIXTURE_VENDORS[(i * 5 + 1) % 4] ?? null,
      status,
      version: status === "Provisioned" ? 1 : isPrimary ? 3 : 2,
      provisionedAt,
      updatedAt: provisionedAt,
      provisionedByOrgId: null,
      orgId,
      siteId,
      isPrimary,
      claimedAt: claimed ? provisionedAt + 3_600_000 : null,
      online,
      lastSeen: online ? provisionedAt + 3_600_000 : null,
      firmwareVersion: null,
      uptimeSeconds: null,
    });
  }
  const column = <T>(pick: (hub: HubView) => T) => hubs.map(pick);
  await prisma.$executeRaw`
    WITH input AS (
      SELECT * FROM unnest(
        ${column((h) => h.hubId)}::uuid[], ${column((h) => h.serial)}::text[], ${column((h) => h.model)}::text[],
        ${column((h) => h.vendorName)}::text[], ${column((h) => h.status)}::text[],
        ${column((h) => new Date(h.provisionedAt).toISOString())}::timestamptz[],
        ${column((h) => h.orgId)}::text[], ${column((h) => h.siteId)}::text[], ${column((h) => h.isPrimary)}::boolean[],
        ${column((h) => h.version)}::int[], ${column((h) => h.online)}::boolean[]
      ) AS t(id, serial, model, vendor_name, status, provisioned_at, org_id, site_id, is_primary, version, online)
    ), new_hubs AS (
      INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at,
                        org_id, site_id, is_primary, claimed_at, online, last_seen_at)
      SELECT id, serial, model, 'thing-' || id, vendor_name, status, version, provisioned_at, provisioned_at,
             org_id, site_id, is_primary, CASE WHEN org_id IS NULL THEN NULL ELSE provisioned_at + interval '1 hour' END,
             online, CASE WHEN online THEN provisioned_at + interval '1 hour' END
      FROM input
    )
    INSERT INTO hub_events (stream_id, version, type, data, metadata, recorded_at)
    SELECT id, 1, 'HubProvisioned',
           jsonb_strip_nulls(jsonb_build_object('hubId', id, 'serial', serial, 'model', model,
             'thingName', 'thing-' || id, 'vendorName', vendor_name,
             'provisionedAt', (extract(epoch FROM provisioned_at) * 1000)::bigint)),
           '{"actor":{"kind":"service","id":"fixture"},"requestId":"seed","correlationId":"seed","source":"trpc"}'::jsonb,
           provisioned_at
    FROM input
    UNION ALL
    SELECT id, 2, CASE status WHEN 'Suspended' THEN 'HubSuspended' WHEN 'Claimed' THEN 'HubClaimed' ELSE 'HubDecommissioned' END,
           CASE status
             WHEN 'Suspended' THEN jsonb_build_object('hubId', id, 'reason', 'fixture', 'suspendedBy', 'admin-1',
               'suspendedAt', (extract(epoch FROM provisioned_at + interval '1 hour') * 1000)::bigint)
             WHEN 'Claimed' THEN jsonb_build_object('hubId', id, 'orgId', org_id, 'siteId', site_id,
               'claimedBy', 'installer', 'claimedAt', (extract(epoch FROM provisioned_at + interval '1 hour') * 1000)::bigint)
             ELSE jsonb_build_object('hubId', id, 'reason', 'fixture', 'decommissionedBy', 'admin-1',
               'decommissionedAt', (extract(epoch FROM provisioned_at + interval '1 hour') * 1000)::bigint)
           END,
           '{"actor":{"kind":"admin","id":"admin-1"},"requestId":"seed","correlationId":"seed","source":"graphql"}'::jsonb,
           provisioned_at + interval '1 hour'
    FROM input WHERE status <> 'Provisioned'
    UNION ALL
    SELECT id, 3, 'HubRoleSet',
           jsonb_build_object('hubId', id, 'isPrimary', true, 'setBy', 'admin-1',
             'setAt', (extract(epoch FROM provisioned_at + interval '2 hours') * 1000)::bigint),
           '{"actor":{"kind":"admin","id":"admin-1"},"requestId":"seed","correlationId":"seed","source":"graphql"}'::jsonb,
           provisioned_at + interval '2 hours'
    FROM input WHERE is_primary`;
  return hubs;
}

/** The order the API promises, computed independently: time then id, or serial, byte-wise. */
export function compareHubs(field: "PROVISIONED_AT" | "SERIAL", direction: "ASC" | "DESC") {
  const sign = direction === "ASC" ? 1 : -1;
  const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  return (a: HubView, b: HubView): number => {
    const primary =
      field === "SERIAL"
        ? bytes(a.serial, b.serial)
        : a.provisionedAt - b.provisionedAt || bytes(a.hubId, b.hubId);
    return sign * primary;
  };
}

/** Whether a hub matches an admin list filter, computed independently of the SQL. */
export function matchesFilter(hub: HubView, filter: HubListFilter): boolean {
  const { from, to } = filter.provisionedAt ?? {};
  return (
    (filter.status === undefined || hub.status === filter.status) &&
    (filter.model === undefined || hub.model === filter.model) &&
    (filter.vendorName === undefined || hub.vendorName === filter.vendorName) &&
    (filter.serialPrefix === undefined || hub.serial.startsWith(filter.serialPrefix)) &&
    (from === undefined || hub.provisionedAt >= from) &&
    (to === undefined || hub.provisionedAt < to) &&
    (filter.orgId === undefined || hub.orgId === filter.orgId) &&
    (filter.siteId === undefined || hub.siteId === filter.siteId) &&
    (filter.isPrimary === undefined || hub.isPrimary === filter.isPrimary) &&
    (filter.online === undefined || hub.online === filter.online)
  );
}

/**
 * `perHub` commands for each given hub, written straight into the `hub_commands` read model as
 * the projection leaves them: states in turn (SENT, SUCCEEDED, FAILED, REJECTED, TIMED_OUT), sent
 * a second apart in pairs of the same millisecond (so pages must break ties by id),
 * sent by an organization's key or an admin. Returns them per hub, newest first.
 */
export async function seedHubCommands(
  prisma: PrismaClient,
  hubIds: readonly string[],
  perHub: number,
  options: { startAt?: number; orgId?: string } = {},
): Promise<Map<string, HubCommandView[]>> {
  const startAt = options.startAt ?? Date.UTC(2026, 0, 1);
  const states = ["SENT", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT"] as const;
  const byHub = new Map<string, HubCommandView[]>();
  const all: HubCommandView[] = [];
  for (const hubId of hubIds) {
    const commands: HubCommandView[] = [];
    for (let i = 0; i < perHub; i++) {
      const state = states[i % states.length] ?? "SENT";
      const sentAt = startAt + Math.floor(i / 2) * 1000;
      const byOrg = i % 2 === 0;
      commands.push({
        commandId: `cmd-${hubId.slice(0, 8)}-${String(i).padStart(5, "0")}-${randomUUID().slice(0, 6)}`,
        hubId,
        command: i % 2 === 0 ? "server_info" : "set_wifi_credentials",
        args: i % 2 === 0 ? null : { ssid: `net-${i}` },
        secretArgs: i % 2 === 0 ? [] : ["credentials"],
        state,
        result: state === "SUCCEEDED" ? { firmwareVersion: "1.2.3", uptimeSeconds: i } : null,
        reason: state === "FAILED" || state === "REJECTED" ? `reason ${i}` : null,
        sentAt,
        timeoutAt: sentAt + 60_000,
        completedAt: state === "SENT" ? null : sentAt + 500,
        sentBy: byOrg
          ? { kind: "organization", id: "key-1", orgId: options.orgId ?? null }
          : { kind: "admin", id: "admin-1", orgId: null },
      });
    }
    byHub.set(
      hubId,
      [...commands].sort((a, b) => b.sentAt - a.sentAt || (a.commandId < b.commandId ? 1 : -1)),
    );
    all.push(...commands);
  }
  const column = <T>(pick: (command: HubCommandView) => T) => all.map(pick);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  await prisma.$executeRaw`
    INSERT INTO hub_commands (command_id, hub_id, command, args, secret_args, state, result, reason, sent_at,
                              timeout_at, completed_at, sent_by_kind, sent_by_id, sent_by_org_id, version)
    SELECT command_id, hub_id, command, args, ARRAY(SELECT jsonb_array_elements_text(secret_args)), state,
           result, reason, sent_at, timeout_at, completed_at, sent_by_kind, sent_by_id, sent_by_org_id, 2
    FROM unnest(
      ${column((c) => c.commandId)}::text[], ${column((c) => c.hubId)}::uuid[], ${column((c) => c.command)}::text[],
      ${column((c) => (c.args === null ? null : JSON.stringify(c.args)))}::jsonb[],
      ${column((c) => JSON.stringify(c.secretArgs))}::jsonb[], ${column((c) => c.state)}::text[],
      ${column((c) => (c.result === null ? null : JSON.stringify(c.result)))}::jsonb[],
      ${column((c) => c.reason)}::text[], ${column((c) => iso(c.sentAt))}::timestamptz[],
      ${column((c) => iso(c.timeoutAt))}::timestamptz[], ${column((c) => iso(c.completedAt))}::timestamptz[],
      ${column((c) => c.sentBy.kind)}::text[], ${column((c) => c.sentBy.id)}::text[],
      ${column((c) => c.sentBy.orgId)}::text[]
    ) AS t(command_id, hub_id, command, args, secret_args, state, result, reason, sent_at, timeout_at,
           completed_at, sent_by_kind, sent_by_id, sent_by_org_id)`;
  return byHub;
}
