import { type RequestContext, requestContextSchema } from "@hub/shared";
import type { Context } from "./trpc.ts";

/**
 * Every call may carry the end caller's identity as input (not as a header: one batched HTTP
 * request can hold calls made for different callers). It is trusted because the call itself is
 * authenticated as a service; without it, the calling service is the actor.
 */
export const callerInput = requestContextSchema.optional();

export function resolveCaller(
  ctx: Context,
  serviceId: string,
  caller: RequestContext | undefined,
): RequestContext {
  if (caller) return caller;
  return {
    principal: { kind: "service", id: serviceId, permissions: [] },
    requestId: ctx.requestId,
    correlationId: ctx.requestId,
    source: "trpc",
  };
}
