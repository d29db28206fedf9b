import type { ServerResponse } from "node:http";
import {
  type AppError,
  ConflictError,
  conflictReasons,
  errorKinds,
  RateLimitedError,
  UnavailableError,
  ValidationError,
} from "@hub/shared";
import { z } from "zod";

/**
 * The REST error body: the union of the seed's and the contract's error shapes, plus, on a 409,
 * the machine-readable `reason` (e.g. CLAIMED_ELSEWHERE, SITE_HAS_PRIMARY).
 */
export const errorBodySchema = z.object({
  success: z.literal(false),
  error: z.string(),
  message: z.string(),
  code: z.number(),
  details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  reason: z.enum(conflictReasons).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(payload);
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  extra: Partial<ErrorBody> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { success: false, error, message, code: status, ...extra } satisfies ErrorBody,
    headers,
  );
}

/** An expected failure as REST answers it: status, error body and headers (Retry-After, …). */
export function appErrorResponse(appError: AppError): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  const { httpStatus, title } = errorKinds[appError.kind];
  const headers: Record<string, string> = {};
  if (appError instanceof UnavailableError || appError instanceof RateLimitedError) {
    headers["retry-after"] = String(appError.retryAfterSeconds);
  }
  if (appError.kind === "UNAUTHENTICATED") headers["www-authenticate"] = 'Bearer realm="hub-api"';
  const extra: Partial<ErrorBody> =
    appError instanceof ValidationError
      ? { details: [...appError.details] }
      : appError instanceof ConflictError && appError.reason
        ? { reason: appError.reason }
        : {};
  const body = {
    success: false,
    error: title,
    message: appError.message,
    code: httpStatus,
    ...extra,
  } as const;
  return { status: httpStatus, body, headers };
}

export function sendAppError(res: ServerResponse, appError: AppError): void {
  const { status, body, headers } = appErrorResponse(appError);
  sendJson(res, status, body, headers);
}

/** The body of an unexpected failure: nothing of its cause. */
export const internalErrorBody: ErrorBody = {
  success: false,
  error: "Internal Server Error",
  message: "An unexpected error occurred. Please retry later",
  code: 500,
};

export function sendInternalError(res: ServerResponse): void {
  sendJson(res, 500, internalErrorBody);
}
