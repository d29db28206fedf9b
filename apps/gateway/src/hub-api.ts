import {
  appErrorFrom,
  createHubServiceClient,
  type HubServiceClient,
  lifecycleCall,
  TRPCClientError,
} from "@hub/hub-client";
import { currentTraceparent } from "@hub/observability";
import {
  type AppError,
  type EventConnection,
  type EventFeedOrder,
  type HubConnection,
  type HubEventType,
  type HubListFilter,
  type HubListOrder,
  type HubView,
  type LifecycleCommandBody,
  type LifecycleCommandName,
  type LifecycleCommandResult,
  type LogCursor,
  type LogEvent,
  lifecycleCommands,
  NotFoundError,
  type PageArgs,
  type Principal,
  type ProvisionHubBody,
  type ProvisionHubResult,
  type ProvisionManyItem,
  type RecordedEventView,
  type RequestContext,
  UnavailableError,
  type WebhookDeliveryFilter,
  type WebhookDeliveryView,
  type WebhookStats,
  type WebhookSubscriptionView,
} from "@hub/shared";

import { remainingBudget } from "./request-scope.ts";

export type LogReadQuery = {
  readonly after?: LogCursor | undefined;
  readonly afterPosition?: string | undefined;
  readonly limit: number;
  readonly hubId?: string | undefined;
  readonly types?: readonly HubEventType[] | undefined;
};

/** A subscription as listed, with its delivery counts and lag. */
export type WebhookSubscriptionWithStats = WebhookSubscriptionView & { readonly stats: WebhookStats };

/** Create and rotate: the signing secret, shown this once. */
export type WebhookSecretResult = { readonly subscription: WebhookSubscriptionView; readonly secret: string };

export type WebhookChanges = {
  readonly url?: string | undefined;
  /** Empty: every event type. */
  readonly eventTypes?: readonly HubEventType[] | undefined;
  /** null removes it. */
  readonly description?: string | null | undefined;
};

export type WebhookDeliveryPage = {
  readonly nodes: WebhookDeliveryView[];
  readonly endCursor: string | null;
  readonly hasNextPage: boolean;
};

/**
 * Webhook subscriptions and their deliveries (hub-service's `webhooks.*`). Which organization's
 * a caller may manage is hub-service's policy; values are validated there too.
 */
export type WebhookApi = {
  create(
    call: CallContext,
    input: {
      orgId?: string | undefined;
      url: string;
      eventTypes?: readonly HubEventType[] | undefined;
      description?: string | undefined;
    },
  ): Promise<WebhookSecretResult>;
  /** An organization's subscriptions (its own for an organization; all when an admin names none). */
  list(call: CallContext, orgId: string | undefined): Promise<WebhookSubscriptionWithStats[]>;
  update(call: CallContext, id: string, changes: WebhookChanges): Promise<WebhookSubscriptionView>;
  pause(call: CallContext, id: string, reason: string | undefined): Promise<WebhookSubscriptionView>;
  resume(call: CallContext, id: string): Promise<WebhookSubscriptionView>;
  /** Answers the subscription as it was. */
  delete(call: CallContext, id: string): Promise<WebhookSubscriptionView>;
  /** `overlapSeconds` undefined: hub-service's default (a day). */
  rotateSecret(
    call: CallContext,
    id: string,
    overlapSeconds: number | undefined,
  ): Promise<WebhookSecretResult>;
  deliveries(
    call: CallContext,
    query: { filter: WebhookDeliveryFilter; first?: number | undefined; after?: string | undefined },
  ): Promise<WebhookDeliveryPage>;
  /** By ids (dead or delivered ones), or every dead letter the filter matches; answers how many. */
  replay(
    call: CallContext,
    target: { readonly ids: readonly string[] } | { readonly filter: Omit<WebhookDeliveryFilter, "status"> },
  ): Promise<{ replayed: number }>;
};

export type CallContext = {
  readonly principal: Principal;
  readonly requestId: string;
  readonly source: RequestContext["source"];
};

