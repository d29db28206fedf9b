import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DescribeThingCommand,
  GetThingConnectivityDataCommand,
  IoTClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import { inSpan, SpanKind } from "@hub/observability";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleType } from "cockatiel";
import { createRateLimiter } from "./rate-limit.ts";

export type ThingLookup =
  | { readonly outcome: "exists"; readonly thingName: string; readonly thingArn?: string }
  | { readonly outcome: "missing"; readonly thingName: string }
  | Unavailable;

export type ConnectivityLookup =
  | { readonly outcome: "connected" | "disconnected"; readonly thingName: string }
  | { readonly outcome: "missing"; readonly thingName: string }
  | Unavailable;

/**
 * The registry could not answer; `retryAfterSeconds` is the breaker's remaining cool-down when
 * open, or the rate limit's wait. `throttled`: AWS answered ThrottlingException (after the SDK's
 * retries) or our own rate limit had no slot before the caller's deadline.
 */
export type Unavailable = {
  readonly outcome: "unavailable";
  readonly thingName: string;
  readonly reason: string;
  readonly retryAfterSeconds?: number;
  readonly throttled?: boolean;
};

export type BreakerState = "closed" | "open" | "half-open";

export type LookupOptions = {
  /** The caller's deadline (epoch ms): the lookup gives up then, even before its own deadline. */
  readonly deadline?: number | undefined;
  /** The caller disconnected: the lookup stops waiting then (nobody would read the answer). */
  readonly signal?: AbortSignal | undefined;
};

export type IotRegistry = {
  describeThing(thingName: string, options?: LookupOptions): Promise<ThingLookup>;
  /** GetThingConnectivityData: whether the hub's Thing is connected now (ClaimHub, ReClaimHub, SetHubRole). */
  connectivity(thingName: string, options?: LookupOptions): Promise<ConnectivityLookup>;
  /** The circuit breaker of one operation (each has its own). */
  breakerState(operation: RegistryOperation): BreakerState;
  close(): void;
};

/**
 * What the port reports per call (metrics): `outcome` is the lookup's, "rejected" (failed fast by
 * the open breaker) or "deadline" (the caller's deadline cut it short or had passed).
 */
export type RegistryObserver = (operation: RegistryOperation, outcome: string, seconds: number) => void;
export type RegistryOperation = "DescribeThing" | "GetThingConnectivityData";

export type IotRegistryOptions = {
  readonly region: string;
  /** Unset: the SDK's standard resolution (AWS_ENDPOINT_URL_IOT, then the regional endpoint). */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Deadline for one lookup, all attempts included. */
  readonly deadlineMs: number;
  /** Deadline for one HTTP attempt; a slower attempt is abandoned and, if time remains, retried. */
  readonly attemptTimeoutMs: number;
  readonly maxAttempts: number;
  /** Consecutive unavailable lookups (failures, timeouts) that open the breaker. */
  readonly breakerThreshold: number;
  /** How long the open breaker fails lookups fast before one probe may try the registry again. */
  readonly breakerCooldownMs: number;
  /** Registry calls per second this process makes at most (all operations, all requests). */
  readonly requestsPerSecond?: number;
  readonly observe?: RegistryObserver;
  /** A breaker changed state (logged and measured by the app). */
  readonly onBreakerState?: (operation: RegistryOperation, state: BreakerState) => void;
};

/**
 * The AWS IoT registry port. The SDK has no request timeout by default, so a registry that never
 * answers would hang provisioning forever: every attempt has its own socket deadline and the whole
 * lookup an overall one. Only transient failures (throttling, 5xx, timeouts, refused connections)
 * are retried, by the SDK's standard strategy.
 *
 * The client resolves its middleware stack once per command class (`cacheMiddleware`) instead of
 * on every call: measured ~0.1 ms of CPU and ~36 KB of garbage per lookup. That cache only serves
 * calls without per-call options, so the overall deadline is a timer raced against the call rather
 * than an abortSignal: the caller gets "unavailable" at the deadline, and an attempt still in flight
 * then ends by its own attempt timeout (at most `maxAttempts` attempts in all). DescribeThing and
 * GetThingConnectivityData share this discipline.
 *
 * A circuit breaker (cockatiel) stands before both: after `breakerThreshold` lookups in a row that
 * the registry could not answer, lookups fail at once as unavailable, with the remaining cool-down
 * as Retry-After, instead of each waiting out its deadline and retries; after the cool-down one
 * probe goes through and closes it again on an answer. "Thing not found" and "not connected" are
 * answers: they never count toward opening it; nor does throttling, which says the registry is up
 * and wants fewer calls, not none (the items concerned are unavailable, with Retry-After).
 *
 * Before both, a client-side rate limit (`requestsPerSecond`, see rate-limit.ts) keeps the
 * process under the account's quota; a call it cannot fit in before the caller's deadline is
 * unavailable at once, without a request (outcome "rate-limited"; "throttled": AWS said so). The
 * SDK's own retries of a throttled or failed attempt are not charged to it: they back off
 * exponentially, and at most `maxAttempts` per call.
 */
