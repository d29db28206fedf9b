import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { inSpan, SpanKind } from "@hub/observability";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleType } from "cockatiel";
import type { RateLimiter } from "./rate-limit.ts";

/**
 * The discipline every AWS IoT port of hub-service calls through (the registry, iot-registry.ts;
 * the Device Shadow data plane, iot-data-plane.ts): per-operation circuit breakers, a client-side
 * rate limit, an overall deadline raced against the call, the caller's deadline and AbortSignal,
 * one span and one observation per call, and every outcome a value (an AWS failure never throws).
 * The ports differ only in their SDK client, their answers and which errors are answers.
 */

/**
 * AWS could not answer; `retryAfterSeconds` is the breaker's remaining cool-down when open, or
 * the rate limit's wait. `throttled`: AWS answered ThrottlingException (after the SDK's retries)
 * or our own rate limit had no slot before the caller's deadline. `reason` never carries request
 * or response content (only error names, codes and our own wording).
 */
export type Unavailable = {
  readonly outcome: "unavailable";
  readonly thingName: string;
  readonly reason: string;
  readonly retryAfterSeconds?: number;
  readonly throttled?: boolean;
};

export type BreakerState = "closed" | "open" | "half-open";

/** Where and how an AWS IoT port's SDK client connects, and the limits of its calls. */
export type AwsClientOptions = {
  readonly region: string;
  /** Unset: the SDK's standard resolution (AWS_ENDPOINT_URL_*, then the regional endpoint). */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Deadline for one call, all attempts included. */
  readonly deadlineMs: number;
  /** Deadline for one HTTP attempt; a slower attempt is abandoned and, if time remains, retried. */
  readonly attemptTimeoutMs: number;
  readonly maxAttempts: number;
  /** Consecutive unavailable calls of one operation that open its breaker. */
  readonly breakerThreshold: number;
  /** How long an open breaker fails calls fast before one probe may try again. */
  readonly breakerCooldownMs: number;
};

/**
 * The SDK client configuration both ports share: the SDK has no request timeout by default, so
 * every attempt gets a socket deadline; keep-alive sockets; the middleware stack resolved once per
 * command class (`cacheMiddleware`, ~0.1 ms of CPU and ~36 KB of garbage less per call).
 */
export function awsClientConfig(options: AwsClientOptions) {
  return {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts,
    cacheMiddleware: true,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.attemptTimeoutMs,
      requestTimeout: options.attemptTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    }),
  };
}

/**
 * Middlewares of the SDK's default stack that do nothing for these ports, removed from their
 * clients by `withoutIdleMiddleware`, measured on a DescribeThing loop against the emulator
 * (c=16, median of 7 interleaved rounds): 0.31 ms of CPU per call with them, 0.26 ms without,
 * the user-agent header alone 0.045 ms (it is rebuilt from the call's feature flags on every call).
 * - loggerMiddleware: logs to the client's `logger`, which these clients do not have;
 * - getUserAgentMiddleware: the SDK's user-agent headers, metadata AWS does not need to answer
 *   (not part of the signature);
 * - recursionDetectionMiddleware: copies a Lambda's X-Ray trace id (_X_AMZN_TRACE_ID), which a
 *   service process never has;
 * - omitRetryHeadersMiddleware: strips the amz-sdk-request/-invocation-id headers for services
 *   that refuse them; IoT and its data plane accept them.
 * Signing, the endpoint, (de)serialization and the SDK's retries are untouched.
 */
const IDLE_MIDDLEWARE = [
  "loggerMiddleware",
  "getUserAgentMiddleware",
  "recursionDetectionMiddleware",
  "omitRetryHeadersMiddleware",
] as const;

/** `client` with the default middlewares that do nothing here removed (see IDLE_MIDDLEWARE). */
export function withoutIdleMiddleware<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  for (const name of IDLE_MIDDLEWARE) client.middlewareStack.remove(name);
  return client;
}

export type LookupOptions = {
  /** The caller's deadline (epoch ms): the call gives up then, even before its own deadline. */
  readonly deadline?: number | undefined;
  /** The caller disconnected: the call stops waiting then (nobody would read the answer). */
  readonly signal?: AbortSignal | undefined;
};

