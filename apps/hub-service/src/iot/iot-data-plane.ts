import {
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from "@aws-sdk/client-iot-data-plane";
import {
  type AwsClientOptions,
  awsClientConfig,
  type BreakerState,
  type CallObserver,
  createAwsCaller,
  httpStatus,
  type LookupOptions,
  trackThrottling,
  type Unavailable,
  withoutIdleMiddleware,
} from "./aws-call.ts";
import { DATA_PLANE_DEFAULT_RPS, type DataPlaneOperation } from "./data-plane-rates.ts";
import { createRateLimiter } from "./rate-limit.ts";

export type { DataPlaneOperation };
export { DATA_PLANE_DEFAULT_RPS };
export type DataPlaneObserver = CallObserver<DataPlaneOperation>;

/** A shadow's state section: JSON objects, or null to clear one. */
export type ShadowState = {
  readonly desired?: Readonly<Record<string, unknown>> | null;
  readonly reported?: Readonly<Record<string, unknown>> | null;
  readonly delta?: Readonly<Record<string, unknown>>;
};

/** A shadow document as the service answers it (GetThingShadow, the accepted UpdateThingShadow). */
export type ShadowDocument = {
  readonly state?: ShadowState;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly version: number;
  readonly timestamp?: number;
  readonly clientToken?: string;
};

export type ShadowOptions = LookupOptions & {
  /** A named shadow; unset: the Thing's classic shadow. */
  readonly shadowName?: string | undefined;
};

type Missing = { readonly outcome: "missing"; readonly thingName: string };

/**
 * The service refused the request (a 4xx other than throttling or authentication): a version
 * conflict (409), a document too large (413), an invalid one (400), an unknown Thing (404, on
 * update). An answer, so it never counts toward opening the breaker. `reason` is our own wording
 * for `code`, never the service's message (which may quote the document).
 */
export type ShadowRejected = {
  readonly outcome: "rejected";
  readonly thingName: string;
  readonly status: number;
  readonly code: string;
  readonly reason: string;
};

/** "rejected": the service refused the read itself (an invalid Thing or shadow name, 400). */
export type ShadowLookup =
  | { readonly outcome: "found"; readonly thingName: string; readonly document: ShadowDocument }
  | Missing
  | ShadowRejected
  | Unavailable;

export type ShadowUpdate =
  | {
      readonly outcome: "accepted";
      readonly thingName: string;
      readonly version: number;
      readonly document: ShadowDocument;
    }
  | ShadowRejected
  | Unavailable;

export type ShadowDeletion =
  | { readonly outcome: "deleted"; readonly thingName: string; readonly version: number }
  | Missing
  | ShadowRejected
  | Unavailable;

export type IotDataPlane = {
  /** GetThingShadow: the shadow's document, or "missing" when the Thing or that shadow does not exist. */
  getShadow(thingName: string, options?: ShadowOptions): Promise<ShadowLookup>;
  /** UpdateThingShadow with `document` (`{state: {desired…}, clientToken?, version?}`) as JSON. */
  updateShadow(thingName: string, document: object, options?: ShadowOptions): Promise<ShadowUpdate>;
  /** DeleteThingShadow: the deleted shadow's last version, or "missing". */
  deleteShadow(thingName: string, options?: ShadowOptions): Promise<ShadowDeletion>;
  /** The circuit breaker of one operation (each has its own). */
  breakerState(operation: DataPlaneOperation): BreakerState;
  close(): void;
};

/**
 * `endpoint` unset: the SDK's own resolution. Its endpoint config reads the service id "IoT Data
 * Plane" (@aws-sdk/client-iot-data-plane's runtime config, `serviceId`), which @smithy/core's
 * getEndpointUrlConfig turns into AWS_ENDPOINT_URL_IOT_DATA_PLANE, then AWS_ENDPOINT_URL, then the
 * shared config file's `services` section (`iot_data_plane = endpoint_url`); failing all of them,
 * the ruleset's `https://data-ats.iot.{Region}.amazonaws.com`. That last is AWS's shared ATS host;
 * production should name the account's own (`aws iot describe-endpoint --endpoint-type
 * iot:Data-ATS`) as IOT_DATA_ENDPOINT.
 */
export type IotDataPlaneOptions = AwsClientOptions & {
  /** Calls per second of this process, per operation (each its own limit); unset: DATA_PLANE_DEFAULT_RPS. */
  readonly requestsPerSecond?: Partial<Record<DataPlaneOperation, number>>;
  readonly observe?: DataPlaneObserver;
  /** A breaker changed state (logged and measured by the app). */
  readonly onBreakerState?: (operation: DataPlaneOperation, state: BreakerState) => void;
};

/**
 * The AWS IoT Device Shadow port (the data plane's REST API): the same call discipline as the
 * registry (aws-call.ts: per-operation breakers, deadlines, the caller's deadline and signal,
 * outcomes as values), with a rate limit and a breaker of its own per operation: a burst of
 * updates must not starve reads, and a failing DeleteThingShadow must not stop commands.
 *
 * Shadow documents can carry secrets (Wi-Fi credentials travel in a command's args): no document,
 * nor any part of one, goes into a span attribute, an error message, a log line or a reason. The
 * spans carry the Thing's name and the outcome only; a reason is built from error names, codes and
 * our own wording (describeFailure never reads an error's message).
 */
export function createIotDataPlane(options: IotDataPlaneOptions): IotDataPlane {
  const client = withoutIdleMiddleware(new IoTDataPlaneClient(awsClientConfig(options)));
  const rate = { ...DATA_PLANE_DEFAULT_RPS, ...options.requestsPerSecond };
  const limiters = {
    GetThingShadow: createRateLimiter(rate.GetThingShadow),
    UpdateThingShadow: createRateLimiter(rate.UpdateThingShadow),
    DeleteThingShadow: createRateLimiter(rate.DeleteThingShadow),
  };
  const caller = createAwsCaller<DataPlaneOperation>({
    spanPrefix: "IoTDataPlane",
    lastThrottledAt: trackThrottling(client),
    rpcService: "IoT Data Plane",
    outcomeAttribute: "hub.data_plane.outcome",
    answerLabels: { rejected: "refused" },
    operations: ["GetThingShadow", "UpdateThingShadow", "DeleteThingShadow"],
    deadlineMs: options.deadlineMs,
    breakerThreshold: options.breakerThreshold,
    breakerCooldownMs: options.breakerCooldownMs,
    limiter: (operation) => limiters[operation],
    observe: options.observe,
    onBreakerState: options.onBreakerState,
  });

  return {
    breakerState: caller.breakerState,
    getShadow: (thingName, shadowOptions) =>
      caller.call(
        "GetThingShadow",
        thingName,
        async () =>
          readDocument(
            (await client.send(new GetThingShadowCommand({ thingName, ...named(shadowOptions) }))).payload,
          ),
        (document): ShadowLookup => ({ outcome: "found", thingName, document }),
        (error) =>
          httpStatus(error) === 404 ? { outcome: "missing", thingName } : refused(thingName, error),
        shadowOptions,
      ),
    updateShadow: async (thingName, document, shadowOptions) => {
      const payload = encodeDocument(document);
      return caller.call(
        "UpdateThingShadow",
        thingName,
        async () =>
          readDocument(
            (await client.send(new UpdateThingShadowCommand({ thingName, payload, ...named(shadowOptions) })))
              .payload,
          ),
        (accepted): ShadowUpdate => ({
          outcome: "accepted",
          thingName,
          version: accepted.version,
          document: accepted,
        }),
        (error) => refused(thingName, error),
        shadowOptions,
      );
    },
    deleteShadow: (thingName, shadowOptions) =>
      caller.call(
        "DeleteThingShadow",
        thingName,
        async () =>
          readDocument(
            (await client.send(new DeleteThingShadowCommand({ thingName, ...named(shadowOptions) }))).payload,
          ),
        (deleted): ShadowDeletion => ({ outcome: "deleted", thingName, version: deleted.version }),
        (error) =>
          httpStatus(error) === 404 ? { outcome: "missing", thingName } : refused(thingName, error),
        shadowOptions,
      ),
    close() {
      client.destroy();
    },
  };
}

function named(options: ShadowOptions | undefined): { shadowName?: string } {
  return options?.shadowName ? { shadowName: options.shadowName } : {};
}

/**
 * A 4xx the service answered about this request (not throttling, not our credentials, which fail
 * every call and count toward the breaker like an outage): "rejected", with our own wording.
 */
function refused(thingName: string, error: unknown): ShadowRejected | undefined {
  const status = httpStatus(error);
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (status === 429 || status === 401 || status === 403) return undefined;
  const code = error instanceof Error ? error.name : "Error";
  return {
    outcome: "rejected",
    thingName,
    status,
    code,
    reason: REJECTIONS[code] ?? `refused (HTTP ${status})`,
  };
}

const REJECTIONS: Readonly<Record<string, string>> = {
  ConflictException: "version conflict",
  RequestEntityTooLargeException: "document too large",
  InvalidRequestException: "invalid request",
  ResourceNotFoundException: "thing not found",
  MethodNotAllowedException: "method not allowed",
  UnsupportedDocumentEncodingException: "unsupported document encoding",
};

/**
 * The request payload. A document that is not JSON is the caller's bug, not an AWS failure: it
 * throws, with a message that quotes nothing of it (JSON.stringify's own can name its keys).
 */
function encodeDocument(document: object): Uint8Array {
  let json: string | undefined;
  try {
    json = JSON.stringify(document);
  } catch {
    json = undefined;
  }
  if (typeof json !== "string") throw new TypeError("the shadow document cannot be serialised as JSON");
  return new TextEncoder().encode(json);
}

/** The response payload: a JSON object with a numeric version, or an unreadable answer. */
function readDocument(payload: Uint8Array | undefined): ShadowDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array()));
  } catch {
    throw new UnreadableShadowResponse();
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof (parsed as { version?: unknown }).version !== "number"
  )
    throw new UnreadableShadowResponse();
  return parsed as ShadowDocument;
}

/** The service answered 2xx with a payload that is not a shadow document (reason: this name only). */
class UnreadableShadowResponse extends Error {
  override name = "UnreadableShadowResponse";
  constructor() {
    super("the shadow response is not a JSON document with a version");
  }
}
