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

/** Verifies `Authorization: Bearer <service token>`; undefined when absent or invalid. */
export function verifyServiceToken(
  authorization: string | undefined,
  secret: string,
): ServiceIdentity | undefined {
  const match = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  try {
    const claims = jwt.verify(match[1], secret, {
      algorithms: ["HS256"],
      audience: SERVICE_TOKEN_AUDIENCE,
      issuer: SERVICE_TOKEN_ISSUER,
      clockTolerance: 5,
    });
    if (typeof claims === "string" || typeof claims.sub !== "string" || claims.sub === "") return undefined;
    return { id: claims.sub };
  } catch {
    // An invalid token is simply not a credential; the caller answers 401.
    return undefined;
  }
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
