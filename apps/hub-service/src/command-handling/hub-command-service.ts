import {
  ConflictError,
  type DeviceCommandName,
  type EventMetadata,
  type LifecycleCommandBody,
  type LifecycleCommandName,
  type LifecycleCommandResult,
  type ProvisionHubBody,
  type ProvisionHubResult,
  type ProvisionManyItem,
  parseCommandBody,
  provisionHubBodySchema,
  type RequestContext,
  ThingNotFoundError,
  toAppErrorData,
  UnavailableError,
  ValidationError,
} from "@hub/shared";
import pMap from "p-map";
import { toAppError } from "../errors.ts";
import type { EventStore } from "../event-store/event-store.ts";
import {
  decide,
  type HubCommand,
  type HubCommandData,
  needsConnectivity,
  type ProvisionHub,
} from "../hub/decide.ts";
import { eventRecipients, foldHub, type Hub, initialState } from "../hub/hub.ts";
import type { IotRegistry, Unavailable } from "../iot/iot-registry.ts";
import type { GroupCommit } from "./group-commit.ts";
import {
  type CallerWait,
  checkCaller,
  type FirstWriter,
  type HandleResult,
  handleCommand,
} from "./handle-command.ts";

export type HubCommandsDeps = {
  readonly store: EventStore;
  readonly registry: IotRegistry;
  readonly now: () => number;
  /** Whether an organization exists (a claim into an unknown one is refused, not stored). */
  readonly organizationExists: (orgId: string) => Promise<boolean>;
  readonly maxConcurrencyRetries?: number;
  /** First writes of new hubs, many per statement; unset: each provisioning its own statement. */
  readonly groupCommit?: GroupCommit;
  /** Items of one bulk call in progress at once (registry lookups, then the group commit). */
  readonly bulkConcurrency?: number;
  /** An item failed unexpectedly (its answer says only "internal error"). */
  readonly onUnexpected?: (error: unknown, hubId: string | null) => void;
};

/**
 * Who asks, and until when: past `deadline` (epoch ms, this process' clock), or once `signal`
 * says the caller disconnected, nobody waits for the answer, so a command is not started, and
 * not appended, after it.
 */
export type CommandContext = RequestContext & CallerWait;

/** A lifecycle command's body as the handler takes it: ClaimHub's `orgId` already resolved. */
export type ResolvedBody<N extends LifecycleCommandName> = HubCommandData[N];

