import { ConflictError, type HubEventType } from "@hub/shared";
import type { UniqueConflicts } from "../event-store/event-store.ts";
import { Prisma } from "../generated/prisma/client.ts";

/** Epoch ms in event data → timestamptz (millisecond precision, as the columns hold). */
const at = (field: string) => Prisma.raw(`to_timestamp((a.data->>'${field}')::double precision / 1000)`);

/** Every event moves the row's version and update time; `changes` is the rest of its SET list. */
function updateHub(type: HubEventType, changes?: Prisma.Sql): Prisma.Sql {
  const rest = changes ? Prisma.sql`${changes}, ` : Prisma.empty;
  return Prisma.sql`
    UPDATE hubs AS h SET ${rest}version = a.version, updated_at = a.recorded_at
    FROM appended a
    WHERE h.id = a.stream_id AND a.type = ${type}`;
}

/** The hub spoke (reported, connected or disconnected) at the event's `field`: last seen then, or later. */
const seenAt = (field: string) => Prisma.sql`last_seen_at = GREATEST(h.last_seen_at, ${at(field)})`;

/** A command leaves SENT: its state, what the hub said, and when. */
function finishCommand(type: HubEventType, state: string, changes: Prisma.Sql, when: string): Prisma.Sql {
  return Prisma.sql`
    UPDATE hub_commands AS c SET state = ${state}, ${changes}, completed_at = ${at(when)}, version = a.version
    FROM appended a
    WHERE c.command_id = a.data->>'commandId' AND a.type = ${type} AND c.state = 'SENT'`;
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
  HubCommandSent: [
    updateHub("HubCommandSent"),
    Prisma.sql`
      INSERT INTO hub_commands (command_id, hub_id, command, args, secret_args, state, sent_at, timeout_at,
                                sent_by_kind, sent_by_id, sent_by_org_id, version)
      SELECT a.data->>'commandId', a.stream_id, a.data->>'command', a.data->'args',
             ARRAY(SELECT jsonb_array_elements_text(COALESCE(a.data->'secretArgs', '[]'::jsonb))),
             'SENT', ${at("sentAt")}, ${at("timeoutAt")},
             a.metadata->'actor'->>'kind', a.metadata->'actor'->>'id', a.metadata->>'orgId', a.version
      FROM appended a
      WHERE a.type = 'HubCommandSent'
      ON CONFLICT (command_id) DO NOTHING`,
  ],
  // server_info's answer is the hub's firmware version and uptime: kept on the hub's row.
  HubCommandSucceeded: [
    updateHub(
      "HubCommandSucceeded",
      Prisma.sql`${seenAt("completedAt")},
        firmware_version = CASE WHEN a.data->>'command' = 'server_info'
          AND jsonb_typeof(a.data->'result'->'firmwareVersion') = 'string'
          THEN a.data->'result'->>'firmwareVersion' ELSE h.firmware_version END,
        uptime_seconds = CASE WHEN a.data->>'command' = 'server_info'
          AND jsonb_typeof(a.data->'result'->'uptimeSeconds') = 'number'
          THEN (a.data->'result'->>'uptimeSeconds')::numeric::bigint ELSE h.uptime_seconds END`,
    ),
    finishCommand("HubCommandSucceeded", "SUCCEEDED", Prisma.sql`result = a.data->'result'`, "completedAt"),
  ],
  HubCommandFailed: [
    updateHub("HubCommandFailed", seenAt("completedAt")),
    finishCommand("HubCommandFailed", "FAILED", Prisma.sql`reason = a.data->>'reason'`, "completedAt"),
  ],
  HubCommandRejected: [
    updateHub("HubCommandRejected", seenAt("completedAt")),
    finishCommand("HubCommandRejected", "REJECTED", Prisma.sql`reason = a.data->>'reason'`, "completedAt"),
  ],
  HubCommandTimedOut: [
    updateHub("HubCommandTimedOut"),
    finishCommand("HubCommandTimedOut", "TIMED_OUT", Prisma.sql`reason = NULL`, "timedOutAt"),
  ],
  HubConnected: updateHub("HubConnected", Prisma.sql`online = true, ${seenAt("connectedAt")}`),
  HubDisconnected: updateHub("HubDisconnected", Prisma.sql`online = false, ${seenAt("disconnectedAt")}`),
} as const satisfies Record<HubEventType, Prisma.Sql | readonly Prisma.Sql[]>;

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
