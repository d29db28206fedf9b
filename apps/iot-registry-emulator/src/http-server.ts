import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { z } from "zod";
import { ApiError, invalid } from "./api-error.ts";
import type { RegistryStore, Thing } from "./registry.ts";
import { createRouter, type Operation, type Route, route } from "./router.ts";
import {
  type RuleDestinationSpec,
  RuleDestinations,
  type RuleDestinationsOptions,
  ruleChaosSchema,
  ruleDestinationSpecSchema,
} from "./rule-destination.ts";
import { CLASSIC, type JsonObject, ShadowStore, validateShadowName } from "./shadows.ts";
import { hubBehaviourSchema, SimulatedHubs } from "./simulated-hub.ts";

/** Structural subset of a pino logger. */
export interface EmulatorLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type FaultMode = "none" | "unavailable" | "throttle" | "hang" | "slow";

export interface FaultSpec {
  mode: FaultMode;
  /** "slow": delay before the normal answer (default 1000). "unavailable"/"throttle": delay before the error (default 0). */
  delayMs?: number;
  /** How many API requests the fault applies to; then it reverts to "none". Default: until changed. */
  times?: number;
  /**
   * The operations it applies to (e.g. "UpdateThingShadow", "DescribeThing"); others are answered
   * normally and do not count against `times`. Default: every API request.
   */
  operations?: (typeof OPERATIONS)[number][];
}

export interface FaultControl {
  setFault(spec: FaultSpec): void;
  clear(): void;
  /** The active fault; `times` is the number of requests it still applies to. */
  current(): FaultSpec;
}

export interface RegistryServerOptions {
  store: RegistryStore;
  /** Used in thing ARNs. Default "us-east-1". */
  region?: string;
  /** Used in thing ARNs. Default "000000000000". */
  accountId?: string;
  logger?: EmulatorLogger;
  /** The topic rule's HTTP destination, configured (and confirmed) once the server listens. */
  ruleDestination?: RuleDestinationSpec;
  /** Timing of the rule's deliveries (tests shorten the backoff). */
  ruleTiming?: Omit<RuleDestinationsOptions, "region" | "accountId" | "baseUrl" | "logger">;
  /** Default delay before a simulated hub answers a command. Default 50 ms. */
  hubDelayMs?: number;
}

/** API requests (not `/__emulator/*`) seen since start, and those not yet answered or closed. */
export interface RequestCounts {
  readonly received: number;
  readonly inFlight: number;
  /** Requests received per API operation (e.g. `UpdateThingShadow`), so a test can tell its own. */
  readonly byOperation: Readonly<Record<string, number>>;
}

export interface RegistryServer {
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening and destroys open sockets, including requests held by the "hang" fault. */
  close(): Promise<void>;
  readonly faults: FaultControl;
  /** Lets a test wait for "a request is being held" instead of sleeping. */
  requests(): RequestCounts;
  /** The topic rule's HTTP destination (also at `/__emulator/rule-destination`). */
  readonly rule: RuleDestinations;
  /** The simulated hub devices, one per Thing (also at `/__emulator/things/{name}/hub`). */
  readonly hubs: SimulatedHubs;
}

export const connectivitySpecSchema = z.strictObject({
  connected: z.boolean(),
  disconnectReason: z.string().min(1).max(128).optional(),
});

/** The AWS operations the emulator serves, as a fault's `operations` names them. */
export const OPERATIONS = [
  "ListThings",
  "DescribeThing",
  "CreateThing",
  "DeleteThing",
  "GetThingConnectivityData",
  "ConfirmTopicRuleDestination",
  "GetThingShadow",
  "UpdateThingShadow",
  "DeleteThingShadow",
  "ListNamedShadowsForThing",
] as const;

export const faultSpecSchema = z.strictObject({
  mode: z.enum(["none", "unavailable", "throttle", "hang", "slow"]),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  times: z.number().int().positive().optional(),
  // Named, not free text: a misspelt operation would silently fault nothing.
  operations: z.array(z.enum(OPERATIONS)).min(1).optional(),
});

