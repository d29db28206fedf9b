import { contextFromTraceparent, inSpan, SpanKind } from "@hub/observability";
import { type ServiceIdentity } from "@hub/server-kit";
import {
  errorKinds,
  type HubView,
  type RequestContext,
  requestContextSchema,
  toAppErrorData,
  toFieldIssues,
  UnavailableError,
  ValidationError,
} from "@hub/shared";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Logger } from "pino";
import { ZodError, type z } from "zod";
import type { ApiKeyService } from "../api-keys/api-keys.ts";
import { type CallerWait, callerGone } from "../command-handling/handle-command.ts";
import { toAppError } from "../errors.ts";
import type { EventDelivery } from "../event-delivery.ts";
import type { HubServiceMetrics } from "../metrics.ts";
import { type Action, authorize, needsHub } from "../policy/policy.ts";
import type { HubService } from "../service.ts";
import { resolveCaller } from "./caller.ts";

export type Context = {
  readonly service: ServiceIdentity | undefined;
  /** When the HTTP request carrying the call arrived (epoch ms, this process' clock). */
  readonly arrivedAt: number;
  /**
   * Until when the calling process waits for the HTTP request (its `x-request-deadline`, with the
   * clock-skew allowance), on this process' clock; undefined when it did not say.
   */
  readonly deadline: number | undefined;
  /** Aborts when the calling process disconnects before the answer was written. */
  readonly signal: AbortSignal | undefined;
  /** How far another process' clock may be off ours (DEADLINE_CLOCK_SKEW_MS). */
  readonly clockSkewMs: number;
  readonly hubs: HubService;
  readonly delivery: EventDelivery;
  readonly apiKeys: ApiKeyService;
  readonly logger: Logger;
  readonly metrics: HubServiceMetrics;
  readonly requestId: string;
};

const t = initTRPC.context<Context>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const appError = toAppError(error.cause);
    if (error.code === "INTERNAL_SERVER_ERROR" && !appError) {
      // Never leak internal messages or stacks to callers.
      return { ...shape, message: "Internal server error", data: { ...shape.data, stack: undefined } };
    }
    return {
      ...shape,
      data: { ...shape.data, stack: undefined, appError: appError ? toAppErrorData(appError) : undefined },
    };
  },
});

/** Expected failures become the matching tRPC code; unexpected ones are logged and masked. */
const mapErrors = t.middleware(async ({ next, ctx, path, signal }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause ?? result.error;
  if (signal?.aborted && !refused.has(cause)) {
    ctx.metrics.callerGone("disconnected");
    ctx.logger.warn({ path, requestId: ctx.requestId }, "caller disconnected; the call stopped");
  }
  const appError =
    cause instanceof ZodError
      ? new ValidationError("The request contains invalid parameters or malformed data", toFieldIssues(cause))
      : toAppError(cause);
  if (appError) {
    throw new TRPCError({
      code: errorKinds[appError.kind].trpcCode,
      message: appError.message,
      cause: appError,
    });
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR") {
    ctx.logger.error({ err: cause, path, requestId: ctx.requestId }, "unexpected error");
  }
  return result;
});

/**
 * One span and one latency observation per procedure call. The span's parent is the call's own
 * `caller.traceparent` (a batch can carry calls of several traces), else the HTTP request's.
 */
const observe = t.middleware(async ({ ctx, path, type, getRawInput, next }) => {
  const started = performance.now();
  // The call's own caller (its request id and trace), read before the input is validated and
  // the caller authenticated: taken only when well-formed.
  const raw = (await getRawInput().catch(() => undefined)) as
    | { caller?: Record<string, unknown> }
    | undefined;
  const traceparent = requestContextSchema.shape.traceparent.safeParse(raw?.caller?.traceparent).data;
  const requestId =
    requestContextSchema.shape.requestId.safeParse(raw?.caller?.requestId).data ?? ctx.requestId;
  const result = await inSpan(
    `trpc ${path}`,
    {
      kind: SpanKind.SERVER,
      parent: contextFromTraceparent(traceparent),
      attributes: {
        "rpc.system": "trpc",
        "rpc.method": path,
        "trpc.type": type,
        "hub.request_id": requestId,
      },
    },
    async (span) => {
      // Logged from here on with the call's own request id (a batch carries several).
      const outcome = await next({ ctx: { requestId } });
      if (!outcome.ok) span.setAttribute("trpc.code", outcome.error.code);
      return outcome;
    },
  );
  ctx.metrics.procedure(path, result.ok ? "OK" : result.error.code, (performance.now() - started) / 1000);
  return result;
});

