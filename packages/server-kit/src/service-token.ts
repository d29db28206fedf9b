import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";

export const SERVICE_TOKEN_AUDIENCE = "hub-service";
export const SERVICE_TOKEN_ISSUER = "hub-platform";

export type ServiceIdentity = { readonly id: string };

/** Mints the short-lived credential one backend service presents to hub-service. */
export function mintServiceToken(secret: string, serviceId: string, expiresInSeconds = 3600): string {
  return jwt.sign({}, secret, {
    algorithm: "HS256",
    audience: SERVICE_TOKEN_AUDIENCE,
    issuer: SERVICE_TOKEN_ISSUER,
    subject: serviceId,
    expiresIn: expiresInSeconds,
  });
}

const BEARER_TOKEN = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/;
const CLOCK_TOLERANCE_SECONDS = 5;

function verifyToken(token: string, key: string | KeyObject): { id: string; exp: number } | undefined {
  try {
    const claims = jwt.verify(token, key, {
      algorithms: ["HS256"],
      audience: SERVICE_TOKEN_AUDIENCE,
      issuer: SERVICE_TOKEN_ISSUER,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    if (typeof claims === "string" || typeof claims.sub !== "string" || claims.sub === "") return undefined;
    return { id: claims.sub, exp: typeof claims.exp === "number" ? claims.exp : Number.POSITIVE_INFINITY };
  } catch {
    // An invalid token is simply not a credential; the caller answers 401.
    return undefined;
  }
}

/** Verifies `Authorization: Bearer <service token>`; undefined when absent or invalid. */
export function verifyServiceToken(
  authorization: string | undefined,
  secret: string,
): ServiceIdentity | undefined {
  const token = BEARER_TOKEN.exec(authorization ?? "")?.[1];
  if (!token) return undefined;
  const verified = verifyToken(token, secret);
  return verified ? { id: verified.id } : undefined;
}

export type ServiceTokenVerifier = (authorization: string | undefined) => ServiceIdentity | undefined;

/**
 * `verifyServiceToken` for a server: a caller presents the same token on every request until it
 * renews it, so a token whose signature was verified once is remembered until its `exp` (with
 * the same clock tolerance). Only valid tokens are remembered, and at most `maxEntries`. The
 * secret is turned into a key once: jsonwebtoken given a string first tries it as a PEM public
 * key, and that failed parse cost more than the HMAC itself.
 */
export function createServiceTokenVerifier(
  secret: string,
  options: { readonly maxEntries?: number; readonly now?: () => number } = {},
): ServiceTokenVerifier {
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  const maxEntries = options.maxEntries ?? 1000;
  const now = options.now ?? Date.now;
  const verified = new Map<string, { identity: ServiceIdentity; validUntilMs: number }>();
  return (authorization) => {
    const token = BEARER_TOKEN.exec(authorization ?? "")?.[1];
    if (!token) return undefined;
    const known = verified.get(token);
    if (known) {
      if (now() < known.validUntilMs) return known.identity;
      verified.delete(token);
    }
    const result = verifyToken(token, key);
    if (!result) return undefined;
    const identity = { id: result.id };
    // Few services call hub-service, each with one live token: a full cache is stale entries.
    if (verified.size >= maxEntries) verified.clear();
    verified.set(token, { identity, validUntilMs: (result.exp + CLOCK_TOLERANCE_SECONDS) * 1000 });
    return identity;
  };
}

/** A service token that renews itself well before it expires. */
export function createServiceTokenSource(
  secret: string,
  serviceId: string,
  lifetimeSeconds = 3600,
): () => string {
  let token = "";
  let renewAt = 0;
  return () => {
    const now = Date.now();
    if (now >= renewAt) {
      token = mintServiceToken(secret, serviceId, lifetimeSeconds);
      renewAt = now + (lifetimeSeconds * 1000) / 2;
    }
    return token;
  };
}
