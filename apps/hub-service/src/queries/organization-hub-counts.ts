import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

/**
 * How many hubs each organization owns, for a page of organizations in ONE grouped statement. An
 * organization owns the hubs claimed into it and, until someone claims them, the hubs its key
 * provisioned (the policy's owner: `org_id`, else `provisioned_by_org_id`). Each half is an index
 * range per organization: the hubs (org_id, …) index and hubs (provisioned_by_org_id).
 * Organizations without hubs are absent from the rows.
 */
export function organizationHubCountsSql(orgIds: readonly string[]): Prisma.Sql {
  const ids = [...orgIds];
  return Prisma.sql`SELECT owner AS org_id, count(*)::int AS hubs FROM (
      SELECT org_id AS owner FROM hubs WHERE org_id = ANY(${ids}::text[])
      UNION ALL
      SELECT provisioned_by_org_id FROM hubs
        WHERE provisioned_by_org_id = ANY(${ids}::text[]) AND org_id IS NULL
    ) AS owned GROUP BY owner`;
}

export type OrganizationHubCount = { readonly orgId: string; readonly hubCount: number };

export async function organizationHubCounts(
  prisma: PrismaClient,
  orgIds: readonly string[],
): Promise<OrganizationHubCount[]> {
  // Organization ids are lowercase UUIDs; a caller may spell one in capitals.
  const wanted = [...new Set(orgIds.map((id) => id.toLowerCase()))];
  if (wanted.length === 0) return [];
  const rows = await prisma.$queryRaw<{ org_id: string; hubs: number }[]>(organizationHubCountsSql(wanted));
  const counted = new Map(rows.map((row) => [row.org_id.toLowerCase(), Number(row.hubs)]));
  return orgIds.map((orgId) => ({ orgId, hubCount: counted.get(orgId.toLowerCase()) ?? 0 }));
}
