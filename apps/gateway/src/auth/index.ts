export {
  type ApiKeyAnswer,
  type ApiKeyCacheOptions,
  type CachedVerifyApiKey,
  createCachedApiKeyVerifier,
  type VerifyApiKey,
} from "./api-key-cache.ts";
export {
  type Authenticate,
  type AuthenticatorOptions,
  type Credentials,
  createAuthenticator,
  INVALID_API_KEY_MESSAGE,
  MALFORMED_AUTHORIZATION_MESSAGE,
  MISSING_CREDENTIALS_MESSAGE,
} from "./authenticator.ts";
export { credentialsOf } from "./credentials.ts";
export {
  createJwtVerifier,
  INVALID_TOKEN_MESSAGE,
  type JwtAlgorithm,
  type JwtOptions,
  type JwtPublicKey,
  jwkThumbprint,
  jwtAlgorithms,
} from "./jwt-verifier.ts";
