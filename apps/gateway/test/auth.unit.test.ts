import { createHmac, createPublicKey, generateKeyPairSync } from "node:crypto";
import { type Principal, UnauthenticatedError } from "@hub/shared";
import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import {
  type AuthenticatorOptions,
  type Credentials,
  createAuthenticator,
  INVALID_API_KEY_MESSAGE,
  INVALID_TOKEN_MESSAGE,
  type JwtOptions,
  jwkThumbprint,
  MALFORMED_AUTHORIZATION_MESSAGE,
  MISSING_CREDENTIALS_MESSAGE,
} from "../src/auth/index.ts";

const SECRET = "gateway-test-secret-0123456789-abcdefghijkl";
const ISSUER = "hub-platform-test";
const AUDIENCE = "hub-api";
const START = 1_800_000_000_000;
const rsa = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const ec = generateKeyPairSync("ec", {
  namedCurve: "P-256",
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

const ORG = "3b0b5c2e-4f4e-4d4e-9c1a-6a7b8c9d0e1f";
const orgPrincipal: Principal = {
  kind: "organization",
  id: ORG,
  orgId: ORG,
  permissions: ["hubs:provision"],
};
const GOOD_KEY = `hub_AAAAAAAAAAAA_${"g".repeat(43)}`;

function setup(overrides: { jwt?: Partial<JwtOptions> } & Partial<Omit<AuthenticatorOptions, "jwt">> = {}) {
  const clock = { now: START };
  const keys = new Map<string, Principal>([[GOOD_KEY, orgPrincipal]]);
  /** When a key ends (epoch ms), as hub-service answers it. */
  const expiries = new Map<string, number>();
  const lookups: string[] = [];
  const { jwt: jwtOverrides, ...rest } = overrides;
  const authenticate = createAuthenticator({
    jwt: {
      algorithms: ["HS256"],
      secret: SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSeconds: 30,
      ...jwtOverrides,
    },
    verifyApiKey: async (key) => {
      lookups.push(key);
      return { principal: keys.get(key) ?? null, expiresAt: expiries.get(key) ?? null };
    },
    now: () => clock.now,
    ...rest,
  });
  return { authenticate, clock, keys, expiries, lookups };
}

type SignOptions = {
  algorithm?: jwt.Algorithm;
  key?: string;
  iss?: string;
  aud?: string;
  exp?: number | null;
  kid?: string;
};

/** Claims are timed from the fake clock, not the wall clock. */
function sign(claims: Record<string, unknown> = { sub: "user-1" }, options: SignOptions = {}): string {
  const iat = Math.floor(START / 1000);
  const exp = options.exp === undefined ? iat + 3600 : options.exp;
  return jwt.sign(
    {
      iat,
      ...(exp === null ? {} : { exp }),
      iss: options.iss ?? ISSUER,
      aud: options.aud ?? AUDIENCE,
      ...claims,
    },
    options.key ?? SECRET,
    { algorithm: options.algorithm ?? "HS256", ...(options.kid ? { keyid: options.kid } : {}) },
  );
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const standardClaims = () => ({
  sub: "user-1",
  iss: ISSUER,
  aud: AUDIENCE,
  exp: Math.floor(START / 1000) + 3600,
});

async function rejection(promise: Promise<unknown>): Promise<UnauthenticatedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return error as UnauthenticatedError;
}

async function expectRejected(
  authenticate: (c: Credentials) => Promise<Principal>,
  credentials: Credentials,
  message: string,
) {
  const error = await rejection(authenticate(credentials));
  expect(error.message).toBe(message);
  for (const secretPart of [credentials.authorization?.slice(7), credentials.apiKey]) {
    if (secretPart && secretPart.length > 8) expect(error.message).not.toContain(secretPart);
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("gateway authentication", () => {
  describe("credentials and header shape", () => {
    it("refuses a request without credentials", async () => {
      await expectRejected(setup().authenticate, {}, MISSING_CREDENTIALS_MESSAGE);
    });

    it.each([
      ["another scheme", `Basic ${Buffer.from("a:b").toString("base64")}`],
      ["a bare scheme", "Bearer"],
      ["an empty header", ""],
      ["a token without scheme", sign()],
      ["two spaces", `Bearer  ${sign()}`],
      ["a trailing word", `Bearer ${sign()} extra`],
    ])("refuses an Authorization header with %s", async (_case, authorization) => {
      await expectRejected(setup().authenticate, { authorization }, MALFORMED_AUTHORIZATION_MESSAGE);
    });

    it("accepts the Bearer scheme in any letter case", async () => {
      const { authenticate } = setup();
      expect((await authenticate({ authorization: `bEaReR ${sign()}` })).id).toBe("user-1");
    });
  });

  describe("JWT", () => {
    it("refuses an expired token, allowing the configured clock tolerance", async () => {
      const { authenticate, clock } = setup();
      const token = sign({ sub: "user-1" }, { exp: Math.floor(START / 1000) + 60 });
      clock.now = START + 85_000; // 25 s past exp: inside the 30 s tolerance
      expect((await authenticate(bearer(token))).id).toBe("user-1");
      clock.now = START + 95_000;
      await expectRejected(authenticate, bearer(token), INVALID_TOKEN_MESSAGE);
    });

    it("checks the time claims of a token again on every use, also once it was accepted", async () => {
      const { authenticate, clock } = setup();
      const nbf = Math.floor(START / 1000) + 120;
      const token = sign({ sub: "user-1", nbf });
      clock.now = START + 100_000; // 20 s before nbf: inside the 30 s tolerance
      const first = await authenticate(bearer(token));
      expect(first.id).toBe("user-1");
      clock.now = START + 80_000; // the clock stepped back: 40 s before nbf
      await expectRejected(authenticate, bearer(token), INVALID_TOKEN_MESSAGE);
      clock.now = START + 100_000;
      first.permissions.push("hubs:read"); // a caller changing its principal changes nobody else's
      expect((await authenticate(bearer(token))).permissions).toEqual([]);
      clock.now = START + 3_700_000; // past exp + tolerance
      await expectRejected(authenticate, bearer(token), INVALID_TOKEN_MESSAGE);
    });

    it("refuses a token without exp, without sub, or with a wrong issuer or audience", async () => {
      const { authenticate } = setup();
      await expectRejected(
        authenticate,
        bearer(sign({ sub: "user-1" }, { exp: null })),
        INVALID_TOKEN_MESSAGE,
      );
      await expectRejected(authenticate, bearer(sign({})), INVALID_TOKEN_MESSAGE);
      await expectRejected(authenticate, bearer(sign({ sub: "" })), INVALID_TOKEN_MESSAGE);
      await expectRejected(
        authenticate,
        bearer(sign({ sub: "user-1" }, { iss: "someone-else" })),
        INVALID_TOKEN_MESSAGE,
      );
      await expectRejected(
        authenticate,
        bearer(sign({ sub: "user-1" }, { aud: "other-api" })),
        INVALID_TOKEN_MESSAGE,
      );
    });

    it.each(["none", "NONE", "None", "nOnE"])(
      "refuses alg %s, with or without a signature part",
      async (alg) => {
        const { authenticate } = setup({
          jwt: { algorithms: ["HS256", "RS256"], publicKeys: [rsa.publicKey] },
        });
        const unsigned = `${b64({ alg, typ: "JWT" })}.${b64(standardClaims())}`;
        await expectRejected(authenticate, bearer(`${unsigned}.`), INVALID_TOKEN_MESSAGE);
        await expectRejected(authenticate, bearer(`${unsigned}.c2lnbmF0dXJl`), INVALID_TOKEN_MESSAGE);
      },
    );

    it("refuses a token signed with another secret", async () => {
      const token = sign({ sub: "user-1" }, { key: "another-secret-of-sufficient-length-0123456789" });
      await expectRejected(setup().authenticate, bearer(token), INVALID_TOKEN_MESSAGE);
    });

    it("refuses an RS256 token where only HS256 is configured, and an HS256 token where only RS256 is", async () => {
      const rs256 = sign({ sub: "user-1" }, { algorithm: "RS256", key: rsa.privateKey });
      await expectRejected(setup().authenticate, bearer(rs256), INVALID_TOKEN_MESSAGE);

      const rsOnly = setup({ jwt: { algorithms: ["RS256"], publicKeys: [rsa.publicKey] } });
      expect((await rsOnly.authenticate(bearer(rs256))).id).toBe("user-1");
      await expectRejected(rsOnly.authenticate, bearer(sign()), INVALID_TOKEN_MESSAGE);
    });

    it("refuses an HS256 token whose HMAC key is the RSA public PEM (key confusion)", async () => {
      const signingInput = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(standardClaims())}`;
      const forged = `${signingInput}.${createHmac("sha256", rsa.publicKey).update(signingInput).digest("base64url")}`;
      const rsOnly = setup({ jwt: { algorithms: ["RS256"], publicKeys: [rsa.publicKey] } });
      await expectRejected(rsOnly.authenticate, bearer(forged), INVALID_TOKEN_MESSAGE);
      const both = setup({ jwt: { algorithms: ["HS256", "RS256"], publicKeys: [rsa.publicKey] } });
      await expectRejected(both.authenticate, bearer(forged), INVALID_TOKEN_MESSAGE);
      // The PEM can never be configured as the HMAC secret in the first place.
      expect(() => setup({ jwt: { algorithms: ["HS256"], secret: rsa.publicKey } })).toThrow(
        /must not be a PEM/,
      );
    });

    it("verifies ES256 with an EC P-256 key and refuses keys that do not match the configured algorithms", async () => {
      const esOnly = setup({ jwt: { algorithms: ["ES256"], publicKeys: [ec.publicKey] } });
      expect(
        (await esOnly.authenticate(bearer(sign({ sub: "svc" }, { algorithm: "ES256", key: ec.privateKey }))))
          .id,
      ).toBe("svc");
      await expectRejected(
        esOnly.authenticate,
        bearer(sign({ sub: "svc" }, { algorithm: "RS256", key: rsa.privateKey })),
        INVALID_TOKEN_MESSAGE,
      );
      expect(() => setup({ jwt: { algorithms: ["RS256"], publicKeys: [ec.publicKey] } })).toThrow(
        /ES256 is not configured/,
      );
      expect(() => setup({ jwt: { algorithms: ["RS256"] } })).toThrow(/public key/);
      expect(() => setup({ jwt: { secret: "short" } })).toThrow(/at least 32/);
    });

    it("selects keys by kid and refuses a kid that names no configured key", async () => {
      const other = generateKeyPairSync("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      });
      const { authenticate } = setup({
        jwt: { algorithms: ["RS256"], publicKeys: [other.publicKey, { kid: "2026-01", pem: rsa.publicKey }] },
      });
      const rs = (kid?: string) =>
        sign({ sub: "user-1" }, { algorithm: "RS256", key: rsa.privateKey, ...(kid ? { kid } : {}) });
      expect((await authenticate(bearer(rs("2026-01")))).id).toBe("user-1");
      expect((await authenticate(bearer(rs()))).id).toBe("user-1"); // no kid: every RS256 key is tried
      await expectRejected(authenticate, bearer(rs("nowhere")), INVALID_TOKEN_MESSAGE);

      const byThumbprint = setup({ jwt: { algorithms: ["RS256"], publicKeys: [rsa.publicKey] } });
      const thumbprint = jwkThumbprint(createPublicKey(rsa.publicKey));
      expect((await byThumbprint.authenticate(bearer(rs(thumbprint)))).id).toBe("user-1");
      await expectRejected(byThumbprint.authenticate, bearer(rs("2026-01")), INVALID_TOKEN_MESSAGE);

      await expectRejected(
        setup().authenticate,
        bearer(sign({ sub: "user-1" }, { kid: "hs-1" })),
        INVALID_TOKEN_MESSAGE,
      );
      const withSecretKid = setup({ jwt: { secretKid: "hs-1" } });
      expect((await withSecretKid.authenticate(bearer(sign({ sub: "user-1" }, { kid: "hs-1" })))).id).toBe(
        "user-1",
      );
    });

    it("refuses a token longer than the limit even when it is validly signed", async () => {
      const huge = sign({ sub: "user-1", padding: "x".repeat(9000) });
      await expectRejected(setup().authenticate, bearer(huge), INVALID_TOKEN_MESSAGE);
      expect((await setup({ jwt: { maxTokenLength: 20_000 } }).authenticate(bearer(huge))).id).toBe("user-1");
      await expectRejected(
        setup().authenticate,
        { authorization: `Bearer ${"a".repeat(1_000_000)}` },
        INVALID_TOKEN_MESSAGE,
      );
    });

    it("maps role, typ, org and permissions claims to the principal", async () => {
      const { authenticate } = setup();
      expect(await authenticate(bearer(sign({ sub: "u1" })))).toEqual({
        kind: "user",
        id: "u1",
        permissions: [],
      });
      expect(await authenticate(bearer(sign({ sub: "u1", role: "user", org: "org-9" })))).toEqual({
        kind: "user",
        id: "u1",
        orgId: "org-9",
        permissions: [],
      });
      expect(
        await authenticate(
          bearer(sign({ sub: "s1", role: "service", permissions: ["hubs:read", "hubs:destroy", 7] })),
        ),
      ).toEqual({ kind: "service", id: "s1", permissions: ["hubs:read"] });
      expect((await authenticate(bearer(sign({ sub: "s2", typ: "service" })))).kind).toBe("service");
      expect(
        await authenticate(bearer(sign({ sub: "a1", role: "admin", permissions: ["hubs:provision"] }))),
      ).toEqual({
        kind: "admin",
        id: "a1",
        permissions: ["hubs:provision"],
      });
      expect((await authenticate(bearer(sign({ sub: "x", role: "superuser" })))).kind).toBe("user");
      await expectRejected(authenticate, bearer(sign({ sub: "u1", org: 42 })), INVALID_TOKEN_MESSAGE);
    });
  });

  describe("API keys", () => {
    it("maps a live key to its organization principal", async () => {
      expect(await setup().authenticate({ apiKey: GOOD_KEY })).toEqual(orgPrincipal);
    });

    it("refuses an unknown or revoked key (hub-service answers null)", async () => {
      const { authenticate } = setup();
      await expectRejected(
        authenticate,
        { apiKey: `hub_BBBBBBBBBBBB_${"u".repeat(43)}` },
        INVALID_API_KEY_MESSAGE,
      );
    });

    it("refuses an oversized or non-printable key without asking hub-service", async () => {
      const { authenticate, lookups } = setup();
      await expectRejected(authenticate, { apiKey: "k".repeat(257) }, INVALID_API_KEY_MESSAGE);
      await expectRejected(authenticate, { apiKey: "has space" }, INVALID_API_KEY_MESSAGE);
      await expectRejected(authenticate, { apiKey: "" }, INVALID_API_KEY_MESSAGE);
      expect(lookups).toEqual([]);
    });

    it("passes a hub-service failure through instead of calling the key invalid, and does not cache it", async () => {
      let failing = true;
      const { authenticate } = setup({
        verifyApiKey: async () => {
          if (failing) throw new Error("hub-service unreachable");
          return { principal: orgPrincipal };
        },
      });
      await expect(authenticate({ apiKey: GOOD_KEY })).rejects.toThrow("hub-service unreachable");
      failing = false;
      expect(await authenticate({ apiKey: GOOD_KEY })).toEqual(orgPrincipal);
    });
  });

  describe("both headers", () => {
    it("refuses the request when either credential is bad", async () => {
      const { authenticate, lookups } = setup();
      await expectRejected(
        authenticate,
        { ...bearer(sign()), apiKey: `hub_BBBBBBBBBBBB_${"u".repeat(43)}` },
        INVALID_API_KEY_MESSAGE,
      );
      await expectRejected(
        authenticate,
        { ...bearer(sign({ sub: "u" }, { aud: "x" })), apiKey: GOOD_KEY },
        INVALID_TOKEN_MESSAGE,
      );
      await expectRejected(
        authenticate,
        { authorization: "Basic abc", apiKey: GOOD_KEY },
        MALFORMED_AUTHORIZATION_MESSAGE,
      );
      // A bad token is refused before the key costs a hub-service lookup.
      expect(lookups).toEqual([`hub_BBBBBBBBBBBB_${"u".repeat(43)}`]);
    });

    it("acts as the key's organization with the token subject as actor", async () => {
      const { authenticate } = setup();
      expect(
        await authenticate({
          ...bearer(sign({ sub: "user-7", permissions: ["hubs:read"] })),
          apiKey: GOOD_KEY,
        }),
      ).toEqual({
        kind: "organization",
        id: "user-7",
        orgId: ORG,
        permissions: ["hubs:provision"],
      });
      expect(
        await authenticate({
          ...bearer(sign({ sub: "svc-1", role: "service", permissions: ["hubs:read"] })),
          apiKey: GOOD_KEY,
        }),
      ).toEqual({ kind: "service", id: "svc-1", orgId: ORG, permissions: ["hubs:read", "hubs:provision"] });
    });

    it("refuses a token of another organization than the key's", async () => {
      const { authenticate } = setup();
      const error = await rejection(
        authenticate({ ...bearer(sign({ sub: "u", org: "other-org" })), apiKey: GOOD_KEY }),
      );
      expect(error.message).toMatch(/different organizations/);
      expect((await authenticate({ ...bearer(sign({ sub: "u", org: ORG })), apiKey: GOOD_KEY })).orgId).toBe(
        ORG,
      );
    });
  });

  describe("API key cache", () => {
    it("keeps accepting a revoked key until the TTL has passed, then refuses it", async () => {
      const { authenticate, clock, keys, lookups } = setup({ apiKeyCacheTtlMs: 30_000 });
      expect(await authenticate({ apiKey: GOOD_KEY })).toEqual(orgPrincipal);
      keys.delete(GOOD_KEY); // revoked in hub-service
      clock.now = START + 29_999;
      expect(await authenticate({ apiKey: GOOD_KEY })).toEqual(orgPrincipal);
      expect(lookups).toHaveLength(1);
      clock.now = START + 30_000;
      await expectRejected(authenticate, { apiKey: GOOD_KEY }, INVALID_API_KEY_MESSAGE);
      expect(lookups).toHaveLength(2);
    });

    it("never serves a key past its own expiry, however long the TTL", async () => {
      const { authenticate, clock, expiries, lookups } = setup({ apiKeyCacheTtlMs: 30_000 });
      expiries.set(GOOD_KEY, START + 5_000); // rotated out: its overlap ends in 5 s
      expect(await authenticate({ apiKey: GOOD_KEY })).toEqual(orgPrincipal);
      clock.now = START + 4_999;
      expect(await authenticate({ apiKey: GOOD_KEY })).toEqual(orgPrincipal);
      expect(lookups).toHaveLength(1);
      clock.now = START + 5_000;
      // hub-service (on its clock) may still call it live: past the answer's expiry it is refused.
      await expectRejected(authenticate, { apiKey: GOOD_KEY }, INVALID_API_KEY_MESSAGE);
      expect(lookups).toHaveLength(2);
    });

    it("caches refusals too, and shares one lookup between concurrent requests", async () => {
      const { authenticate, clock, keys, lookups } = setup();
      const unknown = `hub_CCCCCCCCCCCC_${"c".repeat(43)}`;
      await expectRejected(authenticate, { apiKey: unknown }, INVALID_API_KEY_MESSAGE);
      keys.set(unknown, orgPrincipal);
      await expectRejected(authenticate, { apiKey: unknown }, INVALID_API_KEY_MESSAGE);
      expect(lookups).toEqual([unknown]);
      clock.now = START + 30_000;
      expect(await authenticate({ apiKey: unknown })).toEqual(orgPrincipal);

      lookups.length = 0;
      await Promise.all([1, 2, 3].map(() => authenticate({ apiKey: GOOD_KEY })));
      expect(lookups).toEqual([GOOD_KEY]);
    });

    it("is bounded: past the maximum the least recently used key is looked up again", async () => {
      const { authenticate, keys, lookups } = setup({ apiKeyCacheMaxEntries: 2 });
      const [a, b, c] = ["A", "B", "C"].map((letter) => `hub_${letter.repeat(12)}_${"k".repeat(43)}`) as [
        string,
        string,
        string,
      ];
      for (const key of [a, b, c]) keys.set(key, orgPrincipal);
      await authenticate({ apiKey: a });
      await authenticate({ apiKey: b });
      await authenticate({ apiKey: a }); // a is now the most recently used
      await authenticate({ apiKey: c }); // evicts b
      await authenticate({ apiKey: a });
      await authenticate({ apiKey: b });
      expect(lookups).toEqual([a, b, c, b]);
    });

    it("looks up every time when the TTL is 0", async () => {
      const { authenticate, lookups } = setup({ apiKeyCacheTtlMs: 0 });
      await authenticate({ apiKey: GOOD_KEY });
      await authenticate({ apiKey: GOOD_KEY });
      expect(lookups).toHaveLength(2);
    });
  });
});
