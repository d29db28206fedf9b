import { randomUUID } from "node:crypto";
import path from "node:path";
import { cloneTemplate, repoRoot, type TestDatabase, testEngine } from "@hub/test-support";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase } from "../src/db/client.ts";
import { webhookSecretKey } from "../src/event-delivery.ts";
import { createSecretBox } from "../src/webhooks/secrets.ts";
import { cli, expectOneLineFailure } from "./support/cli.ts";

const SERVICE_SECRET = "service-secret-for-webhook-cli-tests-0123456789";
const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]{43}=$/;

type Json = Record<string, any>;

// Each CLI run is a process opening the database (about a second on PGlite): roomier than 60 s.
describe(`webhooks CLI (${testEngine()})`, { timeout: 180_000 }, () => {
  // Connections are opened and closed around each use: a PGlite directory admits one process.
  let testDb: TestDatabase;
  let env: Record<string, string>;
  let orgId: string;
  beforeAll(async () => {
    testDb = await cloneTemplate(inject("dbTemplate"));
    // The test endpoints are on loopback: allowed only when set (development and tests).
    env = {
      DATABASE_URL: testDb.url,
      SERVICE_JWT_SECRET: SERVICE_SECRET,
      WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    };
    const org = await cli(["orgs", "create", "Webhook Partner", "--json"], env);
    expect(org.code, org.stderr).toBe(0);
    orgId = (JSON.parse(org.stdout) as { id: string }).id;
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  async function withDb<T>(use: (db: Awaited<ReturnType<typeof createDatabase>>) => Promise<T>): Promise<T> {
    const db = await createDatabase({ url: testDb.url });
    try {
      return await use(db);
    } finally {
      await db.close();
    }
  }

  /** The stored (sealed) secret, opened as hub-service opens it with its own settings. */
  async function storedSecret(id: string): Promise<{ sealed: string; opened: string }> {
    const row = await withDb((db) => db.prisma.webhookSubscription.findUniqueOrThrow({ where: { id } }));
    const box = createSecretBox(webhookSecretKey({ SERVICE_JWT_SECRET: SERVICE_SECRET }));
    return { sealed: row.secret, opened: box.open(row.secret) };
  }

  async function create(...extra: string[]): Promise<{ subscription: Json; secret: string }> {
    const result = await cli(
      ["webhooks", "create", "--org", orgId, "--url", "http://127.0.0.1:9/hooks", ...extra, "--json"],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { subscription: Json; secret: string };
  }

  it("create prints the signing secret once, sealed with the key hub-service derives; list shows it without the secret", async () => {
    const created = await cli(
      [
        "webhooks",
        "create",
        "--org",
        orgId,
        "--url",
        "http://127.0.0.1:9/hooks",
        "--event-type",
        "HubSuspended",
        "--event-type",
        "HubClaimed",
        "--description",
        "ERP sync",
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trimEnd().split("\n");
    const secret = lines.at(-1) ?? "";
    expect(secret).toMatch(SECRET_SHAPE);
    expect(lines[0]).toMatch(
      new RegExp(`^Created webhook subscription [0-9a-f-]{36} for organization ${orgId}$`),
    );
    expect(created.stdout).toContain("events: HubClaimed,HubSuspended");
    expect(created.stderr).toMatch(/warning: Store this signing secret now: it is shown only this once/);
    const id = /subscription ([0-9a-f-]{36})/.exec(lines[0] ?? "")?.[1] ?? "";

    // At rest only encrypted; hub-service, with the same SERVICE_JWT_SECRET, opens it.
    const stored = await storedSecret(id);
    expect(stored.sealed).not.toContain(secret.slice("whsec_".length));
    expect(stored.opened).toBe(secret);

    const listed = await cli(["webhooks", "list", "--org", orgId, "--json"], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(secret);
    const subscriptions = JSON.parse(listed.stdout) as Json[];
    expect(subscriptions).toContainEqual({
      id,
      orgId,
      url: "http://127.0.0.1:9/hooks",
      eventTypes: ["HubClaimed", "HubSuspended"],
      description: "ERP sync",
      status: "ACTIVE",
      pausedReason: null,
      previousSecretExpiresAt: null,
      failingSince: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      stats: { pending: 0, delivered: 0, dead: 0, attempts: 0, lagPositions: 0, oldestPendingAt: null },
    });
    const table = await cli(["webhooks", "list", "--org", orgId], env);
    expect(table.stdout).toMatch(
      new RegExp(`^${id}\\tACTIVE\\t${orgId}\\t0\\t0\\t0\\t0\\tHubClaimed,HubSuspended\\t`, "m"),
    );
    expect(table.stdout).not.toContain(secret);
    // Another organization's filter does not show it.
    const other = await cli(["webhooks", "list", "--org", randomUUID()], env);
    expect(other.stdout.trim()).toBe("No webhook subscriptions.");
  });

  it("update, pause with a reason, resume, rotate-secret with an overlap, delete", async () => {
    const { subscription, secret } = await create();
    const id = subscription.id as string;

    const updated = await cli(
      [
        "webhooks",
        "update",
        id,
        "--url",
        "http://127.0.0.1:9/v2",
        "--event-type",
        "HubDecommissioned",
        "--json",
      ],
      env,
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      id,
      url: "http://127.0.0.1:9/v2",
      eventTypes: ["HubDecommissioned"],
    });
    expect(updated.stdout).not.toContain("whsec_");
    const allEvents = await cli(
      ["webhooks", "update", id, "--all-events", "--description", "", "--json"],
      env,
    );
    expect(JSON.parse(allEvents.stdout)).toMatchObject({ eventTypes: [], description: null });

    const paused = await cli(["webhooks", "pause", id, "--reason", "partner maintenance", "--json"], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({
      status: "PAUSED",
      pausedReason: "partner maintenance",
    });
    const resumed = await cli(["webhooks", "resume", id, "--json"], env);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: "ACTIVE", pausedReason: null });

    const before = Date.now();
    const rotated = await cli(["webhooks", "rotate-secret", id, "--overlap-seconds", "3600", "--json"], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toMatch(/shown only this once/);
    const result = JSON.parse(rotated.stdout) as { subscription: Json; secret: string };
    expect(result.secret).toMatch(SECRET_SHAPE);
    expect(result.secret).not.toBe(secret);
    const expires = Date.parse(result.subscription.previousSecretExpiresAt as string);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
    expect((await storedSecret(id)).opened).toBe(result.secret);
    const immediate = await cli(["webhooks", "rotate-secret", id, "--overlap-seconds", "0", "--json"], env);
    expect(JSON.parse(immediate.stdout).subscription.previousSecretExpiresAt).toBeNull();

    const deleted = await cli(["webhooks", "delete", id], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`Deleted webhook subscription ${id}`);
    const listed = JSON.parse((await cli(["webhooks", "list", "--json"], env)).stdout) as Json[];
    expect(listed.map((s) => s.id)).not.toContain(id);
    expectOneLineFailure(await cli(["webhooks", "delete", id], env), /Webhook subscription not found/);
    expectOneLineFailure(await cli(["webhooks", "pause", id], env), /Webhook subscription not found/);
  });

  it("deliveries and replay on a subscription with nothing sent: an empty page, 0 replayed", async () => {
    const { subscription } = await create();
    const id = subscription.id as string;
    const page = await cli(["webhooks", "deliveries", "--subscription", id, "--json"], env);
    expect(page.code, page.stderr).toBe(0);
    expect(JSON.parse(page.stdout)).toEqual({ nodes: [], endCursor: null, hasNextPage: false });
    const table = await cli(["webhooks", "deliveries", "--subscription", id, "--status", "dead"], env);
    expect(table.stdout.trim()).toBe("No deliveries.");

    const bySubscription = await cli(["webhooks", "replay", "--subscription", id, "--json"], env);
    expect(bySubscription.code, bySubscription.stderr).toBe(0);
    expect(JSON.parse(bySubscription.stdout)).toEqual({ replayed: 0 });
    const byIds = await cli(["webhooks", "replay", "987654321", "987654322"], env);
    expect(byIds.stdout).toMatch(/^Nothing to replay/);

    // A mistyped subscription is an error, not an empty answer.
    expectOneLineFailure(
      await cli(["webhooks", "deliveries", "--subscription", randomUUID()], env),
      /Webhook subscription not found/,
    );
    expectOneLineFailure(
      await cli(["webhooks", "replay", "--subscription", randomUUID()], env),
      /Webhook subscription not found/,
    );
    expectOneLineFailure(
      await cli(["webhooks", "replay"], env),
      /give either delivery ids or --subscription/,
    );
    expectOneLineFailure(await cli(["webhooks", "replay", "x1"], env), /ids\.0/);
  });

  it("a dead letter is listed with its attempts and replayed by --subscription, then by id", async () => {
    const { subscription } = await create();
    const id = subscription.id as string;
    const hubId = randomUUID();
    // What the relay leaves after the last failed attempt (fan-out and relay are tested elsewhere).
    const deliveryId = await withDb(async (db) => {
      const [row] = await db.prisma.$queryRaw<{ id: bigint }[]>`
        INSERT INTO webhook_deliveries (subscription_id, hub_id, version, position, event_type, status, attempts, last_status, last_error, dead_at)
        VALUES (${id}::uuid, ${hubId}::uuid, 3, 42, 'HubSuspended', 'dead', 2, 500, 'server error', now())
        RETURNING id`;
      await db.prisma.$executeRaw`
        INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, status, error, duration_ms)
        VALUES (${row?.id}::int8, 1, now(), 503, NULL, 120), (${row?.id}::int8, 2, now(), 500, 'server error', 80)`;
      return String(row?.id);
    });

    const table = await cli(["webhooks", "deliveries", "--subscription", id, "--status", "DEAD"], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${deliveryId}\\tDEAD\\t2\\tHubSuspended\\t${hubId}:3\\tHTTP 500 \\(server error\\)\\t-\\t${id}$`,
        "m",
      ),
    );
    expect(table.stdout).toMatch(/^ {2}attempt 1 at \S+: HTTP 503 in 120 ms$/m);
    expect(table.stdout).toMatch(/^ {2}attempt 2 at \S+: HTTP 500 \(server error\) in 80 ms$/m);

    const replayed = await cli(["webhooks", "replay", "--subscription", id, "--json"], env);
    expect(JSON.parse(replayed.stdout)).toEqual({ replayed: 1 });
    const pending = JSON.parse(
      (await cli(["webhooks", "deliveries", "--subscription", id, "--json"], env)).stdout,
    ) as { nodes: Json[] };
    expect(pending.nodes).toEqual([
      expect.objectContaining({
        id: deliveryId,
        webhookId: `${hubId}:3`,
        status: "PENDING",
        attempts: 2,
        nextAttemptAt: expect.stringMatching(/^\d{4}-/),
        attemptLog: [
          expect.objectContaining({ attempt: 1, status: 503 }),
          expect.objectContaining({ attempt: 2 }),
        ],
      }),
    ]);
    // Pending: nothing to replay by id until it is dead or delivered again.
    expect(JSON.parse((await cli(["webhooks", "replay", deliveryId, "--json"], env)).stdout)).toEqual({
      replayed: 0,
    });
    await withDb(
      (db) =>
        db.prisma.$executeRaw`UPDATE webhook_deliveries SET status = 'dead' WHERE id = ${deliveryId}::int8`,
    );
    expect(JSON.parse((await cli(["webhooks", "replay", deliveryId, "--json"], env)).stdout)).toEqual({
      replayed: 1,
    });
  });

  it("a queue waiting behind a failing head, and then paused, lists with what each delivery waits for", async () => {
    const { subscription } = await create();
    const id = subscription.id as string;
    const hubId = randomUUID();
    // What the fan-out and a failing endpoint leave: the head waiting for its retry, the hub's
    // later event behind it with no time of its own ('infinity' until the head is done).
    const [head, behind] = await withDb(async (db) => {
      const rows = await db.prisma.$queryRaw<{ id: bigint }[]>`
        INSERT INTO webhook_deliveries (subscription_id, hub_id, version, position, event_type, attempts, last_status, next_attempt_at)
        VALUES (${id}::uuid, ${hubId}::uuid, 1, 50, 'HubProvisioned', 1, 503, now() + interval '5 minutes'),
               (${id}::uuid, ${hubId}::uuid, 2, 51, 'HubSuspended', 0, NULL, 'infinity')
        RETURNING id`;
      return rows.map((row) => String(row.id));
    });

    const table = await cli(["webhooks", "deliveries", "--subscription", id], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`^${behind}\tPENDING\t0\tHubSuspended\t${hubId}:2\t-\tafter delivery ${head}\t${id}$`, "m"),
    );
    expect(table.stdout).toMatch(
      new RegExp(`^${head}\tPENDING\t1\tHubProvisioned\t${hubId}:1\tHTTP 503\t\\d{4}-\\S+\t${id}$`, "m"),
    );
    const json = async () =>
      (
        JSON.parse((await cli(["webhooks", "deliveries", "--subscription", id, "--json"], env)).stdout) as {
          nodes: Json[];
        }
      ).nodes.map(({ id: deliveryId, nextAttemptAt, waitingReason, waitingFor }) => ({
        deliveryId,
        nextAttemptAt,
        waitingReason,
        waitingFor,
      }));
    expect(await json()).toEqual([
      { deliveryId: behind, nextAttemptAt: null, waitingReason: "QUEUED_BEHIND", waitingFor: head },
      {
        deliveryId: head,
        nextAttemptAt: expect.stringMatching(/^\d{4}-/),
        waitingReason: null,
        waitingFor: null,
      },
    ]);

    const paused = await cli(["webhooks", "pause", id, "--json"], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(await json()).toEqual([
      { deliveryId: behind, nextAttemptAt: null, waitingReason: "SUBSCRIPTION_PAUSED", waitingFor: null },
      { deliveryId: head, nextAttemptAt: null, waitingReason: "SUBSCRIPTION_PAUSED", waitingFor: null },
    ]);
    const held = await cli(["webhooks", "deliveries", "--subscription", id], env);
    expect(held.stdout).toMatch(new RegExp(`^${head}\tPENDING\t.*\theld: subscription paused\t${id}$`, "m"));
  });

  it("refuses what the API refuses, and a key other than hub-service's", async () => {
    expectOneLineFailure(
      await cli(["webhooks", "create", "--org", orgId, "--url", "ftp://127.0.0.1/x"], env),
      /url: must be an http\(s\) URL without credentials/,
    );
    expectOneLineFailure(
      await cli(["webhooks", "create", "--org", orgId, "--url", "https://user:pw@example.com/x"], env),
      /url: must be an http\(s\) URL without credentials/,
    );
    expectOneLineFailure(
      await cli(
        [
          "webhooks",
          "create",
          "--org",
          orgId,
          "--url",
          "https://example.com/x",
          "--event-type",
          "HubExploded",
        ],
        env,
      ),
      /eventTypes\.0/,
    );
    expectOneLineFailure(
      await cli(["webhooks", "create", "--org", randomUUID(), "--url", "https://example.com/x"], env),
      /orgId: no such organization/,
    );
    expectOneLineFailure(
      await cli(["webhooks", "create", "--url", "https://example.com/x"], env),
      /--org is required/,
    );
    expectOneLineFailure(await cli(["webhooks", "update", randomUUID()], env), /nothing to change/);
    expectOneLineFailure(await cli(["webhooks", "resume", "not-a-uuid"], env), /id:/);

    // Subscriptions exist (the cases above): a secret sealed under another key could not be opened.
    await create();
    const otherKey = { ...env, SERVICE_JWT_SECRET: "another-service-secret-0123456789abcdefgh" };
    expectOneLineFailure(
      await cli(["webhooks", "create", "--org", orgId, "--url", "https://example.com/x"], otherKey),
      /does not open the stored webhook secrets/,
    );

    // Production: its own key is required, and subscription URLs must be https to a public host.
    const production = { ...env, NODE_ENV: "production", WEBHOOK_ALLOW_PRIVATE_URLS: "false" };
    expectOneLineFailure(
      await cli(["webhooks", "list"], production),
      /WEBHOOK_SECRET_KEY is required in production/,
    );
    // The key that hub-service derives here, given explicitly: the stored secrets still open.
    const withKey = {
      ...production,
      WEBHOOK_SECRET_KEY: webhookSecretKey({ SERVICE_JWT_SECRET: SERVICE_SECRET }),
    };
    expectOneLineFailure(
      await cli(["webhooks", "create", "--org", orgId, "--url", "http://127.0.0.1:9/hooks"], withKey),
      /url must be https/,
    );
    const https = await cli(
      ["webhooks", "create", "--org", orgId, "--url", "https://hooks.example.com/in", "--json"],
      withKey,
    );
    expect(https.code, https.stderr).toBe(0);
    expect(JSON.parse(https.stdout).subscription.url).toBe("https://hooks.example.com/in");
  });
});
