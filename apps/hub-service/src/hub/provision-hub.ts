import {
  type EventMetadata,
  type ProvisionHubBody,
  type ProvisionHubResult,
  type RequestContext,
  ThingNotFoundError,
  UnavailableError,
} from "@hub/shared";
import { ConcurrencyError, type EventStore } from "../event-store/event-store.ts";
import type { IotRegistry } from "../iot/iot-registry.ts";
import { decide, type ProvisionHub } from "./decide.ts";
import { foldHub, initialState } from "./hub.ts";
import { insertProvisionedHubs, projectHubEvents } from "./read-model.ts";

export type ProvisionHubDeps = {
  readonly store: EventStore;
  readonly registry: IotRegistry;
  readonly now: () => number;
  /** How often a lost race is re-read and re-decided before giving up. */
  readonly maxConcurrencyRetries?: number;
};

export function eventMetadataFrom(context: RequestContext): EventMetadata {
  const { principal } = context;
  return {
    actor: { kind: principal.kind, id: principal.id },
    ...(principal.orgId !== undefined ? { orgId: principal.orgId } : {}),
    requestId: context.requestId,
    correlationId: context.correlationId,
    ...(context.causationId !== undefined ? { causationId: context.causationId } : {}),
    source: context.source,
  };
}

function provisionCommand(body: ProvisionHubBody, thingName: string, now: number): ProvisionHub {
  return {
    type: "ProvisionHub",
    data: {
      hubId: body.hubId,
      serial: body.serial,
      model: body.model,
      thingName,
      ...(body.vendorName !== undefined ? { vendorName: body.vendorName } : {}),
    },
    metadata: { now },
  };
}

/**
 * Thin glue: look the Thing up (before deciding, so nothing is written when the registry says no
 * or cannot answer), decide, append with the expected version. A lost race re-reads and
 * re-decides, so a racing identical repeat ends as the idempotent no-op.
 *
 * A hub is provisioned once, so almost every call meets an empty stream: the handler first
 * decides on the empty state and appends at expected version 0, event and read-model row in one
 * statement (one database round trip). The version guard makes that exactly as safe as reading
 * first: when the stream is not empty nothing is written (ConcurrencyError), and the handler then
 * reads the stream and decides on its real state (repeat → no-op, different payload → conflict).
 */
export async function handleProvisionHub(
  deps: ProvisionHubDeps,
  body: ProvisionHubBody,
  context: RequestContext,
): Promise<ProvisionHubResult> {
  const thingName = body.thingName ?? body.hubId;
  const lookup = await deps.registry.describeThing(thingName);
  if (lookup.outcome === "missing") throw new ThingNotFoundError(thingName);
  if (lookup.outcome === "unavailable") {
    throw new UnavailableError("The AWS IoT registry is temporarily unavailable. Please retry later", 2);
  }

  const metadata = eventMetadataFrom(context);
  const [first] = decide(provisionCommand(body, thingName, deps.now()), initialState());
  if (first) {
    try {
      const appended = await deps.store.appendToStreamInOneStatement(
        body.hubId,
        0,
        [{ type: first.type, data: first.data, metadata }],
        insertProvisionedHubs,
      );
      return {
        success: true,
        aggregateId: body.hubId,
        version: appended.nextVersion,
        event: { type: first.type, data: first.data },
      };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }

  const attempts = (deps.maxConcurrencyRetries ?? 5) + 1;
  for (let attempt = 1; ; attempt++) {
    const stream = await deps.store.readStream(body.hubId);
    const events = decide(provisionCommand(body, thingName, deps.now()), foldHub(stream.events));
    const [event] = events;
    if (!event) return { success: true, aggregateId: body.hubId, version: stream.version, event: null };
    try {
      const appended = await deps.store.appendToStream(
        body.hubId,
        stream.version,
        [{ type: event.type, data: event.data, metadata }],
        projectHubEvents,
      );
      return {
        success: true,
        aggregateId: body.hubId,
        version: appended.nextVersion,
        event: { type: event.type, data: event.data },
      };
    } catch (error) {
      if (error instanceof ConcurrencyError && attempt < attempts) continue;
      if (error instanceof ConcurrencyError) {
        throw new UnavailableError("The hub is being changed concurrently. Please retry", 1);
      }
      throw error;
    }
  }
}
