import { describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";

const required = { SERVICE_JWT_SECRET: "relay-test-secret-0123456789abcdef-0123456789" };

describe("the relay's environment", () => {
  it("refuses WEBHOOK_ALLOW_PRIVATE_URLS in production (webhooks would reach internal addresses)", () => {
    expect(() =>
      loadEnv({ ...required, NODE_ENV: "production", WEBHOOK_ALLOW_PRIVATE_URLS: "true" }),
    ).toThrow(/WEBHOOK_ALLOW_PRIVATE_URLS: must not be set in production/);
  });

  it("allows it in development and tests, and defaults to refusing private addresses", () => {
    expect(loadEnv({ ...required, WEBHOOK_ALLOW_PRIVATE_URLS: "true" }).WEBHOOK_ALLOW_PRIVATE_URLS).toBe(
      true,
    );
    expect(loadEnv({ ...required, NODE_ENV: "production" }).WEBHOOK_ALLOW_PRIVATE_URLS).toBe(false);
  });
});
