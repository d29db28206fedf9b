import type { EventConnection, HubConnection, HubView, RecordedEventView } from "@hub/shared";
import { createGroupCommit } from "./command-handling/group-commit.ts";
import { createHubCommands, type HubCommands } from "./command-handling/hub-command-service.ts";
import type { Database } from "./db/client.ts";
import { EventStore } from "./event-store/event-store.ts";
import { hubProjection, hubStreamGates, hubUniqueConflicts } from "./hub/projection.ts";
import { readHubById, readHubBySerial } from "./hub/read-model.ts";
import type { IotRegistry } from "./iot/iot-registry.ts";
import {
  type EventFeedQuery,
  eventFeed,
  type HubEventsQuery,
  hubEvents,
  lastEvents,
} from "./queries/event-reads.ts";
import { type HubListQuery, listHubs } from "./queries/hub-list.ts";

export type HubService = HubCommands & {
  byId(hubId: string): Promise<HubView | null>;
  bySerial(serial: string): Promise<HubView | null>;
  /** Admin dashboard reads: keyset pages, one SQL statement each. */
  list(query: HubListQuery): Promise<HubConnection>;
  events(query: HubEventsQuery): Promise<EventConnection>;
  /** The last event of each given hub (hubs without events are absent): one statement for a page. */
  lastEvents(hubIds: readonly string[]): Promise<RecordedEventView[]>;
  feed(query: EventFeedQuery): Promise<EventConnection>;
};

export type HubServiceDeps = {
  readonly db: Database;
  readonly registry: IotRegistry;
  readonly now?: () => number;
  /** Group commit of new hubs' first writes (default on): most hubs per statement, statements at once. */
  readonly groupCommit?: { readonly maxRows?: number; readonly maxInFlight?: number } | false;
  /** Rows of each group-commit statement (metrics). */
  readonly onGroup?: (rows: number) => void;
  readonly bulkConcurrency?: number;
  readonly onUnexpected?: (error: unknown, hubId: string | null) => void;
};

/** What procedures call: the hub command service's commands and the reads. Holds no transport concerns. */
export function createHubService(deps: HubServiceDeps): HubService {
  const { prisma } = deps.db;
  const store = new EventStore(prisma, {
    projection: hubProjection,
    uniqueConflicts: hubUniqueConflicts,
    streamGates: hubStreamGates,
  });
  const groupCommit =
    deps.groupCommit === false
      ? undefined
      : createGroupCommit({
          write: (streams) => store.appendNewStreams(streams),
          ...deps.groupCommit,
          ...(deps.onGroup ? { onGroup: deps.onGroup } : {}),
        });
  const commands = createHubCommands({
    store,
    registry: deps.registry,
    now: deps.now ?? Date.now,
    organizationExists: async (id) => (await prisma.organization.count({ where: { id } })) > 0,
    ...(groupCommit ? { groupCommit } : {}),
    ...(deps.bulkConcurrency !== undefined ? { bulkConcurrency: deps.bulkConcurrency } : {}),
    ...(deps.onUnexpected ? { onUnexpected: deps.onUnexpected } : {}),
  });
  return {
    provision: commands.provision,
    provisionMany: commands.provisionMany,
    execute: commands.execute,
    byId: (hubId) => readHubById(prisma, hubId),
    bySerial: (serial) => readHubBySerial(prisma, serial),
    list: (query) => listHubs(prisma, query),
    events: (query) => hubEvents(prisma, query),
    lastEvents: (hubIds) => lastEvents(prisma, hubIds),
    feed: (query) => eventFeed(prisma, query),
  };
}
