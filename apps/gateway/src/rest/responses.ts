import type { ServerResponse } from "node:http";
import { type AppError, errorKinds, RateLimitedError, UnavailableError, ValidationError } from "@hub/shared";

/** The REST error body: the union of the seed's and the contract's error shapes. */
export type ErrorBody = {
  success: false;
  error: string;
  message: string;
  code: number;
  details?: { field: string; message: string }[];
};

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

export function sendAppError(res: ServerResponse, appError: AppError): void {
  const { httpStatus, title } = errorKinds[appError.kind];
  const headers: Record<string, string> = {};
  if (appError instanceof UnavailableError || appError instanceof RateLimitedError) {
    headers["retry-after"] = String(appError.retryAfterSeconds);
  }
  if (appError.kind === "UNAUTHENTICATED") headers["www-authenticate"] = 'Bearer realm="hub-api"';
  const extra = appError instanceof ValidationError ? { details: [...appError.details] } : {};
  sendError(res, httpStatus, title, appError.message, extra, headers);
}

export function sendInternalError(res: ServerResponse): void {
  sendError(res, 500, "Internal Server Error", "An unexpected error occurred. Please retry later");
}
