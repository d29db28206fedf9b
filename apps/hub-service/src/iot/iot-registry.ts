import {
  DescribeThingCommand,
  GetThingConnectivityDataCommand,
  IoTClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-iot";
import {
  type AwsClientOptions,
  awsClientConfig,
  type BreakerState,
  type CallObserver,
  createAwsCaller,
  type LookupOptions,
  trackThrottling,
  type Unavailable,
  withoutIdleMiddleware,
} from "./aws-call.ts";
import { createRateLimiter } from "./rate-limit.ts";

/** The call discipline's types, shared with the data plane (aws-call.ts); the registry's API names them. */
export type { BreakerState, LookupOptions, Unavailable };

export type ThingLookup =
  | { readonly outcome: "exists"; readonly thingName: string; readonly thingArn?: string }
  | { readonly outcome: "missing"; readonly thingName: string }
  | Unavailable;

export type ConnectivityLookup =
  | { readonly outcome: "connected" | "disconnected"; readonly thingName: string }
  | { readonly outcome: "missing"; readonly thingName: string }
  | Unavailable;

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
export type RegistryObserver = CallObserver<RegistryOperation>;
export type RegistryOperation = "DescribeThing" | "GetThingConnectivityData";

/** `endpoint` unset: AWS_ENDPOINT_URL_IOT, then the regional endpoint. */
export type IotRegistryOptions = AwsClientOptions & {
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
 * GetThingConnectivityData share this discipline, which lives in aws-call.ts (the Device Shadow
 * data plane, iot-data-plane.ts, calls through it too).
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
  const client = withoutIdleMiddleware(new IoTClient(awsClientConfig(options)));

  /**
   * One breaker per operation: GetThingConnectivityData can fail on its own (fleet indexing off,
   * its own throttling) and must not stop provisioning, which only needs DescribeThing. One rate
   * limit for both (the registry's calls of this process share IOT_REGISTRY_RPS).
   */
  const limiter = options.requestsPerSecond ? createRateLimiter(options.requestsPerSecond) : undefined;
  const caller = createAwsCaller<RegistryOperation>({
    spanPrefix: "IoT",
    lastThrottledAt: trackThrottling(client),
    rpcService: "IoT",
    outcomeAttribute: "hub.registry.outcome",
    operations: ["DescribeThing", "GetThingConnectivityData"],
    deadlineMs: options.deadlineMs,
    breakerThreshold: options.breakerThreshold,
    breakerCooldownMs: options.breakerCooldownMs,
    limiter: () => limiter,
    observe: options.observe,
    onBreakerState: options.onBreakerState,
  });
  /** "Thing not found" is an answer (it never counts toward opening the breaker). */
  const notFound = (thingName: string) => (error: unknown) =>
    error instanceof ResourceNotFoundException ? ({ outcome: "missing", thingName } as const) : undefined;

  return {
    breakerState: caller.breakerState,
    describeThing: (thingName, lookupOptions) =>
      caller.call(
        "DescribeThing",
        thingName,
        () => client.send(new DescribeThingCommand({ thingName })),
        (result): ThingLookup => ({
          outcome: "exists",
          thingName,
          ...(result.thingArn ? { thingArn: result.thingArn } : {}),
        }),
        notFound(thingName),
        lookupOptions,
      ),
    connectivity: (thingName, lookupOptions) =>
      caller.call(
        "GetThingConnectivityData",
        thingName,
        () => client.send(new GetThingConnectivityDataCommand({ thingName })),
        (result): ConnectivityLookup => ({
          outcome: result.connected ? "connected" : "disconnected",
          thingName,
        }),
        notFound(thingName),
        lookupOptions,
      ),
    close() {
      client.destroy();
    },
  };
}
