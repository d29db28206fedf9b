import type { IncomingMessage } from "node:http";

/** The credentials a REST request carries: `Authorization` (a JWT) and `x-api-key`. */
export function credentialsOf(req: IncomingMessage): { authorization?: string; apiKey?: string } {
  const authorization = req.headers.authorization;
  const apiKey = req.headers["x-api-key"];
  return {
    ...(authorization !== undefined ? { authorization } : {}),
    ...(typeof apiKey === "string" ? { apiKey } : {}),
  };
}
