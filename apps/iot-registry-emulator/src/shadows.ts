import { ApiError } from "./api-error.ts";

/**
 * Device Shadow documents, kept in memory per Thing, with the semantics of the AWS IoT Device Shadow
 * service's REST API: classic and named shadows, versions, deep merge with `null` removing a key,
 * per-leaf metadata, delta, and the service's limits.
 *
 * Errors are ApiErrors in the data plane's wire shape: `{"code": <status>, "message"}` (the REST shadow
 * API puts the HTTP status in `code`; the SDK takes the error's class from the `x-amzn-ErrorType` header).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Per-leaf metadata: the same tree as the state, with `{timestamp}` (epoch seconds) at each leaf. */
export type Metadata = { [key: string]: Metadata | { timestamp: number } };

export interface ShadowState {
  desired?: JsonObject;
  reported?: JsonObject;
}

interface Shadow {
  state: ShadowState;
  metadata: { desired?: Metadata; reported?: Metadata };
  version: number;
  /** Epoch seconds of the last update. */
  timestamp: number;
}

/** One side of an `/update/documents` message. */
export interface ShadowSnapshot {
  state: ShadowState;
  metadata: { desired?: Metadata; reported?: Metadata };
  version: number;
}

/** The `/update/documents` document AWS publishes for every accepted update. */
export interface UpdateDocument {
  previous?: ShadowSnapshot;
  current: ShadowSnapshot;
  timestamp: number;
  clientToken?: string;
}

export interface UpdateOutcome {
  /** The update's `/update/accepted` document: the response body of UpdateThingShadow. */
  accepted: JsonObject;
  documents: UpdateDocument;
  /** The shadow's state after the update. */
  state: ShadowState;
}

/** The classic (unnamed) shadow's key. */
export const CLASSIC = "";

const SHADOW_NAME = /^[$a-zA-Z0-9:_-]{1,64}$/;
/** AWS: "Maximum size of a JSON state document: 8 KB" (desired plus reported, metadata excluded). */
const MAX_STATE_BYTES = 8 * 1024;
/** AWS: "Maximum number of levels in the desired or reported section of the JSON device state document: 6". */
const MAX_DEPTH = 6;
const MAX_CLIENT_TOKEN_BYTES = 64;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

const shadowError = (status: number, type: string, message: string) =>
  new ApiError(status, type, message, { code: status });
export const shadowInvalid = (message: string) => shadowError(400, "InvalidRequestException", message);

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function depth(value: Json): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depth));
  if (isObject(value)) return 1 + Math.max(0, ...Object.values(value).map(depth));
  return 0;
}

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(sortLike(a, b));
}

/** `b` with its object keys in `a`'s order, so JSON.stringify compares values, not key order. */
function sortLike(a: Json | undefined, b: Json | undefined): Json | undefined {
  if (!isObject(a) || !isObject(b)) return b;
  const keys = [...Object.keys(a), ...Object.keys(b).filter((key) => !(key in a))];
  return Object.fromEntries(
    keys.filter((key) => key in b).map((key) => [key, sortLike(a[key], b[key]) ?? null]),
  );
}

/**
 * Merges `patch` into `target` (both mutated in place with metadata): objects merge key by key, a `null`
 * removes the key, anything else (arrays included) replaces it; objects left empty are pruned.
 */
function merge(target: JsonObject, meta: Metadata, patch: JsonObject, now: number): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
      delete meta[key];
    } else if (isObject(value)) {
      const child = isObject(target[key]) ? target[key] : {};
      const existingMeta = meta[key];
      const childMeta: Metadata =
        existingMeta !== undefined &&
        !("timestamp" in existingMeta && typeof existingMeta.timestamp === "number")
          ? (existingMeta as Metadata)
          : {};
      merge(child, childMeta, value, now);
      if (Object.keys(child).length === 0) {
        delete target[key];
        delete meta[key];
      } else {
        target[key] = child;
        meta[key] = childMeta;
      }
    } else {
      target[key] = value;
      meta[key] = { timestamp: now };
    }
  }
}

/** Metadata for every leaf of a sent state section (a `null` included), as the accepted document shows it. */
function leafMetadata(section: Json, now: number): Metadata | { timestamp: number } {
  if (!isObject(section)) return { timestamp: now };
  return Object.fromEntries(Object.entries(section).map(([key, value]) => [key, leafMetadata(value, now)]));
}