const THING_NAME = /^[a-zA-Z0-9:_-]+$/;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#=[\]-]+$/;
/** `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…` */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/[a-z0-9-]+\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=[a-z0-9;_.-]+, ?Signature=[0-9a-f]{64}$/;
/** The control plane's signing name. */
const IOT = ["iot"];
/**
 * The data plane's signing names: `@aws-sdk/client-iot-data-plane` signs as `iotdata`; AWS's own
 * documentation of the Device Shadow REST API signs as `iotdevicegateway`. Both are accepted.
 */
const IOT_DATA = ["iotdata", "iotdevicegateway"];
const api = (name: (typeof OPERATIONS)[number], signingNames: readonly string[]): Operation => ({
  name,
  signingNames,
});
const MAX_BODY_BYTES = 1024 * 1024;
const CONTROL_PREFIX = "/__emulator/";
const DEFAULT_MAX_RESULTS = 50;
const MAX_MAX_RESULTS = 250;

const notFound = (name: string) =>
  new ApiError(404, "ResourceNotFoundException", `Thing ${name} cannot be found.`);

const createThingBodySchema = z.object({
  thingTypeName: z.string().min(1).max(128).regex(THING_NAME).optional(),
  attributePayload: z
    .object({
      attributes: z.record(z.string().max(128).regex(ATTRIBUTE_NAME), z.string().max(800)).optional(),
      merge: z.boolean().optional(),
    })
    .optional(),
  billingGroupName: z.string().min(1).max(128).regex(THING_NAME).optional(),
});

const nextTokenSchema = z.object({ v: z.literal(1), after: z.string() });

function encodeNextToken(after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after }), "utf8").toString("base64url");
}

function decodeNextToken(token: string): string {
  try {
    return nextTokenSchema.parse(JSON.parse(Buffer.from(token, "base64url").toString("utf8"))).after;
  } catch {
    throw invalid("The specified nextToken is not valid.");
  }
}

