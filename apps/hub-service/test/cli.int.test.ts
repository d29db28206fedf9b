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
      apiKey: { id: key.id, orgId, permissions: ["hubs:provision"] },
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

  it("rotates a key with an overlap, lists organizations, and audits as the CLI's user", async () => {
    const dbEnv = { DATABASE_URL: testDb.url };
    const org = JSON.parse((await cli(["orgs", "create", "Rotating Co", "--json"], dbEnv)).stdout) as {
      id: string;
    };
    const issued = JSON.parse(
      (await cli(["keys", "issue", "--org", org.id, "--name", "r", "--json"], dbEnv)).stdout,
    ) as { id: string; key: string };
    const rotated = await cli(["keys", "rotate", issued.id, "--overlap", "600", "--json"], dbEnv);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toMatch(/cannot be shown again/);
    const answer = JSON.parse(rotated.stdout) as {
      key: string;
      previous: { replacedById: string };
      apiKey: { id: string };
      previousKeyRetiresAt: string;
    };
    expect(answer.previous.replacedById).toBe(answer.apiKey.id);
    expect(Date.parse(answer.previousKeyRetiresAt)).toBeGreaterThan(Date.now() + 500_000);
    expect(await verifyInProcess(issued.key)).not.toBeNull();
    expect(await verifyInProcess(answer.key)).not.toBeNull();
    expectOneLineFailure(
      await cli(["keys", "rotate", issued.id, "--overlap", "0"], dbEnv),
      /already rotated/,
    );
    expectOneLineFailure(await cli(["keys", "rotate", issued.id, "--overlap", "604801"], dbEnv), /--overlap/);

    const listed = await cli(["orgs", "list", "--json"], dbEnv);
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: org.id, name: "Rotating Co" })]),
    );

    const db = await createDatabase({ url: testDb.url });
    try {
      const actors = await db.prisma.auditRecord.findMany({
        where: { targetId: { in: [org.id, issued.id, answer.apiKey.id] } },
        select: { action: true, actorKind: true, actorId: true },
      });
      expect(actors.map((a) => a.action).sort()).toEqual([
        "apiKey.issued",
        "apiKey.issued",
        "apiKey.rotated",
        "organization.created",
      ]);
      for (const actor of actors) {
        expect(actor.actorKind).toBe("admin");
        expect(actor.actorId).toMatch(/^cli:/);
      }
    } finally {
      await db.close();
    }
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

    it("sets and shows how a thing's simulated hub answers commands, on the emulator", async () => {
      expect((await cli(["things", "create", "hub-thing-4"], iotEnv)).code).toBe(0);
      expect((await cli(["things", "connect", "hub-thing-4"], iotEnv)).code).toBe(0);
      const shown = await cli(["things", "hub", "hub-thing-4"], iotEnv);
      expect(shown).toMatchObject({ code: 0 });
      expect(shown.stdout).toMatch(/^hub-thing-4: hub answer, answers after \d+ ms, firmware \S+\n$/);

      const failing = await cli(
        ["things", "hub", "hub-thing-4", "fail", "--reason", "disk full", "--delay-ms", "0", "--json"],
        iotEnv,
      );
      expect(failing.code).toBe(0);
      expect(JSON.parse(failing.stdout)).toEqual({
        thingName: "hub-thing-4",
        mode: "fail",
        reason: "disk full",
        delayMs: 0,
        firmwareVersion: expect.any(String),
      });
      // What the control API reports is what the CLI set.
      expect(await emulator.hubs.behaviour("hub-thing-4")).toMatchObject({
        mode: "fail",
        reason: "disk full",
      });

      const connectivity = async () =>
        JSON.parse((await cli(["things", "connectivity", "hub-thing-4", "--json"], iotEnv)).stdout);
      const offline = await cli(["things", "hub", "hub-thing-4", "offline"], iotEnv);
      expect(offline.stdout).toContain("hub-thing-4: hub offline");
      expect(await connectivity()).toMatchObject({ connected: false, disconnectReason: "CONNECTION_LOST" });
      const answering = await cli(
        ["things", "hub", "hub-thing-4", "answer", "--firmware", "9.9.9", "--delay-ms", "250", "--json"],
        iotEnv,
      );
      expect(JSON.parse(answering.stdout)).toMatchObject({
        mode: "answer",
        delayMs: 250,
        firmwareVersion: "9.9.9",
      });
      expect(await connectivity()).toMatchObject({ connected: true });
      expect(
        JSON.parse((await cli(["things", "hub", "hub-thing-4", "--json"], iotEnv)).stdout),
      ).toMatchObject({
        mode: "answer",
        firmwareVersion: "9.9.9",
      });
    });

    it("refuses a bad simulated-hub setting with one line (usage, the emulator's 400, a missing thing)", async () => {
      expect((await cli(["things", "create", "hub-thing-5"], iotEnv)).code).toBe(0);
      expectOneLineFailure(
        await cli(["things", "hub", "hub-thing-5", "sulk"], iotEnv),
        /mode must be one of/,
      );
      expectOneLineFailure(
        await cli(["things", "hub", "hub-thing-5", "answer", "--reason", "x"], iotEnv),
        /--reason goes with fail or reject/,
      );
      expectOneLineFailure(
        await cli(["things", "hub", "hub-thing-5", "--firmware", "1.0"], iotEnv),
        /go with a mode/,
      );
      expectOneLineFailure(
        await cli(["things", "hub", "hub-thing-5", "fail", "--delay-ms", "1.5"], iotEnv),
        /--delay-ms/,
      );
      expectOneLineFailure(
        await cli(["things", "hub", "hub-thing-5", "fail", "--firmware", "x".repeat(65)], iotEnv),
        /emulator answered 400/,
      );
      expectOneLineFailure(await cli(["things", "hub", "no-such-thing", "silent"], iotEnv), /does not exist/);
      expectOneLineFailure(await cli(["things", "hub", "hub-thing-5"], {}), /AWS_ENDPOINT_URL_IOT/);
    });
  });
});
