import type { HubProvisionedData, HubStatus, HubView } from "@hub/shared";
import type { RecordedEvent, Transaction } from "../event-store/event-store.ts";

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
