import * as crypto from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { apiKeySecretMatches, generateApiKey, hashApiKeySecret } from "../src/api-keys/api-key-format.ts";

vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

describe("API key secrets", () => {
  it("are stored as a hash that does not contain the secret", () => {
    const { secret } = generateApiKey();
    const stored = hashApiKeySecret(secret);
    expect(stored).toMatch(/^sha256\$[\w-]{43}$/);
    expect(stored).not.toContain(secret);
  });

  it("are compared in constant time: fixed-length digests through timingSafeEqual, whatever the input", () => {
    const { secret } = generateApiKey();
    const stored = hashApiKeySecret(secret);
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    // Right secret, a secret sharing a long prefix, a short one and a long one: same path each time.
    const candidates = [secret, `${secret.slice(0, 42)}x`, "x", "y".repeat(10_000)];
    expect(candidates.map((candidate) => apiKeySecretMatches(candidate, stored))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(compare).toHaveBeenCalledTimes(candidates.length);
    for (const [expected, actual] of compare.mock.calls) {
      expect([(expected as Buffer).length, (actual as Buffer).length]).toEqual([32, 32]);
    }
  });

  it("refuse a malformed stored hash without comparing", () => {
    expect(apiKeySecretMatches("s", "md5$abc")).toBe(false);
    expect(apiKeySecretMatches("s", "sha256$a$b")).toBe(false);
  });
});
