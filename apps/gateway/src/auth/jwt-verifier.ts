import { createHash, createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { type Permission, type Principal, permissionSchema, UnauthenticatedError } from "@hub/shared";
import jwt from "jsonwebtoken";

export const jwtAlgorithms = ["HS256", "RS256", "ES256"] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

/** A PEM (its `kid` is then its RFC 7638 JWK thumbprint) or a PEM with the `kid` the issuer uses. */
export type JwtPublicKey = string | { readonly kid: string; readonly pem: string };

export type JwtOptions = {
  /** The only algorithms accepted; the token's `alg` header picks among them and nothing else. */
  readonly algorithms: readonly JwtAlgorithm[];
  /** HS256 secret (at least 32 characters). */
  readonly secret?: string;
  /** The `kid` HS256 tokens carry, if the issuer sets one; without it an HS256 token with a kid is refused. */
  readonly secretKid?: string;
  /** RS256 (RSA ≥ 2048 bits) and ES256 (P-256) verification keys; several allow rotation. */
  readonly publicKeys?: readonly JwtPublicKey[];
  readonly issuer: string;
  readonly audience: string;
  /** Default 30. */
  readonly clockToleranceSeconds?: number;
  /** Default 8192; longer tokens are refused before any decoding. */
  readonly maxTokenLength?: number;
  /** Default 1000: verified tokens remembered (see createJwtVerifier); 0 turns that off. */
  readonly verifiedCacheSize?: number;
};

export const INVALID_TOKEN_MESSAGE = "Invalid or expired token";

type VerificationKey = {
  readonly alg: JwtAlgorithm;
  readonly kid: string | undefined;
  readonly key: KeyObject;
};

const MAX_ID_LENGTH = 256;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies a bearer JWT and maps its claims to a Principal. Key material is typed up front (HMAC
 * secret vs RSA vs EC public key) and a token can only ever meet keys of the algorithm it names,
 * which must be a configured one: algorithm confusion (RS→HS with the public PEM as HMAC secret,
 * `alg: none`) has no path. Throws on invalid configuration, so a bad setup stops the start.
 */
export function createJwtVerifier(options: JwtOptions): (token: string, nowMs: number) => Principal {
  const keys = loadKeys(options);
  const algorithms = new Set<string>(options.algorithms);
  const maxTokenLength = options.maxTokenLength ?? 8192;
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const cacheSize = options.verifiedCacheSize ?? 1000;
  // A caller sends the same token with every request until it expires. Its signature, issuer and
  // audience cannot change, so a token that passed every check is remembered; only the time
  // claims are checked again on each use, exactly as jsonwebtoken checks them. Failures are
  // never remembered. Bounded: a full cache starts over.
  const verified = new Map<string, { principal: Principal; exp: number; nbf: number | undefined }>();

  return (token, nowMs) => {
    if (token.length > maxTokenLength || !JWS_COMPACT.test(token)) throw invalidToken();
    const known = verified.get(token);
    if (known) {
      const nowSeconds = Math.floor(nowMs / 1000);
      const live = nowSeconds < known.exp + clockTolerance;
      const active = known.nbf === undefined || known.nbf <= nowSeconds + clockTolerance;
      // A copy: callers own the principal they get.
      if (live && active) return { ...known.principal, permissions: [...known.principal.permissions] };
    }
    const header = decodeHeader(token);
    if (!header || typeof header.alg !== "string" || !algorithms.has(header.alg)) throw invalidToken();
    // Extensions we do not understand must not be ignored (RFC 7515 §4.1.11).
    if (header.crit !== undefined) throw invalidToken();
    if (header.kid !== undefined && typeof header.kid !== "string") throw invalidToken();
    const candidates = keys.filter(
      (key) => key.alg === header.alg && (header.kid === undefined || key.kid === header.kid),
    );

    for (const candidate of candidates) {
      let claims: string | jwt.JwtPayload;
      try {
        claims = jwt.verify(token, candidate.key, {
          algorithms: [candidate.alg],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance,
          clockTimestamp: Math.floor(nowMs / 1000),
        });
      } catch (error) {
        // Only a signature mismatch means "try the next key"; expiry, issuer, audience are final.
        if (error instanceof jwt.JsonWebTokenError && error.message === "invalid signature") continue;
        throw invalidToken();
      }
      const principal = toPrincipal(claims);
      if (cacheSize > 0 && typeof claims !== "string" && typeof claims.exp === "number") {
        if (verified.size >= cacheSize) verified.clear();
        const nbf = typeof claims.nbf === "number" ? claims.nbf : undefined;
        verified.set(token, {
          principal: { ...principal, permissions: [...principal.permissions] },
          exp: claims.exp,
          nbf,
        });
      }
      return principal;
    }
    throw invalidToken();
  };
}

function invalidToken(): UnauthenticatedError {
  return new UnauthenticatedError(INVALID_TOKEN_MESSAGE);
}

function decodeHeader(token: string): Record<string, unknown> | undefined {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString("utf8"),
    );
    return typeof header === "object" && header !== null && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `role: admin` → admin; `role: service` or `typ: service` → service; anything else → user.
 * A claim present with the wrong type means a misconfigured issuer: refused, not guessed around.
 * Unknown permissions are dropped so an issuer can be ahead of this code.
 */
function toPrincipal(claims: string | jwt.JwtPayload): Principal {
  if (typeof claims === "string") throw invalidToken();
  const { sub, exp, role, typ, org } = claims as Record<string, unknown>;
  if (typeof exp !== "number") throw invalidToken();
  if (typeof sub !== "string" || sub === "" || sub.length > MAX_ID_LENGTH) throw invalidToken();
  if (org !== undefined && (typeof org !== "string" || org === "" || org.length > MAX_ID_LENGTH))
    throw invalidToken();
  const granted = (claims as Record<string, unknown>).permissions;
  if (granted !== undefined && !Array.isArray(granted)) throw invalidToken();
  const permissions = [
    ...new Set(
      (granted ?? []).flatMap((value: unknown): Permission[] => {
        const result = permissionSchema.safeParse(value);
        return result.success ? [result.data] : [];
      }),
    ),
  ];
  const kind = role === "admin" ? "admin" : role === "service" || typ === "service" ? "service" : "user";
  return { kind, id: sub, ...(org !== undefined ? { orgId: org } : {}), permissions };
}

function loadKeys(options: JwtOptions): VerificationKey[] {
  if (options.algorithms.length === 0) throw new Error("jwt: at least one algorithm must be configured");
  for (const alg of options.algorithms) {
    if (!(jwtAlgorithms as readonly string[]).includes(alg))
      throw new Error(`jwt: unsupported algorithm '${alg}'`);
  }
  if (!options.issuer || !options.audience) throw new Error("jwt: issuer and audience are required");
  const keys: VerificationKey[] = [];

  if (options.algorithms.includes("HS256")) {
    const secret = options.secret;
    if (!secret || secret.length < 32) throw new Error("jwt: HS256 needs a secret of at least 32 characters");
    // A PEM as HMAC secret is exactly the key-confusion setup; refuse it outright.
    if (secret.includes("-----BEGIN")) throw new Error("jwt: the HS256 secret must not be a PEM key");
    keys.push({ alg: "HS256", kid: options.secretKid, key: createSecretKey(Buffer.from(secret, "utf8")) });
  }

  const asymmetric = options.algorithms.filter((alg) => alg !== "HS256");
  const publicKeys = options.publicKeys ?? [];
  if (asymmetric.length > 0 && publicKeys.length === 0) {
    throw new Error(`jwt: ${asymmetric.join("/")} needs at least one public key`);
  }
  if (asymmetric.length === 0) return keys;
  publicKeys.forEach((entry, index) => {
    const pem = typeof entry === "string" ? entry : entry.pem;
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new Error(`jwt: public key #${index + 1} is not a valid PEM key`);
    }
    const alg = algorithmFor(key, index);
    if (!options.algorithms.includes(alg)) {
      throw new Error(`jwt: public key #${index + 1} is a ${alg} key but ${alg} is not configured`);
    }
    keys.push({ alg, kid: typeof entry === "string" ? jwkThumbprint(key) : entry.kid, key });
  });
  return keys;
}

function algorithmFor(key: KeyObject, index: number): JwtAlgorithm {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa") {
    if ((details?.modulusLength ?? 0) < 2048)
      throw new Error(`jwt: public key #${index + 1} is RSA below 2048 bits`);
    return "RS256";
  }
  if (key.asymmetricKeyType === "ec" && details?.namedCurve === "prime256v1") return "ES256";
  throw new Error(`jwt: public key #${index + 1} is neither RSA nor EC P-256`);
}

/** RFC 7638: SHA-256 of the required JWK members in lexicographic order, base64url. */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  const members =
    jwk.kty === "RSA"
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}