function validateThingName(name: string): void {
  if (name.length < 1 || name.length > 128 || !THING_NAME.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at 'thingName' failed to satisfy constraint: ` +
        "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+ and have length between 1 and 128",
    );
  }
}

function parseIntegerParam(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  if (!/^-?\d{1,15}$/.test(value)) throw invalid(`Value '${value}' at '${name}' is not a valid integer.`);
  return Number(value);
}

function parseBooleanParam(value: string | null, name: string): boolean | undefined {
  if (value === null) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalid(`Value '${value}' at '${name}' is not a valid boolean.`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(invalid("The request body is too large."));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sameConfiguration(existing: Thing, wanted: Thing): boolean {
  const a = Object.entries(existing.attributes).sort(([x], [y]) => (x < y ? -1 : 1));
  const b = Object.entries(wanted.attributes).sort(([x], [y]) => (x < y ? -1 : 1));
  return (
    existing.thingTypeName === wanted.thingTypeName &&
    existing.billingGroupName === wanted.billingGroupName &&
    JSON.stringify(a) === JSON.stringify(b)
  );
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

export function createRegistryServer(options: RegistryServerOptions): RegistryServer {
  const { store, logger } = options;
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let fault: FaultSpec = { mode: "none" };
  let closing = false;
  const counts = { received: 0, inFlight: 0 };
  const byOperation: Record<string, number> = {};
  const countsNow = (): RequestCounts => ({ ...counts, byOperation: { ...byOperation } });
  let baseUrl = "http://127.0.0.1";
  const shadows = new ShadowStore();
  const rule = new RuleDestinations({
    ...options.ruleTiming,
    region,
    accountId,
    baseUrl: () => baseUrl,
    ...(logger === undefined ? {} : { logger }),
  });
  /** Per Thing: the presence events' versionNumber, and the session of the device's current connection. */
  const presence = new Map<string, { versionNumber: number; sessionIdentifier: string }>();
  const hubs = new SimulatedHubs({
    updateShadow: async (thingName, document) => {
      updateShadow(thingName, CLASSIC, JSON.stringify(document));
    },
    setConnected: async (thingName, connected, disconnectReason) => {
      await setDeviceConnected(thingName, connected, disconnectReason);
    },
    shadowState: (thingName) => shadows.state(thingName, CLASSIC),
    connectedSince: (thingName) => {
      const connectivity = store.get(thingName)?.connectivity;
      return connectivity?.connected ? connectivity.timestamp : undefined;
    },
    ...(options.hubDelayMs === undefined ? {} : { delayMs: options.hubDelayMs }),
    ...(logger === undefined ? {} : { logger }),
  });

  const faults: FaultControl = {
    setFault(spec) {
      const parsed = faultSpecSchema.parse(spec);
      fault = parsed.mode === "none" ? { mode: "none" } : { ...spec };
      logger?.info({ fault }, "fault set");
    },
    clear() {
      fault = { mode: "none" };
    },
    current: () => ({ ...fault }),
  };

  /** Returns the fault that applies to this API request (of `operation`, if known) and counts it against `times`. */
  function takeFault(operation: string | undefined): FaultSpec {
    const active = fault;
    if (
      active.operations !== undefined &&
      (operation === undefined || !(active.operations as readonly string[]).includes(operation))
    ) {
      return { mode: "none" };
    }
    if (active.mode !== "none" && active.times !== undefined) {
      fault = active.times <= 1 ? { mode: "none" } : { ...active, times: active.times - 1 };
    }
    return active;
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed || res.writableEnded) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  function withCode(error: ApiError): ApiError {
    if ("code" in error.extra) return error;
    return new ApiError(error.status, error.type, error.message, { code: error.status, ...error.extra });
  }

  function sendError(res: ServerResponse, error: ApiError): void {
    res.setHeader("x-amzn-ErrorType", error.type);
    send(res, error.status, { ...error.extra, message: error.message });
  }

  function thingArn(name: string): string {
    return `arn:aws:iot:${region}:${accountId}:thing/${name}`;
  }

  function requireThing(name: string): Thing {
    validateThingName(name);
    const thing = store.get(name);
    if (thing === undefined) throw notFound(name);
    return thing;
  }

  function describeThing(name: string): unknown {
    const thing = requireThing(name);
    const { connectivity: _notPartOfDescribeThing, ...described } = thing;
    return described;
  }

  /** GetThingConnectivityData: `timestamp` in epoch seconds, as restJson1 serializes it. */
  function connectivityData(name: string): unknown {
    validateThingName(name);
    const thing = store.get(name);
    if (thing === undefined) throw notFound(name);
    const { connected = false, timestamp, disconnectReason } = thing.connectivity ?? {};
    return {
      thingName: name,
      connected,
      ...(timestamp === undefined ? {} : { timestamp: timestamp / 1000 }),
      ...(disconnectReason === undefined ? {} : { disconnectReason }),
    };
  }

  async function createThing(name: string, rawBody: string): Promise<unknown> {
    validateThingName(name);
    let json: unknown = {};
    if (rawBody.trim() !== "") {
      try {
        json = JSON.parse(rawBody);
      } catch {
        throw invalid("The request body is not valid JSON.");
      }
    }
    const parsed = createThingBodySchema.safeParse(json);
    if (!parsed.success)
      throw invalid(`Invalid CreateThing request: ${parsed.error.issues[0]?.message ?? ""}`);
    const { thingTypeName, attributePayload, billingGroupName } = parsed.data;
    const thing: Thing = {
      thingName: name,
      thingId: randomUUID(),
      thingArn: thingArn(name),
      ...(thingTypeName === undefined ? {} : { thingTypeName }),
      attributes: { ...attributePayload?.attributes },
      version: 1,
      ...(billingGroupName === undefined ? {} : { billingGroupName }),
      defaultClientId: name,
    };
    const existing = await store.insert(thing);
    // AWS: repeating CreateThing with the same name and configuration succeeds; a different configuration
    // is ResourceAlreadyExistsException.
    if (existing !== undefined && !sameConfiguration(existing, thing)) {
      throw new ApiError(
        409,
        "ResourceAlreadyExistsException",
        `Thing ${name} already exists with a different configuration.`,
        {
          resourceId: existing.thingId,
          resourceArn: existing.thingArn,
        },
      );
    }
    const result = existing ?? thing;
    return { thingName: result.thingName, thingArn: result.thingArn, thingId: result.thingId };
  }

  function listThings(query: URLSearchParams): unknown {
    const maxResults = parseIntegerParam(query.get("maxResults"), "maxResults") ?? DEFAULT_MAX_RESULTS;
    if (maxResults < 1 || maxResults > MAX_MAX_RESULTS) {
      throw invalid(`Value '${maxResults}' at 'maxResults' must be between 1 and ${MAX_MAX_RESULTS}.`);
    }
    const token = query.get("nextToken");
    const after = token === null || token === "" ? undefined : decodeNextToken(token);
    const attributeName = query.get("attributeName");
    const attributeValue = query.get("attributeValue");
    const thingTypeName = query.get("thingTypeName");
    const usePrefix =
      parseBooleanParam(query.get("usePrefixAttributeValue"), "usePrefixAttributeValue") ?? false;
    if (attributeValue !== null && attributeName === null) {
      throw invalid("attributeValue requires attributeName.");
    }

    const matching = store.list().filter((thing) => {
      if (after !== undefined && thing.thingName <= after) return false;
      if (thingTypeName !== null && thing.thingTypeName !== thingTypeName) return false;
      if (attributeName !== null) {
        const value = thing.attributes[attributeName];
        if (value === undefined) return false;
        if (
          attributeValue !== null &&
          !(usePrefix ? value.startsWith(attributeValue) : value === attributeValue)
        ) {
          return false;
        }
      }
      return true;
    });
    const page = matching.slice(0, maxResults);
    const last = page.at(-1);
    return {
      things: page.map(({ thingName, thingTypeName, thingArn, attributes, version }) => ({
        thingName,
        thingTypeName,
        thingArn,
        attributes,
        version,
      })),
      ...(matching.length > maxResults && last !== undefined
        ? { nextToken: encodeNextToken(last.thingName) }
        : {}),
    };
  }

  async function deleteThing(name: string, query: URLSearchParams): Promise<unknown> {
    validateThingName(name);
    const expectedVersion = parseIntegerParam(query.get("expectedVersion"), "expectedVersion");
    const outcome = await store.delete(name, expectedVersion);
    if (outcome === "version-conflict") {
      throw new ApiError(
        409,
        "VersionConflictException",
        `The version for thing ${name} does not match the expected version.`,
      );
    }
    if (outcome === "deleted") {
      // A Thing's shadows and its device go with it; a new Thing of that name starts afresh.
      shadows.deleteThing(name);
      hubs.forget(name);
      presence.delete(name);
    }
    // AWS: DeleteThing "returns successfully with no error if ... you specify a thing that doesn't exist".
    return {};
  }

  /** A control request's JSON body, validated; anything else is InvalidRequestException. */
  async function controlBody<T>(req: IncomingMessage, schema: z.ZodType<T>, label: string): Promise<T> {
    let json: unknown;
    try {
      json = JSON.parse(await readBody(req));
    } catch {
      throw invalid(`The ${label} body must be JSON.`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw invalid(`Invalid ${label}: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  /**
   * The device of Thing `name` connects or drops off: GetThingConnectivityData reports it and the rule gets a
   * presence event, as AWS publishes `$aws/events/presence/...`. No change (connecting a connected device)
   * is a no-op: no event, and the connection's timestamp (the hub's uptime) is kept.
   */
  async function setDeviceConnected(name: string, connected: boolean, reason?: string): Promise<void> {
    const thing = requireThing(name);
    if ((thing.connectivity?.connected ?? false) === connected) return;
    const timestamp = Date.now();
    const disconnectReason = reason ?? "CLIENT_INITIATED_DISCONNECT";
    const changed = await store.setConnectivity(name, {
      connected,
      timestamp,
      ...(connected ? {} : { disconnectReason }),
    });
    if (!changed) throw notFound(name);
    const previous = presence.get(name);
    const session = {
      versionNumber: (previous?.versionNumber ?? 0) + 1,
      // A fresh session per connection; a disconnect ends the session it belongs to.
      sessionIdentifier: connected || previous === undefined ? randomUUID() : previous.sessionIdentifier,
    };
    presence.set(name, session);
    logger?.info({ thingName: name, eventType: connected ? "connected" : "disconnected" }, "device presence");
    rule.publish(
      {
        clientId: name,
        timestamp,
        eventType: connected ? "connected" : "disconnected",
        sessionIdentifier: session.sessionIdentifier,
        // AWS: the certificate id of an X.509-authenticated device; a stable stand-in per Thing here.
        principalIdentifier: createHash("sha256").update(`certificate:${name}`).digest("hex"),
        ...(connected ? {} : { disconnectReason }),
        versionNumber: session.versionNumber,
        messageType: "presence",
      },
      { thingName: name, messageType: "presence" },
    );
  }

  /** Control: the device of Thing `name` connects or drops off, as GetThingConnectivityData then reports. */
  async function setConnectivity(name: string, req: IncomingMessage): Promise<unknown> {
    validateThingName(name);
    const spec = await controlBody(req, connectivitySpecSchema, "connectivity");
    await setDeviceConnected(name, spec.connected, spec.disconnectReason);
    return connectivityData(name);
  }

  /**
   * An accepted shadow update, from the API or from a simulated hub: the rule gets its `/update/documents`
   * message (with the fields the rule SQL adds), and the Thing's hub sees its classic shadow change.
   */
  function updateShadow(thingName: string, shadowName: string, body: string): JsonObject {
    requireThing(thingName);
    const outcome = shadows.update(thingName, shadowName, body);
    rule.publish(
      {
        ...outcome.documents,
        thingName,
        ...(shadowName === CLASSIC ? {} : { shadowName }),
        messageType: "shadow-document",
      },
      { thingName, messageType: "shadow-document" },
    );
    if (shadowName === CLASSIC) hubs.onShadowAccepted(thingName, outcome.state);
    return outcome.accepted;
  }

  function getShadow(thingName: string, query: URLSearchParams): unknown {
    requireThing(thingName);
    return shadows.get(thingName, validateShadowName(query.get("name")));
  }

  function deleteShadow(thingName: string, query: URLSearchParams): unknown {
    requireThing(thingName);
    return shadows.delete(thingName, validateShadowName(query.get("name")));
  }

  function listNamedShadows(thingName: string, query: URLSearchParams): unknown {
    requireThing(thingName);
    return shadows.listNamed(
      thingName,
      query.get("nextToken"),
      parseIntegerParam(query.get("pageSize"), "pageSize"),
    );
  }

  /** ConfirmTopicRuleDestination, and a GET on the confirmation's enableUrl (the same path). */
  function confirmDestination(token: string): unknown {
    if (!rule.confirm(token)) throw invalid("The confirmation token is not valid.");
    return {};
  }

  async function setHubBehaviour(name: string, req: IncomingMessage): Promise<unknown> {
    requireThing(name);
    await hubs.setBehaviour(name, await controlBody(req, hubBehaviourSchema, "hub behaviour"));
    return hubs.behaviour(name);
  }

  async function configureRule(req: IncomingMessage): Promise<unknown> {
    return rule.configure(await controlBody(req, ruleDestinationSpecSchema, "rule destination"));
  }

  function ruleView(): unknown {
    const view = rule.view();
    if (view === undefined) {
      throw new ApiError(404, "ResourceNotFoundException", "No rule destination is configured.");
    }
    return view;
  }

  /** Control: the fault the registry API emulates from now on. */
  async function setFault(req: IncomingMessage): Promise<unknown> {
    const { mode, delayMs, times, operations } = await controlBody(req, faultSpecSchema, "fault");
    faults.setFault({
      mode,
      ...(delayMs === undefined ? {} : { delayMs }),
      ...(times === undefined ? {} : { times }),
      ...(operations === undefined ? {} : { operations }),
    });
    return { ok: true, fault: faults.current() };
  }

  /**
   * The AWS API, as `@aws-sdk/client-iot` and `@aws-sdk/client-iot-data-plane` call it: behind the faults and
   * the SigV4 check. Each route names its operation, which a fault can target.
   */
  const registryRoutes: Route[] = [
    route("GET", "/things", ({ query }) => listThings(query), api("ListThings", IOT)),
    route(
      "GET",
      "/things/:thingName",
      ({ params }) => describeThing(params.thingName),
      api("DescribeThing", IOT),
    ),
    route(
      "POST",
      "/things/:thingName",
      async ({ req, params }) => createThing(params.thingName, await readBody(req)),
      api("CreateThing", IOT),
    ),
    route(
      "DELETE",
      "/things/:thingName",
      ({ params, query }) => deleteThing(params.thingName, query),
      api("DeleteThing", IOT),
    ),
    route(
      "POST",
      "/things/:thingName/connectivity-data",
      ({ params }) => connectivityData(params.thingName),
      api("GetThingConnectivityData", IOT),
    ),
    // Unsigned too: the confirmation's enableUrl is this path, and on AWS opening it in a browser confirms.
    route(
      "GET",
      "/confirmdestination/*",
      ({ params }) => confirmDestination(params["*"]),
      api("ConfirmTopicRuleDestination", []),
    ),
    // The Device Shadow REST API (the data plane), on the same port.
    route(
      "GET",
      "/things/:thingName/shadow",
      ({ params, query }) => getShadow(params.thingName, query),
      api("GetThingShadow", IOT_DATA),
    ),
    route(
      "POST",
      "/things/:thingName/shadow",
      async ({ req, params, query }) =>
        updateShadow(params.thingName, validateShadowName(query.get("name")), await readBody(req)),
      api("UpdateThingShadow", IOT_DATA),
    ),
    route(
      "DELETE",
      "/things/:thingName/shadow",
      ({ params, query }) => deleteShadow(params.thingName, query),
      api("DeleteThingShadow", IOT_DATA),
    ),
    route(
      "GET",
      "/api/things/shadow/ListNamedShadowsForThing/:thingName",
      ({ params, query }) => listNamedShadows(params.thingName, query),
      api("ListNamedShadowsForThing", IOT_DATA),
    ),
  ];

  /** The control API, for tests and the CLI: no faults, no SigV4, not counted in `requests()`. */
  const controlRoutes = [
    route("GET", `${CONTROL_PREFIX}health`, () => ({ ok: true })),
    route("GET", `${CONTROL_PREFIX}requests`, countsNow),
    route("POST", `${CONTROL_PREFIX}things/:thingName/connectivity`, ({ req, params }) =>
      setConnectivity(params.thingName, req),
    ),
    route("POST", `${CONTROL_PREFIX}fault`, ({ req }) => setFault(req)),
    route("GET", `${CONTROL_PREFIX}things/:thingName/hub`, ({ params }) => {
      requireThing(params.thingName);
      return hubs.behaviour(params.thingName);
    }),
    route("POST", `${CONTROL_PREFIX}things/:thingName/hub`, ({ req, params }) =>
      setHubBehaviour(params.thingName, req),
    ),
    route("POST", `${CONTROL_PREFIX}rule-destination`, ({ req }) => configureRule(req)),
    route("GET", `${CONTROL_PREFIX}rule-destination`, () => ruleView()),
    route("DELETE", `${CONTROL_PREFIX}rule-destination`, () => ({ ok: true, removed: rule.remove() })),
    route("POST", `${CONTROL_PREFIX}rule-destination/chaos`, async ({ req }) => ({
      chaos: rule.setChaos(await controlBody(req, ruleChaosSchema, "rule chaos")),
    })),
  ];

  const findRoute = createRouter([...registryRoutes, ...controlRoutes]);

  /** A request's route, or the error routing it gave (a malformed escape), to throw at its turn. */
  type Routed = ReturnType<typeof findRoute> | ApiError;

  function routeOf(method: string, path: string): Routed {
    try {
      return findRoute(method, path);
    } catch (error) {
      if (error instanceof ApiError) return error;
      throw error;
    }
  }

  /** Answers 200 with the route's body; no route is 404 UnknownOperationException with `unknownMessage`. */
  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    found: Routed,
    query: URLSearchParams,
    unknownMessage: string,
  ): Promise<void> {
    if (found instanceof ApiError) throw found;
    if (found === undefined) throw new ApiError(404, "UnknownOperationException", unknownMessage);
    send(res, 200, await found.route.handle({ req, params: found.params, query }));
  }

  /** The AWS API's answer: the fault, if one applies, then the SigV4 check, then the route. */
  async function answerApi(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    found: Routed,
  ) {
    const operation = found instanceof ApiError ? undefined : found?.route.operation;
    const dataPlane = operation?.signingNames === IOT_DATA;
    const active = takeFault(operation?.name);
    switch (active.mode) {
      case "hang":
        return; // Never answer; close() destroys the socket.
      case "slow":
        await delay(active.delayMs ?? 1000);
        break;
      case "unavailable":
        if (active.delayMs) await delay(active.delayMs);
        throw new ApiError(503, "ServiceUnavailableException", "Service Unavailable (emulated fault)");
      case "throttle":
        if (active.delayMs) await delay(active.delayMs);
        // The data plane's ThrottlingException is 429; the control plane's is 400.
        throw new ApiError(dataPlane ? 429 : 400, "ThrottlingException", "Rate exceeded (emulated fault)");
      case "none":
        break;
    }
    if (closing || res.destroyed) return;

    // Only the shape of the SigV4 header is checked. The signature is not verified: the emulator has no
    // secret store to recompute it with, so any credentials are accepted. The signing name must be one the
    // operation's service uses (any of them for an unknown route); an operation without signing names is
    // also reachable unsigned.
    const authorization = req.headers.authorization;
    const signingName =
      authorization === undefined ? undefined : SIGV4_AUTHORIZATION.exec(authorization)?.[1];
    const accepted = operation?.signingNames ?? [...IOT, ...IOT_DATA];
    const unsignedAllowed = operation !== undefined && operation.signingNames.length === 0;
    if (!unsignedAllowed && (signingName === undefined || !accepted.includes(signingName))) {
      throw new ApiError(
        401,
        "UnauthorizedException",
        authorization === undefined ? "Missing Authentication Token" : "Malformed SigV4 authorization header",
      );
    }
    await answer(
      req,
      res,
      found,
      query,
      `The IoT registry emulator does not implement ${req.method ?? ""} ${path}.`,
    );
  }

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    const started = performance.now();
    res.setHeader("x-amzn-RequestId", requestId);
    res.setHeader("content-type", "application/json");
    const raw = req.url ?? "/";
    const queryAt = raw.indexOf("?");
    const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? "" : raw.slice(queryAt + 1));
    res.on("finish", () => {
      logger?.debug(
        {
          requestId,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
    });

    const isControl = path.startsWith(CONTROL_PREFIX);
    if (!isControl) {
      counts.received++;
      counts.inFlight++;
      res.once("close", () => counts.inFlight--);
    }
    const found = routeOf(req.method ?? "", path);
    const operation = found instanceof ApiError ? undefined : found?.route.operation?.name;
    if (!isControl && operation !== undefined) byOperation[operation] = (byOperation[operation] ?? 0) + 1;
    // The Device Shadow REST API's errors also carry the status as `code` in the body.
    const dataPlane =
      !(found instanceof ApiError) && found !== undefined && found.route.operation?.signingNames === IOT_DATA;
    const answered = isControl
      ? answer(req, res, found, query, `No emulator control at ${req.method} ${path}.`)
      : answerApi(req, res, path, query, found);
    answered.catch((error: unknown) => {
      if (error instanceof ApiError) {
        sendError(res, dataPlane ? withCode(error) : error);
        return;
      }
      logger?.error({ requestId, err: error }, "unexpected error");
      const failure = new ApiError(500, "InternalFailureException", "An unexpected error has occurred.");
      sendError(res, dataPlane ? withCode(failure) : failure);
    });
  });

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  return {
    faults,
    requests: countsNow,
    rule,
    hubs,
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          const address = server.address() as AddressInfo;
          baseUrl = `http://${urlHost(host)}:${address.port}`;
          // Configured once listening: the confirmation's enableUrl points back at this server.
          try {
            if (options.ruleDestination !== undefined) rule.configure(options.ruleDestination);
          } catch (error) {
            reject(error);
            return;
          }
          resolve({ url: baseUrl, port: address.port });
        });
      });
    },
    async close() {
      closing = true;
      hubs.close();
      rule.close();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => {
          // Closing a server that is not listening is fine.
          if (error && (error as NodeJS.ErrnoException).code !== "ERR_SERVER_NOT_RUNNING") reject(error);
          else resolve();
        });
      });
      for (const socket of sockets) socket.destroy();
      await closed;
      await store.flush();
    },
  };
}
