import type { IncomingMessage } from "node:http";

/**
 * The credentials a REST request carries: `Authorization` (a JWT) and `x-api-key` (or, where the
 * contract names it, `x-admin-api-key`: the hub deletion route's).
 */
export function credentialsOf(
  req: IncomingMessage,
  options: { adminApiKeyHeader?: boolean } = {},
): { authorization?: string; apiKey?: string } {
  const authorization = req.headers.authorization;
  const apiKey =
    req.headers["x-api-key"] ?? (options.adminApiKeyHeader ? req.headers["x-admin-api-key"] : undefined);
  return {
    ...(authorization !== undefined ? { authorization } : {}),
    ...(typeof apiKey === "string" ? { apiKey } : {}),
  };
}
