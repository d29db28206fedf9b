import { ConflictError, type HubEventType } from "@hub/shared";
import type { UniqueConflicts } from "../event-store/event-store.ts";
import { Prisma } from "../generated/prisma/client.ts";

/** Epoch ms in event data → timestamptz (millisecond precision, as the columns hold). */
const at = (field: string) => Prisma.raw(`to_timestamp((a.data->>'${field}')::double precision / 1000)`);

/** Every event moves the row's version and update time; `changes` is the rest of its SET list. */
function updateHub(type: HubEventType, changes: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    UPDATE hubs AS h SET ${changes}, version = a.version, updated_at = a.recorded_at
    FROM appended a
    WHERE h.id = a.stream_id AND a.type = ${type}`;
}

/**
 * The `hubs` read model, registered once with the event store: for each event type, the change
 * it makes, as one statement over the appended event (CTE `appended`). It runs in the append's
 * own statement or transaction, so the row and the log never disagree.
 */
export const hubProjection = {
  HubProvisioned: Prisma.sql`
    INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at,
                      updated_at, provisioned_by_org_id)
    SELECT a.stream_id, a.data->>'serial', a.data->>'model', a.data->>'thingName', a.data->>'vendorName',
           'Provisioned', a.version, ${at("provisionedAt")}, ${at("provisionedAt")},
           a.metadata->>'orgId'
    FROM appended a
    WHERE a.type = 'HubProvisioned'`,
  HubClaimed: updateHub(
    "HubClaimed",
    Prisma.sql`status = 'Claimed', org_id = a.data->>'orgId', site_id = a.data->>'siteId',
               claimed_at = ${at("claimedAt")}`,
  ),
  HubReClaimed: updateHub(
    "HubReClaimed",
    Prisma.sql`org_id = a.data->>'newOrgId', site_id = a.data->>'newSiteId', is_primary = false,
               claimed_at = ${at("reclaimedAt")}`,
  ),
  HubRoleSet: updateHub("HubRoleSet", Prisma.sql`is_primary = (a.data->>'isPrimary')::boolean`),
  HubSuspended: updateHub("HubSuspended", Prisma.sql`status = 'Suspended'`),
  // Back to what it was before: claimed if it has an organization, else provisioned.
  HubResumed: updateHub(
    "HubResumed",
    Prisma.sql`status = CASE WHEN h.org_id IS NULL THEN 'Provisioned' ELSE 'Claimed' END`,
  ),
  HubDecommissioned: updateHub(
    "HubDecommissioned",
    Prisma.sql`status = 'Decommissioned', is_primary = false`,
  ),
} as const satisfies Record<HubEventType, Prisma.Sql>;

/**
 * The group append's gate for new hubs (see EventStore.appendNewStreams): HubProvisioned's own
 * insert, each row kept only when no unique constraint (id, serial, thing name) objects; the
 * others are decided one by one, where the same constraints name the conflicting field.
 */
export const hubStreamGates = {
  HubProvisioned: Prisma.sql`${hubProjection.HubProvisioned} ON CONFLICT DO NOTHING RETURNING id AS stream_id`,
};

/** The read model's unique constraints that are business conflicts, with what they mean. */
export const hubUniqueConflicts: UniqueConflicts = {
  hubs_serial_key: () => new ConflictError("serial is already used by another hub", "serial", "FIELD_TAKEN"),
  hubs_thing_name_key: () =>
    new ConflictError("thingName is already used by another hub", "thingName", "FIELD_TAKEN"),
  hubs_one_primary_per_site: () =>
    new ConflictError("Another hub is already the primary hub of this site", "isPrimary", "SITE_HAS_PRIMARY"),
};
