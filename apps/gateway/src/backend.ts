import { createHubServiceCaller, type HubServiceClient } from "@hub/hub-client";
import { currentTraceparent } from "@hub/observability";
import { NotFoundError, type Principal, type RequestContext } from "@hub/shared";
import { remainingBudget } from "./request-scope.ts";

/**
 * hub-service as the gateway calls it: the typed tRPC client of its router, whose calls throw the
 * shared error classes and carry the request's remaining time and trace. Both surfaces (REST and
 * GraphQL) call through it; who may do what is hub-service's to decide (its policy module), the
 * gateway forwards the caller and maps the answer.
 */
export type HubService = HubServiceClient;

export function createHubService(options: {
  url: string;
  serviceToken: () => string;
  timeoutMs: number;
}): HubService {
  return createHubServiceCaller({
    ...options,
    callerExtras: () => {
      const traceparent = currentTraceparent();
      return { ...remainingBudget(), ...(traceparent !== undefined ? { traceparent } : {}) };
    },
  });
}

/** The end caller as hub-service receives it (the budget and trace are added per call). */
export function callerOf(
  principal: Principal,
  requestId: string,
  source: RequestContext["source"],
): RequestContext {
  return { principal, requestId, correlationId: requestId, source };
}

/** A read of one hub: a hub the caller may not see reads as no hub at all. */
export async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}