export type HubCommands = {
  provision(body: ProvisionHubBody, context: CommandContext): Promise<ProvisionHubResult>;
  /**
   * Bulk provisioning: each item validated and provisioned as the single call would (its answer
   * as a value, in order); items naming a hub, serial or thing name of an earlier item run after it.
   */
  provisionMany(items: readonly unknown[], context: CommandContext): Promise<ProvisionManyItem[]>;
  execute<N extends Exclude<LifecycleCommandName, DeviceCommandName>>(
    name: N,
    body: ResolvedBody<N>,
    context: CommandContext,
  ): Promise<LifecycleCommandResult<N>>;
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

const unavailable = (lookup: Unavailable) =>
  new UnavailableError(
    "The AWS IoT registry is temporarily unavailable. Please retry later",
    lookup.retryAfterSeconds ?? 2,
  );

function toResult<R>(hubId: string, handled: HandleResult<Hub>): R {
  const [event] = handled.events;
  return {
    success: true,
    aggregateId: hubId,
    version: handled.version,
    event: event ? { type: event.type, data: event.data } : null,
  } as R;
}

/** The body field naming the organization a command moves a hub into. */
const organizationField: Partial<Record<LifecycleCommandName, "orgId" | "newOrgId">> = {
  ClaimHub: "orgId",
  ReClaimHub: "newOrgId",
};

/** That organization must exist: an admin's typo would otherwise hide the hub from its owner. */
function organizationCheck(deps: HubCommandsDeps) {
  return async (name: LifecycleCommandName, body: object): Promise<void> => {
    const field = organizationField[name];
    const orgId = field && (body as Record<string, string | undefined>)[field];
    if (!field || orgId === undefined || (await deps.organizationExists(orgId))) return;
    throw new ValidationError(`${field} names no organization`, [{ field, message: "no such organization" }]);
  };
}

/** A group commit as the pipeline's first writer: each hub's one event, keyed by its unique fields. */
function groupWriter(groupCommit: GroupCommit, wait: CallerWait): FirstWriter {
  return async (streamId, events) => {
    const [event] = events;
    if (!event || events.length !== 1) return null;
    const data = event.data as { serial: string; thingName: string };
    const stored = await groupCommit.append({
      streamId,
      event,
      keys: uniqueKeys(streamId, data.serial, data.thingName),
      deadline: wait.deadline,
      signal: wait.signal,
    });
    return stored ? { nextVersion: stored.version, events: [stored] } : null;
  };
}

/**
 * What two provisionings may not share: the hub, its serial, its Thing. The group commit keeps
 * entries sharing one out of one statement; a batch runs an item sharing one after the earlier.
 */
function uniqueKeys(hubId: string, serial: string, thingName: string): string[] {
  return [`id:${hubId.toLowerCase()}`, `serial:${serial}`, `thing:${thingName}`];
}

/** The command pipeline over hub streams: fold, recipients, bounded retries of lost races. */
export function hubPipeline(store: EventStore, maxConcurrencyRetries?: number) {
  return {
    store,
    initialState,
    fold: foldHub,
    recipients: eventRecipients,
    ...(maxConcurrencyRetries !== undefined ? { maxConcurrencyRetries } : {}),
  };
}

/**
 * The hub's application service, thin glue between the surfaces and the pipeline: every command of
 * the hub goes through here (load its events, decide, append, project, ask the registry).
 */
export function createHubCommands(deps: HubCommandsDeps): HubCommands {
  const requireOrganization = organizationCheck(deps);
  const pipeline = hubPipeline(deps.store, deps.maxConcurrencyRetries);

  const commands: HubCommands = {
    /**
     * Registry first (nothing is written when the Thing is missing or the registry cannot answer),
     * then the pipeline with `appendFirst`: a hub is provisioned once, so almost every call meets
     * an empty stream and is one statement; a repeat falls back to read-and-decide.
     */
    async provision(body, context) {
      checkCaller(context);
      const thingName = body.thingName ?? body.hubId;
      const lookup = await deps.registry.describeThing(thingName, {
        deadline: context.deadline,
        signal: context.signal,
      });
      if (lookup.outcome === "missing") throw new ThingNotFoundError(thingName);
      if (lookup.outcome === "unavailable") {
        checkCaller(context); // cut short by the caller's deadline: say so
        throw unavailable(lookup);
      }
      const command = (): ProvisionHub => ({
        type: "ProvisionHub",
        data: {
          hubId: body.hubId,
          serial: body.serial,
          model: body.model,
          thingName,
          ...(body.vendorName !== undefined ? { vendorName: body.vendorName } : {}),
        },
        metadata: { now: deps.now() },
      });
      const handled = await handleCommand(pipeline, body.hubId, (state) => decide(command(), state), {
        metadata: eventMetadataFrom(context),
        appendFirst: deps.groupCommit ? groupWriter(deps.groupCommit, context) : true,
        deadline: context.deadline,
        signal: context.signal,
      });
      return toResult(body.hubId, handled);
    },

    async provisionMany(items, context) {
      const previous = new Map<string, Promise<unknown>>();
      const started = items.map((raw, index) => {
        let body: ProvisionHubBody;
        try {
          body = parseCommandBody(provisionHubBodySchema, raw);
        } catch (error) {
          return () => Promise.resolve(failed(index, rawHubId(raw), error));
        }
        const keys = uniqueKeys(body.hubId, body.serial, body.thingName ?? body.hubId);
        const before = [...new Set(keys.map((key) => previous.get(key)).filter((p) => p !== undefined))];
        let done: () => void = () => {};
        const finished = new Promise<void>((resolve) => {
          done = resolve;
        });
        for (const key of keys) previous.set(key, finished);
        return async (): Promise<ProvisionManyItem> => {
          try {
            await Promise.all(before);
            const result = await commands.provision(body, context);
            return { ok: true, index, hubId: body.hubId, result };
          } catch (error) {
            return failed(index, body.hubId, error);
          } finally {
            done();
          }
        };
      });
      // In order, so an item that waits for an earlier one never holds a slot that one needs.
      return pMap(started, (run) => run(), { concurrency: deps.bulkConcurrency ?? 64 });
    },

    /**
     * Read and decide first; only a command that would change the hub checks the organization it
     * moves the hub into and, when it needs the hub online, asks the registry
     * (GetThingConnectivityData), then decides again with the answer as data.
     */
    async execute(name, body, context) {
      checkCaller(context);
      const command = (online: boolean) =>
        ({ type: name, data: body, metadata: { now: deps.now(), online } }) as HubCommand;
      let decidedOn: Hub = initialState();
      try {
        const handled = await handleCommand(
          pipeline,
          body.hubId,
          async (state) => {
            decidedOn = state;
            const wouldChange = decide(command(true), state);
            if (wouldChange.length === 0) return wouldChange;
            await requireOrganization(name, body);
            if (!needsConnectivity[name] || state.status === "Unprovisioned") return wouldChange;
            const connectivity = await deps.registry.connectivity(state.provisioning.thingName, {
              deadline: context.deadline,
              signal: context.signal,
            });
            if (connectivity.outcome === "unavailable") {
              checkCaller(context);
              throw unavailable(connectivity);
            }
            return decide(command(connectivity.outcome === "connected"), state);
          },
          { metadata: eventMetadataFrom(context), deadline: context.deadline, signal: context.signal },
        );
        return toResult(body.hubId, handled);
      } catch (error) {
        // The database refused a second primary (a unique index): name the site it is about.
        if (
          error instanceof ConflictError &&
          error.reason === "SITE_HAS_PRIMARY" &&
          decidedOn.status !== "Unprovisioned"
        ) {
          const site = decidedOn.claim?.siteId ?? "";
          throw new ConflictError(
            `Another hub is already the primary hub of site ${site}`,
            error.field,
            error.reason,
          );
        }
        throw error;
      }
    },
  };

  function failed(index: number, hubId: string | null, error: unknown): ProvisionManyItem {
    const appError = toAppError(error);
    if (!appError) deps.onUnexpected?.(error, hubId);
    return { ok: false, index, hubId, error: appError ? toAppErrorData(appError) : null };
  }
  return commands;
}

/** An invalid item's hub id, when it has a string one (its answer names it). */
function rawHubId(raw: unknown): string | null {
  const hubId = (raw as { hubId?: unknown } | null)?.hubId;
  return typeof hubId === "string" ? hubId : null;
}