/**
 * The gateway's one door to hub-service: both surfaces (REST and GraphQL) call through here, so
 * they share identity forwarding and error mapping. Who may do what is hub-service's to decide
 * (its policy module); the gateway forwards the caller and maps the answer.
 */
export type HubApi = {
  provisionHub(call: CallContext, body: ProvisionHubBody): Promise<ProvisionHubResult>;
  /** Bulk provisioning: hub-service validates and answers each item as the single call would. */
  provisionMany(call: CallContext, items: readonly unknown[]): Promise<ProvisionManyItem[]>;
  /** A lifecycle command (ClaimHub, SuspendHub, …): the `hub.<procedure>` of hub-service. */
  execute<N extends LifecycleCommandName>(
    call: CallContext,
    name: N,
    body: LifecycleCommandBody<N>,
  ): Promise<LifecycleCommandResult<N>>;
  verifyApiKey(key: string): Promise<Principal | null>;
  hubById(call: CallContext, hubId: string): Promise<HubView | null>;
  hubBySerial(call: CallContext, serial: string): Promise<HubView | null>;
  hubs(
    call: CallContext,
    query: { filter?: HubListFilter | undefined; orderBy?: HubListOrder | undefined; page: PageArgs },
  ): Promise<HubConnection>;
  hubEvents(
    call: CallContext,
    hubId: string,
    query: { types?: string[] | undefined; fromVersion?: number | undefined; page: PageArgs },
  ): Promise<EventConnection>;
  /** The last event of each hub; one call for a whole page (see `Hub.lastEvent`). */
  lastEvents(call: CallContext, hubIds: readonly string[]): Promise<RecordedEventView[]>;
  eventFeed(call: CallContext, query: { order?: EventFeedOrder; page: PageArgs }): Promise<EventConnection>;
  /**
   * The event log after a cursor (or after the last position a client received), in the order
   * that skips nothing; scoped to `call`'s caller, or unscoped as the gateway itself (undefined).
   */
  readLog(
    call: CallContext | undefined,
    query: LogReadQuery,
  ): Promise<{ events: LogEvent[]; cursor: LogCursor }>;
  readonly webhooks: WebhookApi;

  readonly client: HubServiceClient;
};

/** The caller as hub-service receives it, with the request's remaining time and its trace. */
export function toRequestContext(call: CallContext): RequestContext {
  const budget = remainingBudget();
  const traceparent = currentTraceparent();
  return {
    principal: call.principal,
    requestId: call.requestId,
    correlationId: call.requestId,
    source: call.source,
    ...budget,
    ...(traceparent !== undefined ? { traceparent } : {}),
  };
}

/** Maps what a hub-service call threw to the shared error classes; unknown errors pass through. */
export function mapHubServiceError(error: unknown): unknown {
  const appError = appErrorFrom(error);
  if (appError) return appError;
  // No answer at all (refused, reset, timed out, 502/503 from a proxy): a dependency outage.
  if (error instanceof TRPCClientError) {
    const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
    if (status === undefined || status === 502 || status === 503 || status === 504) {
      return new UnavailableError("The hub service is temporarily unavailable. Please retry later", 2);
    }
  }
  return error;
}

async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw mapHubServiceError(error);
  }
}

