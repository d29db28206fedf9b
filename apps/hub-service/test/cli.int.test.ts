import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createRegistryServer, MemoryRegistryStore, type RegistryServer } from "@hub/iot-registry-emulator";
import { cloneTemplate, repoRoot, type TestDatabase, testEngine } from "@hub/test-support";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { verifyApiKey } from "../src/api-keys/api-keys.ts";
import { createDatabase } from "../src/db/client.ts";
import { cli, expectOneLineFailure } from "./support/cli.ts";

const GATEWAY_SECRET = "gateway-secret-for-cli-tests-0123456789abcdef";

describe(`operator CLI (${testEngine()})`, () => {
  // Not useTestDatabase(): it holds a connection for the whole file, and a PGlite directory can be
  // opened by one process only. Here every in-test connection is opened and closed around its use.
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await cloneTemplate(inject("dbTemplate"));
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  async function verifyInProcess(key: string) {
    const db = await createDatabase({ url: testDb.url });
    try {
      return await verifyApiKey(db.prisma, key, new Date());
    } finally {
      await db.close();
    }
  }

  it("creates an organization, issues a key that verifies, and revokes it", async () => {
    const dbEnv = { DATABASE_URL: testDb.url };
    const org = await cli(["orgs", "create", "Acme Manufacturing", "--json"], dbEnv);
    expect(org.code).toBe(0);
    const { id: orgId } = JSON.parse(org.stdout) as { id: string };

    const issued = await cli(
      [
        "keys",
        "issue",
        "--org",
        orgId,
        "--name",
        "line 1",
        "--permission",
        "hubs:provision",
        "--expires-in-days",
        "30",
        "--json",
      ],
      dbEnv,
    );
    expect(issued.code).toBe(0);
    expect(issued.stderr).toMatch(/cannot be shown again/);
    const key = JSON.parse(issued.stdout) as { id: string; prefix: string; key: string; expiresAt: string };
    expect(key.key).toMatch(/^hub_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(key.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    expect(await verifyInProcess(key.key)).toEqual({
      kind: "organization",
      id: orgId,
      orgId,
      permissions: ["hubs:provision"],
    });

    const listed = await cli(["keys", "list", "--org", orgId, "--json"], dbEnv);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: key.id, prefix: key.prefix, revokedAt: null }),
    ]);
    expect(listed.stdout).not.toContain(key.key.slice(-43));
    expect(listed.stdout).not.toContain("sha256$");

    const revoked = await cli(["keys", "revoke", key.prefix], dbEnv);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked API key ${key.prefix}`);
    expect(await verifyInProcess(key.key)).toBeNull();
  });

  it("fails with exit code 1 and one line, without a stack, and leaves the database usable", async () => {
    const dbEnv = { DATABASE_URL: testDb.url };
    expectOneLineFailure(
      await cli(["keys", "issue", "--org", "00000000-0000-4000-8000-000000000000", "--name", "x"], dbEnv),
      /Organization .* does not exist/,
    );
    expectOneLineFailure(await cli(["keys", "issue", "--name", "x"], dbEnv), /--org is required/);
    expectOneLineFailure(await cli(["keys", "revoke", "nothing-like-this"], dbEnv), /No API key/);
    expectOneLineFailure(await cli(["hubs", "delete"]), /unknown command/);
    // The failed runs closed the embedded database properly: it opens again.
    expect((await cli(["orgs", "create", "After Failures"], dbEnv)).code).toBe(0);
  });

  it("mints a gateway JWT that verifies with the configured secret", async () => {
    const result = await cli(
      [
        "tokens",
        "jwt",
        "--sub",
        "user-42",
        "--role",
        "admin",
        "--org",
        "org-1",
        "--permission",
        "hubs:read",
        "--expires-in",
        "600",
      ],
      { GATEWAY_JWT_SECRET: GATEWAY_SECRET },
    );
    expect(result.code).toBe(0);
    const claims = jwt.verify(result.stdout.trim(), GATEWAY_SECRET, {
      algorithms: ["HS256"],
      issuer: "hub-platform-dev",
      audience: "hub-api",
    }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: "user-42", role: "admin", org: "org-1", permissions: ["hubs:read"] });
    expect(claims.exp! - claims.iat!).toBe(600);
  });

  it("mints the JWT with the issuer and audience the gateway is configured with", async () => {
    const result = await cli(["tokens", "jwt", "--sub", "ops-1", "--role", "admin"], {
      GATEWAY_JWT_SECRET: GATEWAY_SECRET,
      JWT_ISSUER: "https://idp.example/",
      JWT_AUDIENCE: "hub-prod",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(
      jwt.verify(result.stdout.trim(), GATEWAY_SECRET, {
        algorithms: ["HS256"],
        issuer: "https://idp.example/",
        audience: "hub-prod",
      }),
    ).toMatchObject({ sub: "ops-1", role: "admin" });
  });

  it("falls back to one generated dev secrets file (mode 0600) when no secret is configured", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "hub-cli-"));
    try {
      const first = await cli(["tokens", "jwt", "--sub", "svc", "--role", "service"], {}, cwd);
      expect(first.code).toBe(0);
      const file = path.join(cwd, ".data/dev-secrets.json");
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const secrets = JSON.parse(await readFile(file, "utf8")) as {
        serviceJwtSecret: string;
        gatewayJwtSecret: string;
      };
      expect(
        jwt.verify(first.stdout.trim(), secrets.gatewayJwtSecret, { algorithms: ["HS256"] }),
      ).toMatchObject({
        role: "service",
      });

      const service = await cli(["tokens", "service", "--service", "ops"], {}, cwd);
      expect(service.code).toBe(0);
      expect(
        jwt.verify(service.stdout.trim(), secrets.serviceJwtSecret, { algorithms: ["HS256"] }),
      ).toMatchObject({
        sub: "ops",
        aud: "hub-service",
      });
      expect(JSON.parse(await readFile(file, "utf8"))).toEqual(secrets);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  describe("things, through the real AWS SDK against the local registry emulator", () => {
    let emulator: RegistryServer;
    let iotEnv: Record<string, string>;
    beforeAll(async () => {
      emulator = createRegistryServer({ store: new MemoryRegistryStore() });
      const { url } = await emulator.listen(0, "127.0.0.1");
      // No AWS credentials in the environment: the CLI must sign with local dummy ones.
      iotEnv = { AWS_ENDPOINT_URL_IOT: url };
    });
    afterAll(async () => {
      await emulator?.close();
    });

    it("creates, describes and lists things", async () => {
      const created = await cli(
        ["things", "create", "hub-thing-1", "--attr", "model=HUB-2", "--attr", "note=a=b"],
        iotEnv,
      );
      expect(created.code).toBe(0);
      expect(created.stdout).toContain("Created thing hub-thing-1");

      const described = await cli(["things", "describe", "hub-thing-1", "--json"], iotEnv);
      expect(described.code).toBe(0);
      expect(JSON.parse(described.stdout)).toMatchObject({
        thingName: "hub-thing-1",
        attributes: { model: "HUB-2", note: "a=b" },
      });

      expect((await cli(["things", "create", "hub-thing-2"], iotEnv)).code).toBe(0);
      const listed = await cli(["things", "list", "--max", "1", "--json"], iotEnv);
      expect((JSON.parse(listed.stdout) as { thingName: string }[]).map((t) => t.thingName)).toEqual([
        "hub-thing-1",
      ]);

      expectOneLineFailure(await cli(["things", "describe", "no-such-thing"], iotEnv), /does not exist/);
      expectOneLineFailure(await cli(["things", "create", "bad name!"], iotEnv), /valid AWS IoT thing name/);
    });

    it("connects and disconnects a thing's device on the emulator, as GetThingConnectivityData then reports", async () => {
      expect((await cli(["things", "create", "hub-thing-3"], iotEnv)).code).toBe(0);
      const status = async () =>
        JSON.parse((await cli(["things", "connectivity", "hub-thing-3", "--json"], iotEnv)).stdout);
      expect(await status()).toMatchObject({ thingName: "hub-thing-3", connected: false });
      const connected = await cli(["things", "connect", "hub-thing-3"], iotEnv);
      expect(connected).toMatchObject({ code: 0 });
      expect(connected.stdout).toContain("hub-thing-3: connected");
      expect(await status()).toMatchObject({ connected: true });
      expect((await cli(["things", "disconnect", "hub-thing-3"], iotEnv)).code).toBe(0);
      expect(await status()).toMatchObject({
        connected: false,
        disconnectReason: "CLIENT_INITIATED_DISCONNECT",
      });
      expectOneLineFailure(await cli(["things", "connect", "no-such-thing"], iotEnv), /does not exist/);
      expectOneLineFailure(await cli(["things", "connect", "hub-thing-3"], {}), /AWS_ENDPOINT_URL_IOT/);
    });
  });
});
