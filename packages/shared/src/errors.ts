/**
 * The closed set of application errors (Emmett's EmmettError family). Each kind maps once to an
 * HTTP status, a tRPC code and a GraphQL result/extension code; nothing else decides those mappings.
 */
export type FieldIssue = { readonly field: string; readonly message: string };

export const errorKinds = {
  VALIDATION: { httpStatus: 400, trpcCode: "BAD_REQUEST", title: "Bad Request" },
  UNAUTHENTICATED: { httpStatus: 401, trpcCode: "UNAUTHORIZED", title: "Unauthorized" },
  FORBIDDEN: { httpStatus: 403, trpcCode: "FORBIDDEN", title: "Forbidden" },
  NOT_FOUND: { httpStatus: 404, trpcCode: "NOT_FOUND", title: "Not Found" },
  CONFLICT: { httpStatus: 409, trpcCode: "CONFLICT", title: "Conflict" },
  THING_NOT_FOUND: { httpStatus: 422, trpcCode: "UNPROCESSABLE_CONTENT", title: "Unprocessable Entity" },
  RATE_LIMITED: { httpStatus: 429, trpcCode: "TOO_MANY_REQUESTS", title: "Too Many Requests" },
  HUB_OFFLINE: { httpStatus: 502, trpcCode: "BAD_GATEWAY", title: "Bad Gateway" },
  SHADOW_UPDATE_FAILED: { httpStatus: 502, trpcCode: "BAD_GATEWAY", title: "Bad Gateway" },
  UNAVAILABLE: { httpStatus: 503, trpcCode: "SERVICE_UNAVAILABLE", title: "Service Unavailable" },
} as const;

export type ErrorKind = keyof typeof errorKinds;

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;
  get httpStatus(): number {
    return errorKinds[this.kind].httpStatus;
  }
}

export class ValidationError extends AppError {
  readonly kind = "VALIDATION" as const;
  constructor(
    message: string,
    readonly details: readonly FieldIssue[] = [],
  ) {
    super(message);
    this.name = "ValidationError";
  }
}

export class UnauthenticatedError extends AppError {
  readonly kind = "UNAUTHENTICATED" as const;
  constructor(message = "Authentication required. Please provide a valid API token") {
    super(message);
    this.name = "UnauthenticatedError";
  }
}

export class ForbiddenError extends AppError {
  readonly kind = "FORBIDDEN" as const;
  constructor(message = "You are not allowed to perform this operation") {
    super(message);
    this.name = "ForbiddenError";
  }
}

export class NotFoundError extends AppError {
  readonly kind = "NOT_FOUND" as const;
  constructor(message = "Not found") {
    super(message);
    this.name = "NotFoundError";
  }
}

/**
 * Why a command contradicts the hub's state, for machines (the message says it for people).
 * DIFFERENT_PAYLOAD: provisioned before with other values; FIELD_TAKEN: the field's value belongs
 * to another hub; CLAIMED_ELSEWHERE: claimed into another organization or site; NOT_CLAIMED;
 * SUSPENDED; DECOMMISSIONED; SITE_HAS_PRIMARY: another hub is its site's primary;
 * COMMAND_ID_REUSED: a hub command's `commandId` was used before with another payload or hub.
 */
export const conflictReasons = [
  "DIFFERENT_PAYLOAD",
  "FIELD_TAKEN",
  "CLAIMED_ELSEWHERE",
  "NOT_CLAIMED",
  "SUSPENDED",
  "DECOMMISSIONED",
  "SITE_HAS_PRIMARY",
  "COMMAND_ID_REUSED",
  "HUB_ACTIVE",
] as const;
export type ConflictReason = (typeof conflictReasons)[number];

/** A business conflict; `field` names the input field that collides when there is one. */
export class ConflictError extends AppError {
  readonly kind = "CONFLICT" as const;
  constructor(
    message: string,
    readonly field?: string,
    readonly reason?: ConflictReason,
  ) {
    super(message);
    this.name = "ConflictError";
  }
}