/**
 * What a port reports per call (metrics): `outcome` is the answer's, "rejected" (failed fast by
 * the open breaker; a port's answer of that name is relabelled, see `answerLabels`),
 * "deadline" (the caller's deadline cut it short or had passed), "throttled" (by AWS) or
 * "rate-limited" (no slot under our own limit before the caller's deadline).
 */
export type CallObserver<Operation extends string> = (
  operation: Operation,
  outcome: string,
  seconds: number,
) => void;

export type AwsCallerOptions<Operation extends string> = {
  /** Span names are `${spanPrefix}.${operation}`. */
  readonly spanPrefix: string;
  /** The span's `rpc.service`. */
  readonly rpcService: string;
  /** The span attribute that carries the call's outcome label. */
  readonly outcomeAttribute: string;
  /**
   * Labels (metrics, the outcome attribute) for answers whose outcome would read as one of the
   * call's own labels: the data plane's "rejected" answer is labelled "refused", since "rejected"
   * means failed fast by the open breaker, as for the registry.
   */
  readonly answerLabels?: Readonly<Record<string, string>>;
  readonly operations: readonly Operation[];
  /** Deadline for one call, all attempts included. */
  readonly deadlineMs: number;
  /** Consecutive unavailable calls (failures, timeouts) that open an operation's breaker. */
  readonly breakerThreshold: number;
  /** How long an open breaker fails calls fast before one probe may try AWS again. */
  readonly breakerCooldownMs: number;
  /** The rate limit each operation reserves its slot from (operations may share one). */
  readonly limiter?: (operation: Operation) => RateLimiter | undefined;
  readonly observe?: CallObserver<Operation> | undefined;
  readonly onBreakerState?: ((operation: Operation, state: BreakerState) => void) | undefined;
  /**
   * When AWS last throttled an attempt (epoch ms; see trackThrottling): a call that runs out of
   * time soon after is most likely waiting out the SDK's throttling back-off, and is reported as
   * throttled (503 with Retry-After) rather than as an AWS that does not answer.
   */
  readonly lastThrottledAt?: () => number;
};

/**
 * Records when AWS last throttled one of `client`'s attempts. The SDK retries a throttled attempt
 * itself, with a back-off that can outlast our deadline, so the call alone cannot tell; a
 * deserialize-step middleware sees every attempt's error.
 */
export function trackThrottling(client: {
  middlewareStack: { add(middleware: never, options: { step: "deserialize"; name: string }): void };
}): () => number {
  let last = 0;
  // It runs inside the SDK's deserializer: it sees each attempt's raw response (a 429) and, when
  // the stack places it outside, the typed ThrottlingException.
  const middleware =
    (next: (args: unknown) => Promise<unknown>) =>
    async (args: unknown): Promise<unknown> => {
      try {
        const result = await next(args);
        const response = (result as { response?: { statusCode?: number; headers?: Record<string, string> } })
          .response;
        const errorType = response?.headers?.["x-amzn-errortype"] ?? "";
        if (response?.statusCode === 429 || errorType.startsWith("ThrottlingException")) last = Date.now();
        return result;
      } catch (error) {
        if (isThrottling(error)) last = Date.now();
        throw error;
      }
    };
  client.middlewareStack.add(middleware as never, { step: "deserialize", name: "hubTrackThrottling" });
  return () => last;
}

export type AwsCaller<Operation extends string> = {
  /**
   * One call: `send` talks to AWS, `answer` turns its result into the port's answer, and
   * `answerError` turns an error that is an answer (not found, a conflict…) into one; any other
   * error is "unavailable" and counts toward opening the operation's breaker, except throttling.
   */
  call<T, R extends { readonly outcome: string }>(
    operation: Operation,
    thingName: string,
    send: () => Promise<T>,
    answer: (result: T) => R,
    answerError: (error: unknown) => R | undefined,
    options: LookupOptions | undefined,
  ): Promise<R | Unavailable>;
  /** The circuit breaker of one operation (each has its own). */
  breakerState(operation: Operation): BreakerState;
};

