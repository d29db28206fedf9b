import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { waitForLogLine } from "@hub/test-support";
import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { findCredentialsInLogs, useSystem } from "../support/system.ts";
import { adminToken, type Hub, inspectDatabase, internalsIn, type Outcome, send } from "./support.ts";

const e2e = useSystem({ RATE_LIMIT_POINTS: "100000", RATE_LIMIT_IP_POINTS: "100000" });
const sent = new Set<string>();

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const claims = () => ({
  sub: "attacker",
  role: "admin",
  iss: "hub-platform-dev",
  aud: "hub-api",
  exp: Math.floor(Date.now() / 1000) + 300,
});

/** Every credential goes through e2e.remember: the log scan looks for each of them. */
function remember(credential: string): string {
  sent.add(credential);
  return e2e.current.remember(credential);
}

async function restWith(headers: Record<string, string>): Promise<Outcome> {
  const hub = await e2e.current.newHub();
  return send(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(hub),
  });
}

function graphqlWith(authorization: string): Promise<Outcome> {
  return send(`${e2e.current.gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify({ query: `{ hub(id: "${randomUUID()}") { id } }` }),
  });
}

/** Refused on both surfaces: REST 401 in the contract's shape, GraphQL UNAUTHENTICATED; nothing echoed. */
async function expectRefused(token: string) {
  const authorization = `Bearer ${remember(token)}`;
  const rest = await restWith({ authorization });
  expect(rest.status, token.slice(0, 60)).toBe(401);
  expect(rest.body).toMatchObject({ success: false, code: 401, message: "Invalid or expired token" });
  expect(rest.headers?.get("www-authenticate")).toMatch(/^Bearer/);
  const graphql = await graphqlWith(authorization);
  expect(graphql.status).toBe(401);
  expect((graphql.body as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
    "UNAUTHENTICATED",
  );
  for (const outcome of [rest, graphql]) {
    expect(outcome.text).not.toContain(token.slice(0, 40));
    expect(internalsIn(outcome.text)).toBeUndefined();
  }
}

describe("JWT attacks through the real gateway", () => {
  it.each(["none", "None", "NONE", "nOnE"])("alg %j, with and without a signature → 401", async (alg) => {
    const unsigned = `${b64({ alg, typ: "JWT" })}.${b64(claims())}.`;
    await expectRefused(unsigned);
    await expectRefused(`${unsigned}${Buffer.from("sig").toString("base64url")}`);
  });

  it("a kid that points nowhere → 401", async () => {
    await expectRefused(
      jwt.sign(claims(), e2e.current.system.secrets.gatewayJwt, { algorithm: "HS256", keyid: "no-such-key" }),
    );
  });

  it("RS256/HS256 confusion and foreign keys → 401", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await expectRefused(jwt.sign(claims(), privateKey, { algorithm: "RS256" }));
    // The classic confusion: an HS256 token whose secret is a public key PEM.
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const header = b64({ alg: "HS256", typ: "JWT" });
    const body = b64(claims());
    const signature = createHash("sha256").update(`${pem}${header}.${body}`).digest("base64url");
    await expectRefused(`${header}.${body}.${signature}`);
    await expectRefused(jwt.sign(claims(), "x".repeat(40), { algorithm: "HS256" }));
  });

  it("expired, wrong issuer, wrong audience, tampered payload → 401", async () => {
    const secret = e2e.current.system.secrets.gatewayJwt;
    await expectRefused(jwt.sign({ ...claims(), exp: Math.floor(Date.now() / 1000) - 3600 }, secret));
    await expectRefused(jwt.sign({ ...claims(), iss: "someone-else" }, secret));
    await expectRefused(jwt.sign({ ...claims(), aud: "other-api" }, secret));
    const [header, , signature] = adminToken(e2e.current).split(".");
    await expectRefused(`${header}.${b64({ ...claims(), sub: "admin-2" })}.${signature}`);
  });

  it("huge tokens: 10 KB → 401 before any decoding; 100 KB → 431 in the JSON error shape", async () => {
    await expectRefused(`${b64({ alg: "HS256" })}.${"A".repeat(10_000)}.sig`);
    const huge = remember(`${b64({ alg: "HS256" })}.${"B".repeat(100_000)}.sig`);
    const outcome = await restWith({ authorization: `Bearer ${huge}` });
    expect(outcome.status).toBe(431);
    expect(outcome.body).toEqual({
      success: false,
      error: "Request Header Fields Too Large",
      message: "The request headers are too large",
      code: 431,
    });
  });

  it("a bad credential is never ignored because the other one is good", async () => {
    const good = adminToken(e2e.current);
    const badKey = remember(`hub_${"Z".repeat(12)}_${"y".repeat(43)}`);
    expect((await restWith({ authorization: `Bearer ${good}`, "x-api-key": badKey })).status).toBe(401);
    expect(
      (await restWith({ authorization: `Bearer ${remember("e30.e30.x")}`, "x-api-key": e2e.current.apiKey }))
        .status,
    ).toBe(401);
  });
});

describe("API keys", () => {
  it("are stored only as a hash: no row holds the key or its secret", async () => {
    const keys = [e2e.current.apiKey, e2e.current.readOnlyApiKey];
    const rows = await inspectDatabase(e2e.current, (query) =>
      query<Record<string, unknown>>("SELECT * FROM api_keys"),
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const dump = JSON.stringify(rows);
    for (const key of keys) {
      const secret = key.split("_").slice(2).join("_");
      expect(dump).not.toContain(secret);
      const hash = `sha256$${createHash("sha256").update(secret).digest("base64url")}`;
      expect(rows.some((row) => row.hash === hash && key.includes(`_${String(row.prefix)}_`))).toBe(true);
    }
  });

  it("a key with a right prefix and a wrong secret is refused like an unknown one", async () => {
    const [, prefix] = e2e.current.apiKey.split("_");
    const forged = remember(`hub_${prefix}_${"x".repeat(43)}`);
    const unknown = remember(`hub_${"Q".repeat(12)}_${"x".repeat(43)}`);
    const a = await restWith({ "x-api-key": forged });
    const b = await restWith({ "x-api-key": unknown });
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.body).toEqual(b.body);
  });
});

it("logs of gateway and hub-service hold none of the credentials sent in this file (nor any JWT or API key)", async () => {
  // The good ones too: a successful request must not log them either.
  const hub: Hub = await e2e.current.newHub();
  const ok = await send(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${remember(adminToken(e2e.current))}`,
      "x-api-key": remember(e2e.current.apiKey),
    },
    body: JSON.stringify(hub),
  });
  expect(ok.status).toBe(201);
  // pino writes asynchronously: wait for this request's line, the last one logged; the
  // end-of-file scan repeats the check after the processes have exited.
  await waitForLogLine(
    e2e.current.system.gateway.logFile,
    `"requestId":"${ok.headers?.get("x-request-id")}"`,
    '"msg":"request"',
  );
  expect(sent.size).toBeGreaterThan(20);
  expect(await findCredentialsInLogs(e2e.current.system.logDir, sent)).toEqual([]);
});