/** Desired leaves that differ from reported; undefined when they agree. */
function delta(desired: JsonObject, reported: JsonObject | undefined): JsonObject | undefined {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(desired)) {
    const other = reported?.[key];
    if (isObject(value) && isObject(other)) {
      const inner = delta(value, other);
      if (inner !== undefined) out[key] = inner;
    } else if (!deepEqual(value, other)) {
      out[key] = value;
    }
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function snapshot(shadow: Shadow): ShadowSnapshot {
  return structuredClone({ state: shadow.state, metadata: shadow.metadata, version: shadow.version });
}

export function validateShadowName(name: string | null): string {
  if (name === null || name === "") return CLASSIC;
  if (!SHADOW_NAME.test(name)) {
    throw shadowInvalid(
      `1 validation error detected: Value '${name}' at 'shadowName' failed to satisfy constraint: ` +
        "Member must satisfy regular expression pattern: [$a-zA-Z0-9:_-]+ and have length between 1 and 64",
    );
  }
  return name;
}

const missingShadow = (shadowName: string) =>
  shadowError(404, "ResourceNotFoundException", `No shadow exists with name: '${shadowName}'`);

interface ParsedUpdate {
  state: { desired?: JsonObject | null; reported?: JsonObject | null };
  version?: number;
  clientToken?: string;
}

/** Parses and checks an UpdateThingShadow body against the service's rules (not yet against the stored state). */
function parseUpdate(body: string): ParsedUpdate {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw shadowInvalid("Payload contains invalid json");
  }
  if (!isObject(json)) throw shadowInvalid("Payload must be a JSON object");
  for (const key of Object.keys(json)) {
    if (key !== "state" && key !== "version" && key !== "clientToken") {
      throw shadowInvalid(`Invalid field in the update document: ${key}`);
    }
  }
  const { state, version, clientToken } = json;
  if (!isObject(state)) throw shadowInvalid("Missing required node: state");
  for (const key of Object.keys(state)) {
    if (key !== "desired" && key !== "reported") {
      throw shadowInvalid(`State contains an invalid node: '${key}'`);
    }
  }
  const parsed: ParsedUpdate = { state: {} };
  for (const section of ["desired", "reported"] as const) {
    const value = state[section];
    if (value === undefined) continue;
    if (value !== null && !isObject(value)) throw shadowInvalid(`${section} node must be an object`);
    if (value !== null && depth(value) > MAX_DEPTH) {
      throw shadowInvalid(`JSON contains too many levels of nesting; maximum is ${MAX_DEPTH}`);
    }
    parsed.state[section] = value;
  }
  if (version !== undefined) {
    if (typeof version !== "number" || !Number.isInteger(version) || version < 0) {
      throw shadowInvalid("Invalid version");
    }
    parsed.version = version;
  }
  if (clientToken !== undefined) {
    if (typeof clientToken !== "string") throw shadowInvalid("clientToken must be a string");
    if (Buffer.byteLength(clientToken, "utf8") > MAX_CLIENT_TOKEN_BYTES) {
      throw shadowInvalid(`clientToken must be at most ${MAX_CLIENT_TOKEN_BYTES} bytes`);
    }
    parsed.clientToken = clientToken;
  }
  return parsed;
}

export class ShadowStore {
  /** thingName -> shadowName (CLASSIC for the classic shadow) -> shadow. */
  private readonly things = new Map<string, Map<string, Shadow>>();
  /**
   * The version a deleted shadow had: AWS continues the numbering when the shadow is created again
   * (its version is not reset by DeleteThingShadow).
   */
  private readonly deletedVersions = new Map<string, number>();

