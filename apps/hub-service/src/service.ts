import type {
  HubView,
  ProvisionHubBody,
  ProvisionHubResult,
  RecordedEventView,
  RequestContext,
} from "@hub/shared";
import type { Database } from "./db/client.ts";
import { EventStore, type RecordedEvent } from "./event-store/event-store.ts";
import { handleProvisionHub } from "./hub/provision-hub.ts";
import { toHubView } from "./hub/read-model.ts";
import type { IotRegistry } from "./iot/iot-registry.ts";

export type HubService = {
  provision(body: ProvisionHubBody, context: RequestContext): Promise<ProvisionHubResult>;
  byId(hubId: string): Promise<HubView | null>;
  bySerial(serial: string): Promise<HubView | null>;
  events(hubId: string, options: { fromVersion: number; limit: number }): Promise<RecordedEventView[]>;
};

export type HubServiceDeps = {
  readonly db: Database;
  readonly registry: IotRegistry;
  readonly now?: () => number;
};

export function toEventView(event: RecordedEvent): RecordedEventView {
  return {
    position: event.position.toString(),
    streamId: event.streamId,
    version: event.version,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.getTime(),
  };
}

/** The application service: what procedures call. Holds no transport concerns. */
export function createHubService(deps: HubServiceDeps): HubService {
  const { prisma } = deps.db;
  const store = new EventStore(prisma);
  const now = deps.now ?? Date.now;
  return {
    provision: (body, context) => handleProvisionHub({ store, registry: deps.registry, now }, body, context),
    async byId(hubId) {
      const row = await prisma.hub.findUnique({ where: { id: hubId } });
      return row ? toHubView(row) : null;
    },
    async bySerial(serial) {
      const row = await prisma.hub.findUnique({ where: { serial } });
      return row ? toHubView(row) : null;
    },
    async events(hubId, { fromVersion, limit }) {
      const rows = await prisma.hubEvent.findMany({
        where: { streamId: hubId, version: { gte: fromVersion } },
        orderBy: { version: "asc" },
        take: limit,
      });
      return rows.map((row) =>
        toEventView({
          ...row,
          data: row.data as Record<string, unknown>,
          metadata: row.metadata as Record<string, unknown>,
        }),
      );
    },
  };
}
