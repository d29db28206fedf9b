import { randomUUID } from "node:crypto";
import type { HubListFilter, HubStatus, HubView } from "@hub/shared";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

export const FIXTURE_MODELS = ["HUB-1", "HUB-2", "HUB-3", "HUB-4"] as const;
export const FIXTURE_VENDORS = ["Acme", "Globex", "Initech", null] as const;
export const FIXTURE_SERIAL_PREFIXES = ["AB", "AC", "B_", "BZ", "XY"] as const;

/**
 * `count` hubs with their events, written in one statement (hubs + HubProvisioned, and a
 * HubSuspended/HubDecommissioned event for hubs in those states), the way the projection would
 * have left them. Provisioning times come in groups of three equal milliseconds, so orders by
 * time must break ties; serials share a few prefixes (one with a LIKE wildcard in it), spread
 * across statuses. Each model belongs to one vendor, as in the product (Acme makes HUB-2).
 */
export async function seedHubs(
  prisma: PrismaClient,
  count: number,
  options: { startAt?: number; label?: string } = {},
): Promise<HubView[]> {
  const startAt = options.startAt ?? Date.UTC(2025, 0, 1);
  const label = options.label ?? randomUUID().slice(0, 6);
  const hubs: HubView[] = [];
  for (let i = 0; i < count; i++) {
    const status: HubStatus = i % 10 === 3 ? "Suspended" : i % 25 === 7 ? "Decommissioned" : "Provisioned";
    const provisionedAt = startAt + Math.floor(i / 3) * 1000;
    const hubId = randomUUID();
    hubs.push({
      hubId,
      serial: `${FIXTURE_SERIAL_PREFIXES[(i + Math.floor(i / 5)) % 5]}${label}-${String((i * 7919) % 100_003).padStart(6, "0")}-${i}`,
      model: FIXTURE_MODELS[(i * 3) % 4] as string,
      thingName: `thing-${hubId}`,
      vendorName: FIXTURE_VENDORS[(i * 5 + 1) % 4] ?? null,
      status,
      version: status === "Provisioned" ? 1 : 2,
      provisionedAt,
      updatedAt: provisionedAt,
      provisionedByOrgId: null,
      orgId: null,
      siteId: null,
      isPrimary: false,
      claimedAt: null,
    });
  }
  const column = <T>(pick: (hub: HubView) => T) => hubs.map(pick);
  await prisma.$executeRaw`
    WITH input AS (
      SELECT * FROM unnest(
        ${column((h) => h.hubId)}::uuid[], ${column((h) => h.serial)}::text[], ${column((h) => h.model)}::text[],
        ${column((h) => h.vendorName)}::text[], ${column((h) => h.status)}::text[],
        ${column((h) => new Date(h.provisionedAt).toISOString())}::timestamptz[]
      ) AS t(id, serial, model, vendor_name, status, provisioned_at)
    ), new_hubs AS (
      INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at)
      SELECT id, serial, model, 'thing-' || id, vendor_name, status,
             CASE WHEN status = 'Provisioned' THEN 1 ELSE 2 END, provisioned_at, provisioned_at
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
    SELECT id, 2, CASE status WHEN 'Suspended' THEN 'HubSuspended' ELSE 'HubDecommissioned' END,
           CASE status
             WHEN 'Suspended' THEN jsonb_build_object('hubId', id, 'reason', 'fixture', 'suspendedBy', 'admin-1',
               'suspendedAt', (extract(epoch FROM provisioned_at + interval '1 hour') * 1000)::bigint)
             ELSE jsonb_build_object('hubId', id, 'reason', 'fixture', 'decommissionedBy', 'admin-1',
               'decommissionedAt', (extract(epoch FROM provisioned_at + interval '1 hour') * 1000)::bigint)
           END,
           '{"actor":{"kind":"admin","id":"admin-1"},"requestId":"seed","correlationId":"seed","source":"graphql"}'::jsonb,
           provisioned_at + interval '1 hour'
    FROM input WHERE status <> 'Provisioned'`;
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
    (to === undefined || hub.provisionedAt < to)
  );
}
