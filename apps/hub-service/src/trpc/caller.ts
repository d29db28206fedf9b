import { type RequestContext, requestContextSchema } from "@hub/shared";
import type { CommandContext } from "../hub/commands.ts";
import type { Context } from "./trpc.ts";

/**
 * Every call may carry the end caller's identity as input (not as a header: one batched HTTP
 * request can hold calls made for different callers). It is trusted because the call itself is
 * authenticated as a service; without it, the calling service is the actor.
 */
export const callerInput = requestContextSchema.optional();

/**
 * The caller as commands take it: with the caller's remaining time (`budgetMs`, sent relative so
 * clocks need not agree) turned into a deadline on this process' clock when the call arrived.
 */
export type CallerContext = CommandContext;

export function resolveCaller(
  ctx: Context,
  serviceId: string,
  caller: RequestContext | undefined,
): CallerContext {
  if (caller)
    return caller.budgetMs === undefined ? caller : { ...caller, deadline: Date.now() + caller.budgetMs };
  return {
    principal: { kind: "service", id: serviceId, permissions: [] },
    requestId: ctx.requestId,
    correlationId: ctx.requestId,
    source: "trpc",
  };
}
