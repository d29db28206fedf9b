import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { createServiceTokenVerifier, mintServiceToken, verifyServiceToken } from "../src/index.ts";

describe("service tokens", () => {
  const secret = "s".repeat(40);

  it("verifies a token it minted", () => {
    expect(verifyServiceToken(`Bearer ${mintServiceToken(secret, "gateway")}`, secret)).toEqual({
      id: "gateway",
    });
  });

  it.each([
    ["missing", undefined],
    ["not bearer", `Basic ${mintServiceToken(secret, "gateway")}`],
    ["another secret", `Bearer ${mintServiceToken("x".repeat(40), "gateway")}`],
    [
      "expired",
      `Bearer ${jwt.sign({ exp: Math.floor(Date.now() / 1000) - 60 }, secret, { audience: "hub-service", issuer: "hub-platform", subject: "g" })}`,
    ],
    [
      "another audience",
      `Bearer ${jwt.sign({}, secret, { audience: "other", issuer: "hub-platform", subject: "g" })}`,
    ],
  ])("rejects a %s token", (_label, header) => {
    expect(verifyServiceToken(header, secret)).toBeUndefined();
  });
});

describe("cached service token verifier", () => {
  const secret = "s".repeat(40);

  it("accepts what verifyServiceToken accepts and rejects what it rejects", () => {
    const verify = createServiceTokenVerifier(secret);
    const good = `Bearer ${mintServiceToken(secret, "gateway")}`;
    expect(verify(good)).toEqual({ id: "gateway" });
    expect(verify(good)).toEqual({ id: "gateway" });
    expect(verify(undefined)).toBeUndefined();
    expect(verify(`Bearer ${mintServiceToken("x".repeat(40), "gateway")}`)).toBeUndefined();
    expect(verify(`${good}x`)).toBeUndefined();
  });

  it("stops accepting a remembered token once it expires", () => {
    let nowMs = Date.now();
    const verify = createServiceTokenVerifier(secret, { now: () => nowMs });
    const header = `Bearer ${mintServiceToken(secret, "gateway", 60)}`;
    expect(verify(header)).toEqual({ id: "gateway" });
    nowMs += 30_000;
    expect(verify(header)).toEqual({ id: "gateway" });
    // Past exp and the 5 s tolerance: the cache entry is dropped and jwt.verify (real clock) decides.
    nowMs += 40_000;
    const realNow = Date.now;
    Date.now = () => nowMs;
    try {
      expect(verify(header)).toBeUndefined();
    } finally {
      Date.now = realNow;
    }
  });
});
