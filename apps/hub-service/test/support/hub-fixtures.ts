import { randomUUID } from "node:crypto";
import type { HubListFilter, HubStatus, HubView } from "@hub/shared";
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
 * primary (HubClaimed, then HubRoleSet).
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
        ${column((h) => h.version)}::int[]
      ) AS t(id, serial, model, vendor_name, status, provisioned_at, org_id, site_id, is_primary, version)
    ), new_hubs AS (
      INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at,
                        org_id, site_id, is_primary, claimed_at)
      SELECT id, serial, model, 'thing-' || id, vendor_name, status, version, provisioned_at, provisioned_at,
             org_id, site_id, is_primary, CASE WHEN org_id IS NULL THEN NULL ELSE provisioned_at + interval '1 hour' END
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
    (filter.isPrimary === undefined || hub.isPrimary === filter.isPrimary)
  );
}
