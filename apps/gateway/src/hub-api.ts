import {
  appErrorFrom,
  createHubServiceClient,
  type HubServiceClient,
  TRPCClientError,
} from "@hub/hub-client";
import {
  type AppError,
  canProvision,
  canReadHubStatus,
  type EventConnection,
  type EventFeedOrder,
  ForbiddenError,
  type HubConnection,
  type HubListFilter,
  type HubListOrder,
  type HubView,
  isAdmin,
  type PageArgs,
  type Principal,
  type ProvisionHubBody,
  type ProvisionHubResult,
  type RecordedEventView,
  type RequestContext,
  UnavailableError,
} from "@hub/shared";

export type CallContext = {
  readonly principal: Principal;
  readonly requestId: string;
  readonly source: RequestContext["source"];
};

/**
 * The gateway's one door to hub-service: both surfaces (REST and GraphQL) call through here, so
 * they share the same rules, identity forwarding and error mapping.
 */
export type HubApi = {
  provisionHub(call: CallContext, body: ProvisionHubBody): Promise<ProvisionHubResult>;
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
  /** `GET /hubs/{id}/status`: admins, services and organizations with `hubs:read`. */
  hubStatus(call: CallContext, hubId: string): Promise<HubView | null>;
  readonly client: HubServiceClient;
};

export function toRequestContext(call: CallContext): RequestContext {
  return {
    principal: call.principal,
    requestId: call.requestId,
    correlationId: call.requestId,
    source: call.source,
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

function asAdmin<T>(callContext: CallContext, operation: () => Promise<T>): Promise<T> {
  if (!isAdmin(callContext.principal))
    return Promise.reject<T>(new ForbiddenError("The admin role is required"));
  return call(operation);
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
      if (!canProvision(callContext.principal)) {
        return Promise.reject<ProvisionHubResult>(new ForbiddenError("This caller may not provision hubs"));
      }
      return call(() =>
        client.hub.provision.mutate({ caller: toRequestContext(callContext), command: body }),
      );
    },
    hubById(callContext, hubId) {
      return asAdmin(callContext, () =>
        client.hub.byId.query({ caller: toRequestContext(callContext), hubId }),
      );
    },
    hubBySerial(callContext, serial) {
      return asAdmin(callContext, () =>
        client.hub.bySerial.query({ caller: toRequestContext(callContext), serial }),
      );
    },
    hubs(callContext, query) {
      return asAdmin(callContext, () =>
        client.hub.list.query({ caller: toRequestContext(callContext), ...query }),
      );
    },
    hubEvents(callContext, hubId, query) {
      return asAdmin(callContext, () =>
        client.hub.events.query({ caller: toRequestContext(callContext), hubId, ...query }),
      );
    },
    lastEvents(callContext, hubIds) {
      return asAdmin(callContext, () =>
        client.hub.lastEvents.query({ caller: toRequestContext(callContext), hubIds: [...hubIds] }),
      );
    },
    eventFeed(callContext, query) {
      return asAdmin(callContext, () =>
        client.events.feed.query({ caller: toRequestContext(callContext), ...query }),
      );
    },
    hubStatus(callContext, hubId) {
      if (!canReadHubStatus(callContext.principal)) {
        return Promise.reject<HubView | null>(new ForbiddenError("This caller may not read hubs"));
      }
      return call(() => client.hub.status.query({ caller: toRequestContext(callContext), hubId }));
    },
    async verifyApiKey(key) {
      const { principal } = await call(() => client.apiKeys.verify.query({ key }));
      return principal;
    },
  };
}

export type { AppError };