const requireService = t.middleware(({ ctx, next, path }) => {
  if (!ctx.service) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "A valid service credential is required" });
  }
  // The HTTP request's own deadline (x-request-deadline): its sender has stopped waiting for
  // every call in it, reads included.
  refuseIfCallerGone(ctx, path, ctx);
  return next({ ctx: { ...ctx, service: ctx.service } });
});

/** Refusals already logged and counted (mapErrors does not report them again). */
const refused = new WeakSet<object>();

/**
 * A call is not started once nobody waits for its answer: it arrived past its caller's deadline
 * (held in a network partition, say, while the caller answered its own client 503), or its caller
 * has already disconnected. Executing it then would do what the client was told had failed.
 */
function refuseIfCallerGone(
  ctx: Context,
  path: string,
  wait: CallerWait,
  caller?: Pick<RequestContext, "budgetMs" | "deadlineAt">,
): void {
  const now = Date.now();
  const gone = callerGone(wait, now);
  if (!gone) return;
  ctx.metrics.callerGone(gone === "deadline" ? "late" : "disconnected");
  const error =
    gone === "deadline"
      ? new UnavailableError("The call arrived after its caller's deadline; it was not executed", 1)
      : new UnavailableError("The caller disconnected; the call was not executed", 1);
  refused.add(error);
  // sentAgoMs: since the caller sent the call, by its clock (transit time plus any clock skew).
  const sentAt =
    caller?.deadlineAt !== undefined && caller.budgetMs !== undefined
      ? caller.deadlineAt - caller.budgetMs
      : undefined;
  ctx.logger.warn(
    {
      path,
      requestId: ctx.requestId,
      ...(gone === "deadline" && wait.deadline !== undefined ? { lateMs: now - wait.deadline } : {}),
      ...(sentAt !== undefined ? { sentAgoMs: ctx.arrivedAt - sentAt } : {}),
      sinceArrivalMs: now - ctx.arrivedAt,
    },
    gone === "deadline"
      ? "call arrived past its deadline; refused without executing"
      : "caller disconnected before the call started; refused",
  );
  throw error;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(observe).use(mapErrors);
export const serviceProcedure = publicProcedure.use(requireService);

/**
 * A service-only procedure whose input is validated, then authorized for `action` by the policy
 * (policy.ts) applied to the end caller: the caller comes from the input (`caller`, trusted from an
 * authenticated service), the hub from `hubId` or `command.hubId`. Handlers find the resolved
 * caller in `ctx.caller`, and in `ctx.hub` the hub's row when the policy had to read it
 * (undefined: not read; null: no such hub).
 */
export function authorizedProcedure<Input extends z.ZodType>(input: Input, action: Action) {
  return serviceProcedure.input(input).use(async ({ ctx, input: given, next, path, type }) => {
    const {
      caller: forwarded,
      hubId,
      command,
    } = given as {
      caller?: RequestContext;
      hubId?: string;
      command?: { hubId?: string };
    };
    const caller = resolveCaller(ctx, ctx.service.id, forwarded);
    // A command is not started past its caller's deadline; a read past it does no harm, and the
    // caller's process may still wait for it (a feed's replay outlives the request's budget).
    if (type === "mutation") refuseIfCallerGone(ctx, path, caller, forwarded);
    const id = hubId ?? command?.hubId;
    const hub: HubView | null | undefined =
      id && needsHub(action, caller.principal) ? await ctx.hubs.byId(id) : undefined;
    authorize(action, caller.principal, hub, { forwarded: forwarded !== undefined });
    return next({ ctx: { caller, hub } });
  });
}