  constructor(private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {}

  /** The current state of a shadow, or undefined when it does not exist. */
  state(thingName: string, shadowName: string): ShadowState | undefined {
    const shadow = this.things.get(thingName)?.get(shadowName);
    return shadow === undefined ? undefined : structuredClone(shadow.state);
  }

  /** GetThingShadow's document: state with delta, metadata, version, timestamp. */
  get(thingName: string, shadowName: string): JsonObject {
    const shadow = this.things.get(thingName)?.get(shadowName);
    if (shadow === undefined) throw missingShadow(shadowName);
    const { desired, reported } = shadow.state;
    const diff = desired === undefined ? undefined : delta(desired, reported);
    return structuredClone({
      state: {
        ...(desired === undefined ? {} : { desired }),
        ...(reported === undefined ? {} : { reported }),
        ...(diff === undefined ? {} : { delta: diff }),
      },
      metadata: shadow.metadata as JsonObject,
      version: shadow.version,
      timestamp: this.nowSeconds(),
    });
  }

  /** UpdateThingShadow: creates the shadow if needed. The caller has checked that the Thing exists. */
  update(thingName: string, shadowName: string, body: string): UpdateOutcome {
    const update = parseUpdate(body);
    const shadows = this.things.get(thingName) ?? new Map<string, Shadow>();
    const existing = shadows.get(shadowName);
    const key = `${thingName}\n${shadowName}`;
    const currentVersion = existing?.version ?? this.deletedVersions.get(key) ?? 0;
    if (update.version !== undefined && update.version !== currentVersion) {
      throw shadowError(409, "ConflictException", "Version conflict");
    }
    const now = this.nowSeconds();
    const next: Shadow = existing
      ? structuredClone(existing)
      : { state: {}, metadata: {}, version: currentVersion, timestamp: now };
    for (const section of ["desired", "reported"] as const) {
      const patch = update.state[section];
      if (patch === undefined) continue;
      if (patch === null) {
        delete next.state[section];
        delete next.metadata[section];
        continue;
      }
      const target = next.state[section] ?? {};
      const meta = next.metadata[section] ?? {};
      merge(target, meta, patch, now);
      if (Object.keys(target).length === 0) {
        delete next.state[section];
        delete next.metadata[section];
      } else {
        next.state[section] = target;
        next.metadata[section] = meta;
      }
    }
    if (Buffer.byteLength(JSON.stringify(next.state), "utf8") > MAX_STATE_BYTES) {
      throw shadowError(
        413,
        "RequestEntityTooLargeException",
        `The shadow state document exceeds the maximum size of ${MAX_STATE_BYTES} bytes`,
      );
    }
    next.version = currentVersion + 1;
    next.timestamp = now;
    shadows.set(shadowName, next);
    this.things.set(thingName, shadows);
    this.deletedVersions.delete(key);

    const sentMetadata: JsonObject = {};
    for (const section of ["desired", "reported"] as const) {
      const sent = update.state[section];
      if (sent !== undefined) sentMetadata[section] = leafMetadata(sent, now) as JsonObject;
    }
    const clientToken = update.clientToken === undefined ? {} : { clientToken: update.clientToken };
    return {
      accepted: structuredClone({
        state: update.state as JsonObject,
        metadata: sentMetadata,
        version: next.version,
        timestamp: now,
        ...clientToken,
      }),
      documents: {
        ...(existing === undefined ? {} : { previous: snapshot(existing) }),
        current: snapshot(next),
        timestamp: now,
        ...clientToken,
      },
      state: structuredClone(next.state),
    };
  }

  /** DeleteThingShadow: `{version, timestamp}`; a later update continues the version numbering. */
  delete(thingName: string, shadowName: string): JsonObject {
    const shadows = this.things.get(thingName);
    const existing = shadows?.get(shadowName);
    if (shadows === undefined || existing === undefined) throw missingShadow(shadowName);
    shadows.delete(shadowName);
    if (shadows.size === 0) this.things.delete(thingName);
    this.deletedVersions.set(`${thingName}\n${shadowName}`, existing.version);
    return { version: existing.version, timestamp: this.nowSeconds() };
  }

  /** ListNamedShadowsForThing: named shadows only, sorted, paged with an opaque token. */
  listNamed(thingName: string, nextToken: string | null, pageSize: number | undefined): JsonObject {
    const size = pageSize ?? DEFAULT_PAGE_SIZE;
    if (size < 1 || size > MAX_PAGE_SIZE) {
      throw shadowInvalid(`pageSize must be between 1 and ${MAX_PAGE_SIZE}`);
    }
    let after: string | undefined;
    if (nextToken !== null && nextToken !== "") {
      after = Buffer.from(nextToken, "base64url").toString("utf8");
      if (!after.startsWith("shadow:")) throw shadowInvalid("The specified nextToken is not valid.");
      after = after.slice("shadow:".length);
    }
    const names = [...(this.things.get(thingName)?.keys() ?? [])]
      .filter((name) => name !== CLASSIC && (after === undefined || name > after))
      .sort();
    const page = names.slice(0, size);
    const last = page.at(-1);
    return {
      results: page,
      ...(names.length > size && last !== undefined
        ? { nextToken: Buffer.from(`shadow:${last}`, "utf8").toString("base64url") }
        : {}),
      timestamp: this.nowSeconds(),
    };
  }

  /** Drops every shadow of a deleted Thing (a Thing created again with that name starts afresh). */
  deleteThing(thingName: string): void {
    this.things.delete(thingName);
    for (const key of this.deletedVersions.keys()) {
      if (key.startsWith(`${thingName}\n`)) this.deletedVersions.delete(key);
    }
  }
}
