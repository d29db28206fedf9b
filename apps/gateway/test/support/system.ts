import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { CreateThingCommand, IoTClient } from "@aws-sdk/client-iot";
import { emulatorControl, type FaultSpec, type RequestCounts } from "@hub/iot-registry-emulator";
import {
  cloneTemplate,
  freePort,
  repoRoot,
  type System,
  startService,
  startSystem,
  type TestDatabase,
  waitUntil,
} from "@hub/test-support";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, inject } from "vitest";

const run = promisify(execFile);

/** The operator CLI, as an operator runs it (the gateway never opens the database itself). */
async function cli(databaseUrl: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "apps/hub-service/src/cli/main.ts", ...args, "--json"],
    {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

export type E2E = {
  readonly system: System;
  /** The test file's own database (what hub-service uses unless the env points it elsewhere). */
  readonly databaseUrl: string;
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly readOnlyApiKey: string;
  /** The organization's key with every permission (hubs:provision, hubs:read, hubs:manage, webhooks:manage). */
  readonly manageApiKey: string;
  readonly orgId: string;
  /** A second organization, with every hub permission, for isolation tests. */
  readonly otherOrg: { readonly id: string; readonly apiKey: string };
  token(claims: Record<string, unknown>, options?: jwt.SignOptions): string;
  createThing(name: string): Promise<void>;
  setFault(fault: { mode: string; delayMs?: number; times?: number }): Promise<void>;
  /** The device of Thing `name` connects (or drops off), as GetThingConnectivityData then reports. */
  setConnected(name: string, connected: boolean): Promise<void>;
  /** The registry emulator's API request counts (to wait for "held in flight" instead of sleeping). */
  registryRequests(): Promise<RequestCounts>;
  newHub(
    overrides?: Record<string, string>,
  ): Promise<{ hubId: string; serial: string; model: string; thingName: string; vendorName: string }>;
  /** A second gateway in front of the same hub-service, with other settings. */
  startGateway(
    env: Record<string, string>,
  ): Promise<{ url: string; logFile: string; stop(signal?: NodeJS.Signals): Promise<void> }>;
  /** Marks a credential the test sent, so the end-of-file log scan looks for it too. */
  remember(secret: string): string;
};

/** Settings for the system; a function receives the test database first (e.g. to put a proxy before it). */
export type SystemEnv =
  | Record<string, string>
  | ((database: { url: string }) => Record<string, string> | Promise<Record<string, string>>);

/**
 * Every credential a test sent must be absent from every log line of every process (gateway,
 * extra gateways, hub-service, emulator), whatever the outcome of the request.
 */
export async function findCredentialsInLogs(logDir: string, secrets: ReadonlySet<string>): Promise<string[]> {
  const leaks: string[] = [];
  for (const file of (await readdir(logDir)).filter((name) => name.endsWith(".log"))) {
    const log = await readFile(path.join(logDir, file), "utf8");
    for (const secret of secrets) {
      if (log.includes(secret)) leaks.push(`${file} contains a credential starting ${secret.slice(0, 12)}…`);
    }
    // Also credentials no test knows of, e.g. the service token the gateway mints for hub-service.
    for (const [name, pattern] of CREDENTIAL_SHAPES) {
      const found = pattern.exec(log)?.[0];
      if (found) leaks.push(`${file} contains ${name}: ${found.slice(0, 16)}…`);
    }
  }
  return leaks;
}

export const CREDENTIAL_SHAPES: [string, RegExp][] = [
  ["a JWT", /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*/],
  ["an API key", /hub_[A-Za-z0-9]{12}_[\w-]{43}/],
  ["a webhook signing secret", /whsec_[A-Za-z0-9+/]{20,}/],
  ["a bearer credential", /Bearer\s+[\w.~+/-]{16,}/i],
  // A logged header or field holding a value (pino's redaction writes "[redacted]" instead).
  [
    "a credential header value",
    /"(?:authorization|x-api-key|apiKey|token)"\s*:\s*"(?!\[redacted\])[^"]{8,}"/i,
  ],
];

