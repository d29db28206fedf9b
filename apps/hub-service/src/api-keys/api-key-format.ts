import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

/**
 * `hub_<prefix>_<secret>`: the prefix is a non-secret lookup id (12 alphanumerics, so the `_`
 * separators stay unambiguous and a double-click selects the whole key); the secret is 32 random
 * bytes in base64url (43 characters).
 */
const KEY_PATTERN = /^hub_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const PREFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const PREFIX_LENGTH = 12;
const SECRET_BYTES = 32;
const HASH_SCHEME = "sha256";

/** Longest string that can be a key; inputs are bounded by it before any parsing. */
export const API_KEY_LENGTH = 4 + PREFIX_LENGTH + 1 + 43;
export const API_KEY_PREFIX_PATTERN = /^[A-Za-z0-9]{12}$/;

export type ParsedApiKey = { readonly prefix: string; readonly secret: string };

export function generateApiKey(): ParsedApiKey & { readonly key: string } {
  // randomInt is unbiased over the 62-letter alphabet, unlike `byte % 62`.
  const prefix = Array.from(
    { length: PREFIX_LENGTH },
    () => PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)],
  ).join("");
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  return { prefix, secret, key: `hub_${prefix}_${secret}` };
}

/** Undefined for anything that is not shaped like a key, so garbage never reaches the database. */
export function parseApiKey(key: string): ParsedApiKey | undefined {
  if (key.length !== API_KEY_LENGTH) return undefined;
  const match = KEY_PATTERN.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  return { prefix: match[1], secret: match[2] };
}

/**
 * A plain SHA-256, not a password KDF: the secret is 256 bits from a CSPRNG, so there is no
 * dictionary to attack and brute force is out of reach whatever the hash cost. A slow scrypt/argon2
 * would only make every authenticated request (and every attacker's garbage key) expensive for us.
 * The scheme tag lets a future change of hash coexist with stored rows.
 */
export function hashApiKeySecret(secret: string): string {
  return `${HASH_SCHEME}$${createHash("sha256").update(secret, "utf8").digest("base64url")}`;
}

/** Constant-time comparison of a presented secret with a stored hash string. */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const [scheme, encoded, ...rest] = storedHash.split("$");
  if (scheme !== HASH_SCHEME || !encoded || rest.length > 0) return false;
  const expected = Buffer.from(encoded, "base64url");
  const actual = createHash("sha256").update(secret, "utf8").digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
