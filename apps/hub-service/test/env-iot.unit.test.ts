import { describe, expect, it } from "vitest";
import { iotDataEndpoint, loadEnv } from "../src/env.ts";

const base = { SERVICE_JWT_SECRET: "s".repeat(32) };

describe("the data plane's endpoint", () => {
  it("is IOT_DATA_ENDPOINT; unset, the registry's when that is this machine (the emulator), else the SDK's", () => {
    const remote = "https://a1b2c3-ats.iot.eu-west-1.amazonaws.com";
    expect(iotDataEndpoint(loadEnv({ ...base, IOT_DATA_ENDPOINT: remote }))).toBe(remote);
    for (const local of ["http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:4566"])
      expect(iotDataEndpoint(loadEnv({ ...base, AWS_ENDPOINT_URL_IOT: local }))).toBe(local);
    expect(iotDataEndpoint(loadEnv({ ...base, AWS_ENDPOINT_URL_IOT: "https://iot.internal.example" }))).toBe(
      undefined,
    );
    expect(iotDataEndpoint(loadEnv(base))).toBe(undefined);
  });
});

describe("the command settings", () => {
  it("have their defaults", () => {
    expect(loadEnv(base)).toMatchObject({
      HUB_COMMAND_TIMEOUT: 60,
      IOT_RULE_AUTO_CONFIRM: false,
      IOT_DATA_GET_RPS: 300,
      IOT_DATA_UPDATE_RPS: 300,
      IOT_DATA_DELETE_RPS: 100,
    });
    expect(loadEnv(base).IOT_RULE_SECRET).toBeUndefined();
  });

  it("parse decimals and booleans, and refuse what is out of bounds", () => {
    expect(
      loadEnv({
        ...base,
        HUB_COMMAND_TIMEOUT: "2.5",
        IOT_RULE_SECRET: "0123456789abcdef",
        IOT_RULE_AUTO_CONFIRM: "true",
      }),
    ).toMatchObject({
      HUB_COMMAND_TIMEOUT: 2.5,
      IOT_RULE_SECRET: "0123456789abcdef",
      IOT_RULE_AUTO_CONFIRM: true,
    });
    expect(() => loadEnv({ ...base, HUB_COMMAND_TIMEOUT: "0.05" })).toThrow(/HUB_COMMAND_TIMEOUT/);
    expect(() => loadEnv({ ...base, IOT_RULE_SECRET: "too-short" })).toThrow(/IOT_RULE_SECRET/);
    expect(() => loadEnv({ ...base, IOT_DATA_UPDATE_RPS: "0" })).toThrow(/IOT_DATA_UPDATE_RPS/);
  });
});