/**
 * The SDK has no request timeout by default, so a service that never answers would hang its
 * caller forever: every attempt has its own socket deadline (the port's NodeHttpHandler) and the
 * whole call an overall one here. The port's client resolves its middleware stack once per
 * command class (`cacheMiddleware`), a cache that only serves calls without per-call options, so
 * the overall deadline is a timer raced against the call rather than an abortSignal: the caller
 * gets "unavailable" at the deadline, and an attempt still in flight then ends by its own attempt
 * timeout (at most `maxAttempts` attempts in all).
 *
 * A circuit breaker (cockatiel) per operation stands before each call: after `breakerThreshold`
 * calls in a row that AWS could not answer, calls fail at once as unavailable, with the remaining
 * cool-down as Retry-After, instead of each waiting out its deadline and retries; after the
 * cool-down one probe goes through and closes it again on an answer. Answers (not found, a
 * refused update…) never count toward opening it; nor does throttling, which says the service is
 * up and wants fewer calls, not none (the calls concerned are unavailable, with Retry-After).
 *
 * Before it, the client-side rate limit (see rate-limit.ts) keeps the process under the account's
 * quota; a call it cannot fit in before the caller's deadline is unavailable at once, without a
 * request (outcome "rate-limited"; "throttled": AWS said so). The SDK's own retries of a throttled
 * or failed attempt are not charged to it: they back off exponentially, and at most `maxAttempts`.
 */