/** A lifecycle command that needs the hub online (ClaimHub, ReClaimHub, SetHubRole) met it offline. */
export class HubOfflineError extends AppError {
  readonly kind = "HUB_OFFLINE" as const;
  constructor(readonly hubId: string) {
    super(`Hub ${hubId} is offline: it must be connected to the network for this command`);
    this.name = "HubOfflineError";
  }
}

/**
 * The hub's Device Shadow refused the command or could not be reached (the contract's 502 "shadow
 * update failed"); nothing was recorded as sent. A throttled or breaker-open data plane is an
 * UnavailableError (503 with Retry-After) instead.
 */
export class ShadowUpdateError extends AppError {
  readonly kind = "SHADOW_UPDATE_FAILED" as const;
  constructor(
    readonly hubId: string,
    detail: string,
  ) {
    super(`Shadow update failed for hub ${hubId}: ${detail}`);
    this.name = "ShadowUpdateError";
  }
}

/** The AWS IoT Thing the command refers to does not exist in the registry. */
export class ThingNotFoundError extends AppError {
  readonly kind = "THING_NOT_FOUND" as const;
  constructor(readonly thingName: string) {
    super(`AWS IoT Thing '${thingName}' does not exist`);
    this.name = "ThingNotFoundError";
  }
}

export class RateLimitedError extends AppError {
  readonly kind = "RATE_LIMITED" as const;
  constructor(readonly retryAfterSeconds: number) {
    super("Too many requests. Please retry later");
    this.name = "RateLimitedError";
  }
}

/** A dependency (IoT registry, database) cannot answer now; the caller may retry later. */
export class UnavailableError extends AppError {
  readonly kind = "UNAVAILABLE" as const;
  constructor(
    message = "A dependency is temporarily unavailable. Please retry later",
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
    this.name = "UnavailableError";
  }
}

/** Serializable form of an AppError, as it travels between services (tRPC error data). */
export type AppErrorData = {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly details?: readonly FieldIssue[];
  readonly field?: string;
  readonly reason?: ConflictReason;
  readonly hubId?: string;
  readonly thingName?: string;
  readonly retryAfterSeconds?: number;
};

export function toAppErrorData(error: AppError): AppErrorData {
  const base = { kind: error.kind, message: error.message };
  if (error instanceof ValidationError) return { ...base, details: error.details };
  if (error instanceof ConflictError) {
    return {
      ...base,
      ...(error.field !== undefined ? { field: error.field } : {}),
      ...(error.reason !== undefined ? { reason: error.reason } : {}),
    };
  }
  if (error instanceof HubOfflineError || error instanceof ShadowUpdateError)
    return { ...base, hubId: error.hubId };
  if (error instanceof ThingNotFoundError) return { ...base, thingName: error.thingName };
  if (error instanceof UnavailableError || error instanceof RateLimitedError) {
    return { ...base, retryAfterSeconds: error.retryAfterSeconds };
  }
  return base;
}

export function fromAppErrorData(data: AppErrorData): AppError {
  switch (data.kind) {
    case "VALIDATION":
      return new ValidationError(data.message, data.details ?? []);
    case "UNAUTHENTICATED":
      return new UnauthenticatedError(data.message);
    case "FORBIDDEN":
      return new ForbiddenError(data.message);
    case "NOT_FOUND":
      return new NotFoundError(data.message);
    case "CONFLICT":
      return new ConflictError(data.message, data.field, data.reason);
    case "HUB_OFFLINE":
      return new HubOfflineError(data.hubId ?? "");
    case "SHADOW_UPDATE_FAILED": {
      const shadow = new ShadowUpdateError(data.hubId ?? "", "");
      shadow.message = data.message;
      return shadow;
    }
    case "THING_NOT_FOUND":
      return new ThingNotFoundError(data.thingName ?? "");
    case "RATE_LIMITED":
      return new RateLimitedError(data.retryAfterSeconds ?? 1);
    case "UNAVAILABLE":
      return new UnavailableError(data.message, data.retryAfterSeconds ?? 1);
    default: {
      const unreachable: never = data.kind;
      throw new Error(`unknown error kind ${String(unreachable)}`);
    }
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
