import { createHash } from "node:crypto";
import type { Principal } from "@hub/shared";

export type VerifyApiKey = (key: string) => Promise<Principal | null>;

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
 * up to `ttlMs`. Failures to answer (hub-service down) are not cached.
 *
 * Entries are keyed by a SHA-256 of the key, so the gateway's memory never holds the keys
 * themselves. Bounded: past `maxEntries` the least recently used entry goes.
 */
export function createCachedApiKeyVerifier(verify: VerifyApiKey, options: ApiKeyCacheOptions): VerifyApiKey {
  if (options.ttlMs <= 0) return verify;
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

    const lookup = verify(key).then((principal) => {
      while (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(id, { principal, expiresAt: options.now() + options.ttlMs });
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