/** The real processes (emulator, hub-service, gateway) on a fresh database, for one test file. */
export function useSystem(
  env: SystemEnv = {},
  options: {
    /** The compiled dist/ entries under plain node. */ built?: boolean;
    /** Also run the event relay, with these settings. */ relay?: Record<string, string>;
  } = {},
): { readonly current: E2E } {
  let e2e: E2E | undefined;
  let database: TestDatabase | undefined;
  let iot: IoTClient | undefined;
  const extraGateways: { stop(): Promise<void> }[] = [];
  const sentCredentials = new Set<string>();
  const remember = (secret: string) => {
    // Very short values would match by chance; the scan is about real credentials.
    if (secret.length >= 16) sentCredentials.add(secret);
    return secret;
  };
  beforeAll(async () => {
    database = await cloneTemplate(inject("dbTemplate"));
    // Keys are created before the services start: one PGlite directory admits one process.
    const url = database.url;
    const org = (await cli(url, "orgs", "create", `Org ${randomUUID()}`)) as { id: string };
    const issue = async (name: string, permissions: string[], orgId = org.id) =>
      (
        await cli(
          url,
          "keys",
          "issue",
          "--org",
          orgId,
          "--name",
          name,
          ...permissions.flatMap((p) => ["--permission", p]),
        )
      ).key as string;
    const everything = ["hubs:provision", "hubs:read", "hubs:manage", "webhooks:manage"];
    const apiKey = remember(await issue("e2e", ["hubs:provision"]));
    const readOnlyApiKey = remember(await issue("e2e-ro", ["hubs:read"]));
    const manageApiKey = remember(await issue("e2e-manage", everything));
    const other = (await cli(url, "orgs", "create", `Other org ${randomUUID()}`)) as { id: string };
    const otherOrg = { id: other.id, apiKey: remember(await issue("e2e-other", everything, other.id)) };

    const systemEnv = typeof env === "function" ? await env({ url }) : env;
    const system = await startSystem({
      databaseUrl: database.url,
      env: systemEnv,
      built: options.built ?? false,
      ...(options.relay ? { relay: options.relay } : {}),
    });
    for (const secret of Object.values(system.secrets)) remember(secret);
    const sdk = new IoTClient({
      endpoint: system.emulator.url,
      region: "us-east-1",
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
    iot = sdk;
    const control = emulatorControl(system.emulator.url);
    const createThing = async (name: string) => {
      await sdk.send(new CreateThingCommand({ thingName: name }));
    };
    e2e = {
      system,
      databaseUrl: url,
      gatewayUrl: system.gateway.url,
      apiKey,
      readOnlyApiKey,
      manageApiKey,
      orgId: org.id,
      otherOrg,
      token: (claims, options = {}) =>
        remember(
          jwt.sign(claims, system.secrets.gatewayJwt, {
            algorithm: "HS256",
            issuer: "hub-platform-dev",
            audience: "hub-api",
            expiresIn: "5m",
            ...options,
          }),
        ),
      remember,
      createThing,
      // Tests pass plain objects; the emulator validates them (an unknown mode is a 400 there).
      setFault: (fault) => control.setFault(fault as FaultSpec),
      // The presence event it emits is delivered (to a hub that exists, or dropped for a Thing that
      // is no hub yet) before the test goes on: a late HubConnected would move the hub's version.
      async setConnected(name, connected) {
        await control.setConnected(name, connected);
        await waitUntil(
          async () => {
            const rule = await control.ruleStats();
            return rule.status === "ENABLED" && rule.queued === 0;
          },
          "the topic rule to deliver the presence event",
          { timeoutMs: 20_000 },
        );
      },
      registryRequests: control.requests,
      async newHub(overrides = {}) {
        const hubId = randomUUID();
        const hub = {
          hubId,
          serial: `SN-${hubId}`,
          model: "HUB-2",
          thingName: `thing-${hubId}`,
          vendorName: "Acme",
          ...overrides,
        };
        await createThing(hub.thingName);
        return hub;
      },
      async startGateway(gatewayEnv) {
        const port = await freePort();
        const gateway = await startService({
          name: `gateway-${port}`,
          entry: "apps/gateway/src/main.ts",
          env: {
            HUB_SERVICE_URL: system.hubService.url,
            GATEWAY_PORT: String(port),
            SERVICE_JWT_SECRET: system.secrets.service,
            GATEWAY_JWT_SECRET: system.secrets.gatewayJwt,
            ...gatewayEnv,
          },
          port,
          readyPath: "/healthz",
          logDir: system.logDir,
        });
        extraGateways.push(gateway);
        return { url: gateway.url, logFile: gateway.logFile, stop: (signal) => gateway.stop(signal) };
      },
    };
  });
  afterAll(async () => {
    iot?.destroy();
    for (const gateway of extraGateways) await gateway.stop();
    await e2e?.system.stop();
    await database?.drop();
    // After the processes exit, so every log line is on disk.
    if (e2e) {
      const leaks = await findCredentialsInLogs(e2e.system.logDir, sentCredentials);
      if (leaks.length > 0) throw new Error(`credentials in logs:\n${leaks.join("\n")}`);
    }
  });
  return {
    get current() {
      if (!e2e) throw new Error("system not started");
      return e2e;
    },
  };
}
