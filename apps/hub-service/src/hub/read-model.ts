import type { HubProvisionedData, HubStatus, HubView } from "@hub/shared";
import { Prisma, type RecordedEvent, type Transaction } from "../event-store/event-store.ts";

const statusAfter: Record<string, HubStatus> = {
  HubClaimed: "Claimed",
  HubSuspended: "Suspended",
  HubDecommissioned: "Decommissioned",
};

/** Projects appended hub events onto the `hubs` read model, inside the append's transaction. */
export async function projectHubEvents(tx: Transaction, events: readonly RecordedEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === "HubProvisioned") {
      const data = event.data as HubProvisionedData;
      const provisionedAt = new Date(data.provisionedAt);
      await tx.hub.create({
        data: {
          id: data.hubId,
          serial: data.serial,
          model: data.model,
          thingName: data.thingName,
          vendorName: data.vendorName ?? null,
          status: "Provisioned",
          version: event.version,
          provisionedAt,
          updatedAt: provisionedAt,
        },
      });
      continue;
    }
    const status = statusAfter[event.type];
    await tx.hub.update({
      where: { id: event.streamId },
      data: { version: event.version, updatedAt: event.recordedAt, ...(status ? { status } : {}) },
    });
  }
}

/**
 * The `hubs` row of each appended HubProvisioned event, as the data-modifying statement that
 * `EventStore.appendToStreamInOneStatement` runs over its CTE `appended`: the row is derived from
 * the event exactly as stored, and written by the same statement (or not at all). Only
 * HubProvisioned is projected here; appends of other events use appendToStream + projectHubEvents.
 */
export const insertProvisionedHubs: Prisma.Sql = Prisma.sql`
  INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at)
  SELECT a.stream_id, a.data->>'serial', a.data->>'model', a.data->>'thingName', a.data->>'vendorName',
         'Provisioned', a.version,
         to_timestamp((a.data->>'provisionedAt')::double precision / 1000),
         to_timestamp((a.data->>'provisionedAt')::double precision / 1000)
  FROM appended a
  WHERE a.type = 'HubProvisioned'`;

type HubRow = {
  id: string;
  serial: string;
  model: string;
  thingName: string;
  vendorName: string | null;
  status: string;
  version: number;
  provisionedAt: Date;
  updatedAt: Date;
};

export function toHubView(row: HubRow): HubView {
  return {
    hubId: row.id,
    serial: row.serial,
    model: row.model,
    thingName: row.thingName,
    vendorName: row.vendorName,
    status: row.status as HubStatus,
    version: row.version,
    provisionedAt: row.provisionedAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}