export function createAwsCaller<Operation extends string>(
  options: AwsCallerOptions<Operation>,
): AwsCaller<Operation> {
  const breakers = new Map(options.operations.map((operation) => [operation, createBreaker(operation)]));
  function breakerOf(operation: Operation) {
    const breaker = breakers.get(operation);
    if (!breaker) throw new Error(`unknown operation ${operation}`);
    return breaker;
  }
  function createBreaker(operation: Operation) {
    const policy = circuitBreaker(handleType(CallUnavailable), {
      halfOpenAfter: options.breakerCooldownMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    let openedAt = 0;
    policy.onBreak(() => {
      openedAt = Date.now();
      options.onBreakerState?.(operation, "open");
    });
    policy.onHalfOpen(() => options.onBreakerState?.(operation, "half-open"));
    policy.onReset(() => options.onBreakerState?.(operation, "closed"));
    return {
      policy,
      /** Seconds until a probe may go through (at least 1: Retry-After). */
      retryAfterSeconds: () =>
        Math.max(1, Math.ceil((openedAt + options.breakerCooldownMs - Date.now()) / 1000)),
      /**
       * cockatiel moves to half-open only when a call arrives after the cool-down; reported as
       * half-open from then on, so a readiness probe does not keep an idle instance out of rotation.
       */
      state(): BreakerState {
        if (policy.state === CircuitState.Closed) return "closed";
        if (policy.state === CircuitState.HalfOpen) return "half-open";
        return Date.now() >= openedAt + options.breakerCooldownMs ? "half-open" : "open";
      },
    };
  }

  /**
   * Every outcome is a value, so a call that ends after the deadline has nothing to report; an
   * error `answerError` recognises is an answer, anything else that fails is "unavailable".
   * `byCaller`: the caller's own deadline (shorter than ours) cut the call short, which says
   * nothing of the service.
   */
  function attempt<T, R extends { readonly outcome: string }>(
    thingName: string,
    send: () => Promise<T>,
    answer: (result: T) => R,
    answerError: (error: unknown) => R | undefined,
    callerDeadline: number,
    signal: AbortSignal | undefined,
  ) {
    const callerMs = callerDeadline - Date.now();
    const byCaller = callerMs < options.deadlineMs;
    const deadlineMs = Math.max(1, Math.min(options.deadlineMs, callerMs));
    const answered = send().then(
      (result) => ({ answer: answer(result) as R | Unavailable, byCaller: false }),
      (error: unknown) => ({
        answer:
          answerError(error) ??
          (isThrottling(error)
            ? ({
                outcome: "unavailable",
                thingName,
                reason: "throttled by AWS",
                throttled: true,
                retryAfterSeconds: 1,
              } as Unavailable)
            : ({ outcome: "unavailable", thingName, reason: describeFailure(error) } as Unavailable)),
        byCaller: false,
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<{ answer: Unavailable; byCaller: boolean }>((resolve) => {
      const startedAt = Date.now();
      timer = setTimeout(
        () =>
          resolve({
            answer:
              // The caller's own deadline says nothing about AWS: reported as such (byCaller).
              !byCaller && (options.lastThrottledAt?.() ?? 0) >= startedAt
                ? {
                    outcome: "unavailable",
                    thingName,
                    reason: "throttled by AWS (its back-off outlasted the deadline)",
                    throttled: true,
                    retryAfterSeconds: 1,
                  }
                : { outcome: "unavailable", thingName, reason: `no answer within ${deadlineMs} ms` },
            byCaller,
          }),
        deadlineMs,
      );
      // A caller that disconnects cuts the wait short, like its deadline: nothing about the service.
      onAbort = () =>
        resolve({
          answer: { outcome: "unavailable", thingName, reason: "the caller disconnected" },
          byCaller: true,
        });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    return Promise.race([answered, deadline]).finally(() => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    });
  }

  async function call<T, R extends { readonly outcome: string }>(
    operation: Operation,
    thingName: string,
    send: () => Promise<T>,
    answer: (result: T) => R,
    answerError: (error: unknown) => R | undefined,
    callOptions: LookupOptions | undefined,
  ): Promise<R | Unavailable> {
    const started = performance.now();
    const callerDeadline = callOptions?.deadline ?? Number.POSITIVE_INFINITY;
    const breaker = breakerOf(operation);
    const limiter = options.limiter?.(operation);
    let label = "";
    const result = await inSpan(
      `${options.spanPrefix}.${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "rpc.system": "aws-api",
          "rpc.service": options.rpcService,
          "rpc.method": operation,
          "aws.iot.thing_name": thingName,
        },
      },
      async (span) => {
        let outcome: R | Unavailable;
        // An open breaker fails the call at once: it needs no slot under the rate limit.
        const slot = (breaker.state() !== "open" && limiter?.reserve(callerDeadline)) || { waitMs: 0 };
        if ("waitMs" in slot && slot.waitMs > 0) await sleep(slot.waitMs);
        if ("retryAfterSeconds" in slot) {
          // No slot under the rate limit before the caller gives up: refused without a request.
          label = "rate-limited";
          outcome = {
            outcome: "unavailable",
            thingName,
            reason: "client-side rate limit",
            throttled: true,
            retryAfterSeconds: slot.retryAfterSeconds,
          };
        } else if (Date.now() >= callerDeadline || callOptions?.signal?.aborted) {
          // The caller has stopped waiting: no request to AWS, nothing for the breaker to count.
          label = "deadline";
          outcome = { outcome: "unavailable", thingName, reason: "the caller stopped waiting" };
        } else {
          try {
            // The timer starts inside: a call that waited for a half-open probe keeps its deadline.
            outcome = await breaker.policy.execute(async () => {
              const { answer: answered, byCaller } = await attempt(
                thingName,
                send,
                answer,
                answerError,
                callerDeadline,
                callOptions?.signal,
              );
              if (byCaller) label = "deadline";
              else if (answered.outcome === "unavailable" && (answered as Unavailable).throttled)
                label = "throttled";
              // Only "could not answer" counts toward opening the breaker; it is thrown to count.
              else if (answered.outcome === "unavailable") throw new CallUnavailable(answered as Unavailable);
              return answered;
            });
          } catch (error) {
            if (error instanceof CallUnavailable) outcome = error.lookup;
            else if (error instanceof BrokenCircuitError) {
              label = "rejected";
              outcome = {
                outcome: "unavailable",
                thingName,
                reason: "circuit open",
                retryAfterSeconds: breaker.retryAfterSeconds(),
              };
            } else throw error;
          }
        }
        label ||= options.answerLabels?.[outcome.outcome] ?? outcome.outcome;
        span.setAttribute(options.outcomeAttribute, label);
        return outcome;
      },
    );
    options.observe?.(operation, label, (performance.now() - started) / 1000);
    return result;
  }

  return { call, breakerState: (operation) => breakerOf(operation).state() };
}

/** Carries an "unavailable" answer through the breaker, which counts what is thrown. */
class CallUnavailable extends Error {
  constructor(readonly lookup: Unavailable) {
    super(lookup.reason);
  }
}

/** AWS asked for fewer calls (the account's quota): ThrottlingException, or HTTP 429. */
export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === "ThrottlingException" ||
    error.name === "TooManyRequestsException" ||
    httpStatus(error) === 429
  );
}

/** The HTTP status of an AWS SDK service error (undefined for network errors and timeouts). */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** An error's name and code only: never its message, which may quote what was sent or received. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code ? `${error.name} (${code})` : error.name;
  }
  return "unknown error";
}
