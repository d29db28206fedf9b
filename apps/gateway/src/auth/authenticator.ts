import { type Principal, UnauthenticatedError } from "@hub/shared";
import { createCachedApiKeyVerifier, type VerifyApiKey } from "./api-key-cache.ts";
import { createJwtVerifier, INVALID_TOKEN_MESSAGE, type JwtOptions } from "./jwt-verifier.ts";

export type Credentials = {
  /** The `Authorization` header as received. */
  readonly authorization?: string | undefined;
  /** The `X-API-Key` header as received. */
  readonly apiKey?: string | undefined;
};

export type Authenticate = (credentials: Credentials) => Promise<Principal>;

export type AuthenticatorOptions = {
  readonly jwt: JwtOptions;
  /**
   * Asks hub-service (`apiKeys.verify`); a null principal means "not a live key", errors "cannot
   * tell". The key's `expiresAt` caps how long the answer is cached.
   */
  readonly verifyApiKey: VerifyApiKey;
  /** Default 30 000. A revoked key stays accepted for up to this long (see api-key-cache.ts). */
  readonly apiKeyCacheTtlMs?: number;
  /** Default 10 000. */
  readonly apiKeyCacheMaxEntries?: number;
  /** Clock in epoch ms, for token expiry and the cache; tests pass a fake one. */
  readonly now?: () => number;
};

export const MISSING_CREDENTIALS_MESSAGE =
  "Missing credentials: send 'Authorization: Bearer <token>' or 'X-API-Key'";
export const MALFORMED_AUTHORIZATION_MESSAGE = "Malformed Authorization header: expected 'Bearer <token>'";
export const INVALID_API_KEY_MESSAGE = "Invalid API key";

// Mirrors the bound hub-service puts on `apiKeys.verify`; anything longer is not worth a call.
const API_KEY_SHAPE = /^[\x21-\x7e]{1,256}$/;
const BEARER = /^Bearer ([^\s]+)$/i;

/**
 * Turns request credentials into a Principal or throws UnauthenticatedError (401). Messages name
 * what is wrong in general terms and never echo a credential.
 *
 * Both headers present: both must be valid, and they must agree on the organization (a token with
 * an `org` claim other than the key's is refused). The result then has:
 * - id: the token's subject (the actor who is recorded in events);
 * - orgId: the key's organization (the acting organization);
 * - kind/permissions: a service or admin token keeps its kind and gets the union of both permission
 *   sets; a user token acts as the organization with the key's permissions only (the key is what
 *   grants organization rights; the user token only says who is using it).
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticate {
  const now = options.now ?? Date.now;
  const verifyToken = createJwtVerifier(options.jwt);
  const maxTokenLength = options.jwt.maxTokenLength ?? 8192;
  const verifyApiKey = createCachedApiKeyVerifier(options.verifyApiKey, {
    ttlMs: options.apiKeyCacheTtlMs ?? 30_000,
    maxEntries: options.apiKeyCacheMaxEntries ?? 10_000,
    now,
  });

  function principalFromAuthorization(authorization: string): Principal {
    // Bounded before the regex and before any decoding.
    if (authorization.length > "Bearer ".length + maxTokenLength)
      throw new UnauthenticatedError(INVALID_TOKEN_MESSAGE);
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw new UnauthenticatedError(MALFORMED_AUTHORIZATION_MESSAGE);
    return verifyToken(token, now());
  }

  async function principalFromApiKey(apiKey: string): Promise<Principal> {
    if (!API_KEY_SHAPE.test(apiKey)) throw new UnauthenticatedError(INVALID_API_KEY_MESSAGE);
    const principal = await verifyApiKey(apiKey);
    if (!principal) throw new UnauthenticatedError(INVALID_API_KEY_MESSAGE);
    return principal;
  }

  return async ({ authorization, apiKey }) => {
    if (authorization === undefined && apiKey === undefined)
      throw new UnauthenticatedError(MISSING_CREDENTIALS_MESSAGE);
    // The token first: it is checked locally, so a bad one costs no hub-service lookup.
    const fromToken = authorization === undefined ? undefined : principalFromAuthorization(authorization);
    const fromKey = apiKey === undefined ? undefined : await principalFromApiKey(apiKey);
    if (fromToken && fromKey) return combine(fromToken, fromKey);
    const principal = fromToken ?? fromKey;
    if (!principal) throw new UnauthenticatedError(MISSING_CREDENTIALS_MESSAGE);
    return principal;
  };
}

function combine(token: Principal, key: Principal): Principal {
  const organization = key.orgId ?? key.id;
  if (token.orgId !== undefined && token.orgId !== organization) {
    throw new UnauthenticatedError("The token and the API key belong to different organizations");
  }
  const elevated = token.kind === "service" || token.kind === "admin";
  return {
    kind: elevated ? token.kind : "organization",
    id: token.id,
    orgId: organization,
    permissions: elevated ? [...new Set([...token.permissions, ...key.permissions])] : [...key.permissions],
    ...(key.apiKey === undefined ? {} : { apiKey: key.apiKey }),
  };
}
