import type { HubStatus, HubView } from "@hub/shared";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

/** A `hubs` row as every read selects it (HUB_COLUMNS); the one row type and its one mapper. */
export type HubRow = {
  id: string;
  serial: string;
  model: string;
  thing_name: string;
  vendor_name: string | null;
  status: string;
  version: number;
  provisioned_at: Date;
  updated_at: Date;
  provisioned_by_org_id: string | null;
  org_id: string | null;
  site_id: string | null;
  is_primary: boolean;
  claimed_at: Date | null;
  online: boolean;
  last_seen_at: Date | null;
  firmware_version: string | null;
  uptime_seconds: bigint | number | null;
};

export const HUB_COLUMNS = Prisma.raw(
  "id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at, " +
    "provisioned_by_org_id, org_id, site_id, is_primary, claimed_at, online, last_seen_at, firmware_version, " +
    "uptime_seconds",
);

const ms = (value: Date | string) => new Date(value).getTime();

export function toHubView(row: HubRow): HubView {
  return {
    hubId: row.id,
    serial: row.serial,
    model: row.model,
    thingName: row.thing_name,
    vendorName: row.vendor_name,
    status: row.status as HubStatus,
    version: row.version,
    provisionedAt: ms(row.provisioned_at),
    updatedAt: ms(row.updated_at),
    provisionedByOrgId: row.provisioned_by_org_id,
    orgId: row.org_id,
    siteId: row.site_id,
    isPrimary: row.is_primary,
    claimedAt: row.claimed_at === null ? null : ms(row.claimed_at),
    online: row.online,
    lastSeen: row.last_seen_at === null ? null : ms(row.last_seen_at),
    firmwareVersion: row.firmware_version,
    uptimeSeconds: row.uptime_seconds === null ? null : Number(row.uptime_seconds),
  };
}

export async function readHubById(prisma: PrismaClient, hubId: string): Promise<HubView | null> {
  const [row] = await prisma.$queryRaw<HubRow[]>`SELECT ${HUB_COLUMNS} FROM hubs WHERE id = ${hubId}::uuid`;
  return row ? toHubView(row) : null;
}

export async function readHubBySerial(prisma: PrismaClient, serial: string): Promise<HubView | null> {
  const [row] = await prisma.$queryRaw<HubRow[]>`SELECT ${HUB_COLUMNS} FROM hubs WHERE serial = ${serial}`;
  return row ? toHubView(row) : null;
}