/** A read of one hub: a hub the caller may not see reads as no hub at all. */
async function orNull<T>(operation: () => Promise<T | null>): Promise<T | null> {
  try {
    return await call(operation);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

export function createHubApi(options: {
  url: string;
  serviceToken: () => string;
  timeoutMs: number;
}): HubApi {
  const client = createHubServiceClient({
    url: options.url,
    serviceToken: options.serviceToken,
    timeoutMs: options.timeoutMs,
  });
  return {
    client,
    provisionHub(callContext, body) {
      return call(() =>
        client.hub.provision.mutate({ caller: toRequestContext(callContext), command: body }),
      );
    },
    provisionMany(callContext, items) {
      return call(() =>
        client.hub.provisionMany.mutate({ caller: toRequestContext(callContext), commands: [...items] }),
      );
    },
    execute(callContext, name, body) {
      const mutate = lifecycleCall(client, name);
      return call(() => mutate({ caller: toRequestContext(callContext), command: body }));
    },
    hubById(callContext, hubId) {
      return orNull(() => client.hub.byId.query({ caller: toRequestContext(callContext), hubId }));
    },
    hubBySerial(callContext, serial) {
      return call(() => client.hub.bySerial.query({ caller: toRequestContext(callContext), serial }));
    },
    hubs(callContext, query) {
      return call(() => client.hub.list.query({ caller: toRequestContext(callContext), ...query }));
    },
    hubEvents(callContext, hubId, query) {
      return call(() => client.hub.events.query({ caller: toRequestContext(callContext), hubId, ...query }));
    },
    lastEvents(callContext, hubIds) {
      return call(() =>
        client.hub.lastEvents.query({ caller: toRequestContext(callContext), hubIds: [...hubIds] }),
      );
    },
    eventFeed(callContext, query) {
      return call(() => client.events.feed.query({ caller: toRequestContext(callContext), ...query }));
    },
    readLog(callContext, query) {
      return call(() =>
        client.events.read.query({
          ...(callContext ? { caller: toRequestContext(callContext) } : {}),
          ...(query.after ? { after: query.after } : {}),
          ...(query.afterPosition !== undefined ? { afterPosition: query.afterPosition } : {}),
          limit: query.limit,
          ...(query.hubId ? { hubId: query.hubId } : {}),
          ...(query.types ? { types: [...query.types] } : {}),
        }),
      );
    },
    webhooks: createWebhookApi(client),
    async verifyApiKey(key) {
      const { principal } = await call(() => client.apiKeys.verify.query({ key }));
      return principal;
    },
  };
}

function createWebhookApi(client: HubServiceClient): WebhookApi {
  return {
    create(callContext, input) {
      return call(() =>
        client.webhooks.create.mutate({
          caller: toRequestContext(callContext),
          url: input.url,
          ...(input.orgId !== undefined ? { orgId: input.orgId } : {}),
          ...(input.eventTypes ? { eventTypes: [...input.eventTypes] } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
        }),
      );
    },
    list(callContext, orgId) {
      return call(() =>
        client.webhooks.list.query({
          caller: toRequestContext(callContext),
          ...(orgId !== undefined ? { orgId } : {}),
        }),
      );
    },
    update(callContext, id, changes) {
      return call(() =>
        client.webhooks.update.mutate({
          caller: toRequestContext(callContext),
          id,
          ...(changes.url !== undefined ? { url: changes.url } : {}),
          ...(changes.eventTypes ? { eventTypes: [...changes.eventTypes] } : {}),
          ...(changes.description !== undefined ? { description: changes.description } : {}),
        }),
      );
    },
    pause(callContext, id, reason) {
      return call(() =>
        client.webhooks.pause.mutate({
          caller: toRequestContext(callContext),
          id,
          ...(reason !== undefined ? { reason } : {}),
        }),
      );
    },
    resume(callContext, id) {
      return call(() => client.webhooks.resume.mutate({ caller: toRequestContext(callContext), id }));
    },
    delete(callContext, id) {
      return call(() => client.webhooks.delete.mutate({ caller: toRequestContext(callContext), id }));
    },
    rotateSecret(callContext, id, overlapSeconds) {
      return call(() =>
        client.webhooks.rotateSecret.mutate({
          caller: toRequestContext(callContext),
          id,
          ...(overlapSeconds !== undefined ? { overlapSeconds } : {}),
        }),
      );
    },
    deliveries(callContext, query) {
      return call(() =>
        client.webhooks.deliveries.query({
          caller: toRequestContext(callContext),
          filter: query.filter,
          ...(query.first !== undefined ? { first: query.first } : {}),
          ...(query.after !== undefined ? { after: query.after } : {}),
        }),
      );
    },
    replay(callContext, target) {
      return call(() =>
        client.webhooks.replay.mutate({
          caller: toRequestContext(callContext),
          ...("ids" in target ? { ids: [...target.ids] } : { filter: target.filter }),
        }),
      );
    },
  };
}

export type { AppError };
