import { createHash } from "node:crypto";
import type { Principal } from "@hub/shared";

/**
 * hub-service's answer for a key: its principal (null: not a live key) and when the key stops
 * working (epoch ms; null or absent: no expiry).
 */
export type ApiKeyAnswer = { readonly principal: Principal | null; readonly expiresAt?: number | null };
export type VerifyApiKey = (key: string) => Promise<ApiKeyAnswer>;
export type CachedVerifyApiKey = (key: string) => Promise<Principal | null>;

export type ApiKeyCacheOptions = {
  /** 0 disables caching. */
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
};

type Entry = { readonly principal: Principal | null; readonly expiresAt: number };

/**
 * Remembers hub-service's answer per key for `ttlMs`, so a busy client costs one lookup per TTL
 * instead of one per request. Refusals are cached too, so a flood of bad keys cannot turn into a
 * flood of lookups. The price: a revoked key keeps working (and a cached refusal keeps failing) for
 * up to `ttlMs`. Failures to answer (hub-service down) are not cached. An entry never outlives the
 * key's own expiry: a rotated-out or expired key is refused from its end on, not a TTL later.
 *
 * Entries are keyed by a SHA-256 of the key, so the gateway's memory never holds the keys
 * themselves. Bounded: past `maxEntries` the least recently used entry goes.
 */
export function createCachedApiKeyVerifier(
  verify: VerifyApiKey,
  options: ApiKeyCacheOptions,
): CachedVerifyApiKey {
  if (options.ttlMs <= 0) return async (key) => live(await verify(key), options.now());
  const entries = new Map<string, Entry>();
  // Concurrent requests with the same key share one lookup.
  const pending = new Map<string, Promise<Principal | null>>();

  return async (key) => {
    const id = createHash("sha256").update(key, "utf8").digest("base64url");
    const cached = entries.get(id);
    if (cached) {
      entries.delete(id);
      if (cached.expiresAt > options.now()) {
        entries.set(id, cached); // Map order is insertion order: re-inserting marks it recently used.
        return cached.principal;
      }
    }
    const inFlight = pending.get(id);
    if (inFlight) return inFlight;

    const lookup = verify(key).then((answer) => {
      const at = options.now();
      const principal = live(answer, at);
      while (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      const keyEnd = answer.expiresAt ?? Number.POSITIVE_INFINITY;
      entries.set(id, { principal, expiresAt: Math.min(at + options.ttlMs, keyEnd) });
      return principal;
    });
    pending.set(id, lookup);
    try {
      return await lookup;
    } finally {
      pending.delete(id);
    }
  };
}

/** The answer's principal, unless the key has already ended by this process' clock. */
function live(answer: ApiKeyAnswer, now: number): Principal | null {
  if (answer.expiresAt != null && answer.expiresAt <= now) return null;
  return answer.principal;
}
