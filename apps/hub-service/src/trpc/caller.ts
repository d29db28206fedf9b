import { type RequestContext, requestContextSchema } from "@hub/shared";
import type { CommandContext } from "../command-handling/hub-command-service.ts";
import type { Context } from "./trpc.ts";

/**
 * Every call may carry the end caller's identity as input (not as a header: one batched HTTP
 * request can hold calls made for different callers). It is trusted because the call itself is
 * authenticated as a service; without it, the calling service is the actor.
 */
export const callerInput = requestContextSchema.optional();

/**
 * The caller as commands take it, with until when it waits (`deadline`, this process' clock) and
 * the HTTP request's disconnect signal.
 */
export type CallerContext = CommandContext;

/**
 * The earliest of the deadlines a call carries, on this process' clock:
 * - the caller's `deadlineAt` (epoch ms on its clock) plus the clock-skew allowance: time the call
 *   spent in transit (a partition that healed) counts against it;
 * - its remaining `budgetMs` counted from the call's arrival: bounds the damage of a caller whose
 *   clock runs ahead of ours (it could otherwise extend the deadline by its error);
 * - the HTTP request's own `x-request-deadline` (the calling process' wait for the whole batch).
 */
export function callDeadline(
  ctx: Pick<Context, "arrivedAt" | "deadline" | "clockSkewMs">,
  caller: Pick<RequestContext, "budgetMs" | "deadlineAt"> | undefined,
): number | undefined {
  const candidates = [
    ctx.deadline,
    caller?.budgetMs === undefined ? undefined : ctx.arrivedAt + caller.budgetMs,
    caller?.deadlineAt === undefined ? undefined : caller.deadlineAt + ctx.clockSkewMs,
  ].filter((value): value is number => value !== undefined);
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

export function resolveCaller(
  ctx: Context,
  serviceId: string,
  caller: RequestContext | undefined,
): CallerContext {
  const wait = { deadline: callDeadline(ctx, caller), signal: ctx.signal };
  if (caller) return { ...caller, ...wait };
  return {
    principal: { kind: "service", id: serviceId, permissions: [] },
    requestId: ctx.requestId,
    correlationId: ctx.requestId,
    source: "trpc",
    ...wait,
  };
}