export function createIotRegistry(options: IotRegistryOptions): IotRegistry {
  const client = new IoTClient({
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
  });

  /**
   * One breaker per operation: GetThingConnectivityData can fail on its own (fleet indexing off,
   * its own throttling) and must not stop provisioning, which only needs DescribeThing.
   */
  const limiter = options.requestsPerSecond ? createRateLimiter(options.requestsPerSecond) : undefined;
  const breakers = {
    DescribeThing: createBreaker("DescribeThing"),
    GetThingConnectivityData: createBreaker("GetThingConnectivityData"),
  };
  function createBreaker(operation: RegistryOperation) {
    const policy = circuitBreaker(handleType(RegistryUnavailable), {
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
   * Every outcome is a value, so a call that ends after the deadline has nothing to report; not
   * found is an answer, anything else that fails is "unavailable". `byCaller`: the caller's own
   * deadline (shorter than the registry's) cut the call short, which says nothing of the registry.
   */
  type Missing = { readonly outcome: "missing"; readonly thingName: string };
  function attempt<T, R>(
    thingName: string,
    call: () => Promise<T>,
    found: (result: T) => R,
    callerDeadline: number,
    signal: AbortSignal | undefined,
  ) {
    const callerMs = callerDeadline - Date.now();
    const byCaller = callerMs < options.deadlineMs;
    const deadlineMs = Math.max(1, Math.min(options.deadlineMs, callerMs));
    const answered = call().then(
      (result) => ({ answer: found(result), byCaller: false }),
      (error: unknown) => ({
        answer:
          error instanceof ResourceNotFoundException
            ? ({ outcome: "missing", thingName } as Missing)
            : isThrottling(error)
              ? ({
                  outcome: "unavailable",
                  thingName,
                  reason: "throttled by AWS",
                  throttled: true,
                  retryAfterSeconds: 1,
                } as Unavailable)
              : ({ outcome: "unavailable", thingName, reason: describeFailure(error) } as Unavailable),
        byCaller: false,
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<{ answer: Unavailable; byCaller: boolean }>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            answer: { outcome: "unavailable", thingName, reason: `no answer within ${deadlineMs} ms` },
            byCaller,
          }),
        deadlineMs,
      );
      // A caller that disconnects cuts the wait short, like its deadline: nothing about the registry.
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

  async function lookup<T, R extends { readonly outcome: string }>(
    operation: RegistryOperation,
    thingName: string,
    call: () => Promise<T>,
    found: (result: T) => R,
    lookupOptions: LookupOptions | undefined,
  ): Promise<R | Missing | Unavailable> {
    const started = performance.now();
    const callerDeadline = lookupOptions?.deadline ?? Number.POSITIVE_INFINITY;
    const breaker = breakers[operation];
    let label = "";
    const result = await inSpan(
      `IoT.${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "rpc.system": "aws-api",
          "rpc.service": "IoT",
          "rpc.method": operation,
          "aws.iot.thing_name": thingName,
        },
      },
      async (span) => {
        let outcome: R | Missing | Unavailable;
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
        } else if (Date.now() >= callerDeadline || lookupOptions?.signal?.aborted) {
          // The caller has stopped waiting: no request to AWS, nothing for the breaker to count.
          label = "deadline";
          outcome = { outcome: "unavailable", thingName, reason: "the caller stopped waiting" };
        } else {
          try {
            // The timer starts inside: a call that waited for a half-open probe keeps its deadline.
            outcome = await breaker.policy.execute(async () => {
              const { answer, byCaller } = await attempt(
                thingName,
                call,
                found,
                callerDeadline,
                lookupOptions?.signal,
              );
              if (byCaller) label = "deadline";
              else if (answer.outcome === "unavailable" && (answer as Unavailable).throttled)
                label = "throttled";
              // Only "could not answer" counts toward opening the breaker; it is thrown to count.
              else if (answer.outcome === "unavailable") throw new RegistryUnavailable(answer as Unavailable);
              return answer;
            });
          } catch (error) {
            if (error instanceof RegistryUnavailable) outcome = error.lookup;
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
        label ||= outcome.outcome;
        span.setAttribute("hub.registry.outcome", label);
        return outcome;
      },
    );
    options.observe?.(operation, label, (performance.now() - started) / 1000);
    return result;
  }

  return {
    breakerState: (operation) => breakers[operation].state(),
    describeThing: (thingName, lookupOptions) =>
      lookup(
        "DescribeThing",
        thingName,
        () => client.send(new DescribeThingCommand({ thingName })),
        (result): ThingLookup => ({
          outcome: "exists",
          thingName,
          ...(result.thingArn ? { thingArn: result.thingArn } : {}),
        }),
        lookupOptions,
      ),
    connectivity: (thingName, lookupOptions) =>
      lookup(
        "GetThingConnectivityData",
        thingName,
        () => client.send(new GetThingConnectivityDataCommand({ thingName })),
        (result): ConnectivityLookup => ({
          outcome: result.connected ? "connected" : "disconnected",
          thingName,
        }),
        lookupOptions,
      ),
    close() {
      client.destroy();
    },
  };
}

/** Carries an "unavailable" lookup through the breaker, which counts what is thrown. */
class RegistryUnavailable extends Error {
  constructor(readonly lookup: Unavailable) {
    super(lookup.reason);
  }
}

/** AWS asked for fewer calls (the account's quota): ThrottlingException, or HTTP 429. */
function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === "ThrottlingException" || error.name === "TooManyRequestsException" || status === 429;
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code ? `${error.name} (${code})` : error.name;
  }
  return "unknown error";
}
