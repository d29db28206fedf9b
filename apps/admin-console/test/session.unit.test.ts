import { describe, expect, it } from "vitest";
import { decodeClaims, isExpired, takeTokenFromFragment } from "../src/lib/session.ts";

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const token = (claims: object) => `${b64({ alg: "HS256" })}.${b64(claims)}.sig`;

describe("sign-in token", () => {
  it("is taken from the link's fragment, which keeps its other parts", () => {
    expect(takeTokenFromFragment("#token=abc.def.ghi")).toEqual({ token: "abc.def.ghi", rest: "" });
    expect(takeTokenFromFragment("#x=1&token=t")).toEqual({ token: "t", rest: "#x=1" });
    expect(takeTokenFromFragment("")).toEqual({ token: null, rest: "" });
    expect(takeTokenFromFragment("#token=")).toEqual({ token: null, rest: "" });
  });

  it("labels the UI from its claims and refuses what is not a JWT with a subject", () => {
    expect(decodeClaims(token({ sub: "ada", role: "admin", exp: 10 }))).toEqual({
      sub: "ada",
      role: "admin",
      exp: 10,
    });
    expect(decodeClaims(token({ role: "admin" }))).toBeNull();
    expect(decodeClaims("not-a-token")).toBeNull();
    expect(decodeClaims("a.%%%.c")).toBeNull();
    expect(isExpired({ sub: "a", exp: 10 }, 10_000)).toBe(true);
    expect(isExpired({ sub: "a", exp: 11 }, 10_000)).toBe(false);
    expect(isExpired({ sub: "a" }, 10_000)).toBe(false);
  });
});
