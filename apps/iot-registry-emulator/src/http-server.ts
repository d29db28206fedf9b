import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { z } from "zod";
import { ApiError, invalid } from "./api-error.ts";
import type { RegistryStore, Thing } from "./registry.ts";
import { createRouter, route } from "./router.ts";

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
}

/** API requests (not `/__emulator/*`) seen since start, and those not yet answered or closed. */
export interface RequestCounts {
  readonly received: number;
  readonly inFlight: number;
}

export interface RegistryServer {
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening and destroys open sockets, including requests held by the "hang" fault. */
  close(): Promise<void>;
  readonly faults: FaultControl;
  /** Lets a test wait for "a request is being held" instead of sleeping. */
  requests(): RequestCounts;
}

export const connectivitySpecSchema = z.strictObject({
  connected: z.boolean(),
  disconnectReason: z.string().min(1).max(128).optional(),
});

export const faultSpecSchema = z.strictObject({
  mode: z.enum(["none", "unavailable", "throttle", "hang", "slow"]),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  times: z.number().int().positive().optional(),
});

const THING_NAME = /^[a-zA-Z0-9:_-]+$/;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#=[\]-]+$/;
/** `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/iot/aws4_request, SignedHeaders=…, Signature=…` */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/[a-z0-9-]+\/iot\/aws4_request, ?SignedHeaders=[a-z0-9;_.-]+, ?Signature=[0-9a-f]{64}$/;
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

  /** Returns the fault that applies to this API request and counts it against `times`. */
  function takeFault(): FaultSpec {
    const active = fault;
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

  function sendError(res: ServerResponse, error: ApiError): void {
    res.setHeader("x-amzn-ErrorType", error.type);
    send(res, error.status, { ...error.extra, message: error.message });
  }

  function thingArn(name: string): string {
    return `arn:aws:iot:${region}:${accountId}:thing/${name}`;
  }

  function describeThing(name: string): unknown {
    validateThingName(name);
    const thing = store.get(name);
    if (thing === undefined) throw notFound(name);
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

  /** Control: the device of Thing `name` connects or drops off, as GetThingConnectivityData then reports. */
  async function setConnectivity(name: string, req: IncomingMessage): Promise<unknown> {
    validateThingName(name);
    const spec = await controlBody(req, connectivitySpecSchema, "connectivity");
    const changed = await store.setConnectivity(name, {
      connected: spec.connected,
      timestamp: Date.now(),
      ...(spec.connected ? {} : { disconnectReason: spec.disconnectReason ?? "CLIENT_INITIATED_DISCONNECT" }),
    });
    if (!changed) throw notFound(name);
    return connectivityData(name);
  }

  /** Control: the fault the registry API emulates from now on. */
  async function setFault(req: IncomingMessage): Promise<unknown> {
    const { mode, delayMs, times } = await controlBody(req, faultSpecSchema, "fault");
    faults.setFault({
      mode,
      ...(delayMs === undefined ? {} : { delayMs }),
      ...(times === undefined ? {} : { times }),
    });
    return { ok: true, fault: faults.current() };
  }

  /** The registry API, as `@aws-sdk/client-iot` calls it: behind the faults and the SigV4 check. */
  const registryRoutes = [
    route("GET", "/things", ({ query }) => listThings(query)),
    route("GET", "/things/:thingName", ({ params }) => describeThing(params.thingName)),
    route("POST", "/things/:thingName", async ({ req, params }) =>
      createThing(params.thingName, await readBody(req)),
    ),
    route("DELETE", "/things/:thingName", ({ params, query }) => deleteThing(params.thingName, query)),
    route("POST", "/things/:thingName/connectivity-data", ({ params }) => connectivityData(params.thingName)),
  ];

  /** The control API, for tests and the CLI: no faults, no SigV4, not counted in `requests()`. */
  const controlRoutes = [
    route("GET", `${CONTROL_PREFIX}health`, () => ({ ok: true })),
    route("GET", `${CONTROL_PREFIX}requests`, () => ({ ...counts })),
    route("POST", `${CONTROL_PREFIX}things/:thingName/connectivity`, ({ req, params }) =>
      setConnectivity(params.thingName, req),
    ),
    route("POST", `${CONTROL_PREFIX}fault`, ({ req }) => setFault(req)),
  ];

  const findRoute = createRouter([...registryRoutes, ...controlRoutes]);

  /** Answers 200 with the route's body; no route is 404 UnknownOperationException with `unknownMessage`. */
  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    unknownMessage: string,
  ): Promise<void> {
    const found = findRoute(req.method ?? "", path);
    if (found === undefined) throw new ApiError(404, "UnknownOperationException", unknownMessage);
    send(res, 200, await found.handle({ req, params: found.params, query }));
  }

  /** The registry API's answer: the fault, if one is set, then the SigV4 check, then the route. */
  async function answerApi(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) {
    const active = takeFault();
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
        throw new ApiError(400, "ThrottlingException", "Rate exceeded (emulated fault)");
      case "none":
        break;
    }
    if (closing || res.destroyed) return;

    // Only the shape of the SigV4 header is checked. The signature is not verified: the emulator has no
    // secret store to recompute it with, so any credentials are accepted.
    const authorization = req.headers.authorization;
    if (authorization === undefined || !SIGV4_AUTHORIZATION.test(authorization)) {
      throw new ApiError(
        401,
        "UnauthorizedException",
        authorization === undefined ? "Missing Authentication Token" : "Malformed SigV4 authorization header",
      );
    }
    await answer(
      req,
      res,
      path,
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
    const answered = isControl
      ? answer(req, res, path, query, `No emulator control at ${req.method} ${path}.`)
      : answerApi(req, res, path, query);
    answered.catch((error: unknown) => {
      if (error instanceof ApiError) {
        sendError(res, error);
        return;
      }
      logger?.error({ requestId, err: error }, "unexpected error");
      sendError(res, new ApiError(500, "InternalFailureException", "An unexpected error has occurred."));
    });
  });

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  return {
    faults,
    requests: () => ({ ...counts }),
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          const address = server.address() as AddressInfo;
          resolve({ url: `http://${urlHost(host)}:${address.port}`, port: address.port });
        });
      });
    },
    async close() {
      closing = true;
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
