import { randomBytes } from "node:crypto";
import type {
  EventConnection,
  HubCommandConnection,
  HubCommandView,
  HubConnection,
  HubDeletionResult,
  HubView,
  RecordedEventView,
} from "@hub/shared";
import { createDeviceCommands, type DeviceCommands } from "./command-handling/device-commands.ts";
import { createGroupCommit } from "./command-handling/group-commit.ts";
import { createHubCommands, type HubCommands } from "./command-handling/hub-command-service.ts";
import type { Database } from "./db/client.ts";
import { EventStore } from "./event-store/event-store.ts";
import { deleteHub, type HubDeletionRequest } from "./hub/hub-deletion.ts";
import { hubProjection, hubStreamGates, hubUniqueConflicts } from "./hub/projection.ts";
import { readHubById, readHubBySerial } from "./hub/read-model.ts";
import type { IotDataPlane } from "./iot/iot-data-plane.ts";
import type { IotRegistry } from "./iot/iot-registry.ts";
import { createRuleIngestion, type RuleIngestion, type RuleIngestionOptions } from "./iot/rule-ingestion.ts";
import {
  type EventFeedQuery,
  eventFeed,
  type HubEventsQuery,
  hubEvents,
  lastEvents,
} from "./queries/event-reads.ts";
import { type FleetOverview, fleetOverview } from "./queries/fleet-overview.ts";
import { type HubCommandsQuery, hubCommand, hubCommands } from "./queries/hub-commands.ts";
import { type HubListQuery, listHubs } from "./queries/hub-list.ts";

export type HubService = HubCommands & {
  /** The topic rule's authentication and destination confirmation. */
  readonly rule: RuleIngestion;
  /** Commands to the hub itself (SendHubCommand, CommissionDevice), the topic rule's messages, time-outs. */
  readonly device: DeviceCommands;
  byId(hubId: string): Promise<HubView | null>;
  bySerial(serial: string): Promise<HubView | null>;
  /** Admin dashboard reads: keyset pages, one SQL statement each. */
  list(query: HubListQuery): Promise<HubConnection>;
  events(query: HubEventsQuery): Promise<EventConnection>;
  /** The last event of each given hub (hubs without events are absent): one statement for a page. */
  lastEvents(hubIds: readonly string[]): Promise<RecordedEventView[]>;
  feed(query: EventFeedQuery): Promise<EventConnection>;
  /** One hub's commands, newest first (keyset pages). */
  commands(query: HubCommandsQuery): Promise<HubCommandConnection>;
  /** One command by id (ids are unique across hubs); with `hubId`, only that hub's. */
  command(commandId: string, hubId?: string): Promise<HubCommandView | null>;
  /** The admin console's overview: counts of hubs, commands and webhook deliveries. */
  overview(): Promise<FleetOverview>;
  /** Deletes a hub's read model (rebuilt from its events) or its whole stream, archived first (hub-deletion.ts). */
  delete(request: HubDeletionRequest): Promise<HubDeletionResult>;
};

export type HubServiceDeps = {
  readonly db: Database;
  readonly registry: IotRegistry;
  /** The Device Shadow port, for the hub commands that travel through the Thing's shadow. */
  readonly dataPlane: IotDataPlane;
  /** How long a hub has to report a command (default 60 s). */
  readonly commandTimeoutMs?: number;
  /** How long a sender holds a command id while it writes the shadow and records it (default 5 s). */
  readonly commandLeaseMs?: number;
  /** Keys command payload digests (see device-commands.ts); a per-process random key when unset. */
  readonly commandDigestKey?: Uint8Array;
  readonly onBackgroundError?: (what: string, error: unknown) => void;
  /** The topic rule's secret header value and, where configured, its destination's confirmation. */
  readonly rule?: Omit<RuleIngestionOptions, "prisma">;
  readonly now?: () => number;
  /** Group commit of new hubs' first writes (default on): most hubs per statement, statements at once. */
  readonly groupCommit?: { readonly maxRows?: number; readonly maxInFlight?: number } | false;
  /** Rows of each group-commit statement (metrics). */
  readonly onGroup?: (rows: number) => void;
  readonly bulkConcurrency?: number;
  readonly onUnexpected?: (error: unknown, hubId: string | null) => void;
  /** Where a hub deletion archives the hub's events (HUB_ARCHIVE_DIR; default `.data/archive`). */
  readonly archiveDir?: string;
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
  const device = createDeviceCommands({
    store,
    prisma,
    dataPlane: deps.dataPlane,
    now: deps.now ?? Date.now,
    timeoutMs: deps.commandTimeoutMs ?? 60_000,
    leaseMs: deps.commandLeaseMs ?? 5000,
    digestKey: deps.commandDigestKey ?? randomBytes(32),
    ...(deps.onBackgroundError ? { onBackgroundError: deps.onBackgroundError } : {}),
  });
  return {
    device,
    rule: createRuleIngestion({ ...deps.rule, secret: deps.rule?.secret, prisma }),
    provision: commands.provision,
    provisionMany: commands.provisionMany,
    execute: commands.execute,
    byId: (hubId) => readHubById(prisma, hubId),
    bySerial: (serial) => readHubBySerial(prisma, serial),
    list: (query) => listHubs(prisma, query),
    events: (query) => hubEvents(prisma, query),
    lastEvents: (hubIds) => lastEvents(prisma, hubIds),
    feed: (query) => eventFeed(prisma, query),
    commands: (query) => hubCommands(prisma, query),
    command: (commandId, hubId) => hubCommand(prisma, commandId, hubId),
    overview: () => fleetOverview(prisma),
    delete: (request) =>
      deleteHub(
        { prisma, store, archiveDir: deps.archiveDir ?? ".data/archive", now: deps.now ?? Date.now },
        request,
      ),
  };
}
