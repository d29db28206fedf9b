import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { CreateThingCommand, IoTClient } from "@aws-sdk/client-iot";
import {
  cloneTemplate,
  freePort,
  repoRoot,
  type System,
  startService,
  startSystem,
  type TestDatabase,
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
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly readOnlyApiKey: string;
  readonly orgId: string;
  token(claims: Record<string, unknown>, options?: jwt.SignOptions): string;
  createThing(name: string): Promise<void>;
  setFault(fault: { mode: string; delayMs?: number; times?: number }): Promise<void>;
  newHub(
    overrides?: Record<string, string>,
  ): Promise<{ hubId: string; serial: string; model: string; thingName: string; vendorName: string }>;
  /** A second gateway in front of the same hub-service, with other settings. */
  startGateway(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }>;
};

/** The real processes (emulator, hub-service, gateway) on a fresh database, for one test file. */
export function useSystem(env: Record<string, string> = {}): { readonly current: E2E } {
  let e2e: E2E | undefined;
  let database: TestDatabase | undefined;
  let iot: IoTClient | undefined;
  const extraGateways: { stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    database = await cloneTemplate(inject("dbTemplate"));
    // Keys are created before the services start: one PGlite directory admits one process.
    const url = database.url;
    const org = (await cli(url, "orgs", "create", `Org ${randomUUID()}`)) as { id: string };
    const issue = async (name: string, permission: string) =>
      (await cli(url, "keys", "issue", "--org", org.id, "--name", name, "--permission", permission))
        .key as string;
    const apiKey = await issue("e2e", "hubs:provision");
    const readOnlyApiKey = await issue("e2e-ro", "hubs:read");

    const system = await startSystem({ databaseUrl: database.url, env });
    const sdk = new IoTClient({
      endpoint: system.emulator.url,
      region: "us-east-1",
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
    iot = sdk;
    const createThing = async (name: string) => {
      await sdk.send(new CreateThingCommand({ thingName: name }));
    };
    e2e = {
      system,
      gatewayUrl: system.gateway.url,
      apiKey,
      readOnlyApiKey,
      orgId: org.id,
      token: (claims, options = {}) =>
        jwt.sign(claims, system.secrets.gatewayJwt, {
          algorithm: "HS256",
          issuer: "hub-platform-dev",
          audience: "hub-api",
          expiresIn: "5m",
          ...options,
        }),
      createThing,
      async setFault(fault) {
        const response = await fetch(`${system.emulator.url}/__emulator/fault`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(fault),
        });
        if (!response.ok) throw new Error(`fault control answered ${response.status}`);
      },
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
          entry: "apps/gateway/src/server.ts",
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
        return { url: gateway.url, stop: () => gateway.stop() };
      },
    };
  });
  afterAll(async () => {
    iot?.destroy();
    for (const gateway of extraGateways) await gateway.stop();
    await e2e?.system.stop();
    await database?.drop();
  });
  return {
    get current() {
      if (!e2e) throw new Error("system not started");
      return e2e;
    },
  };
}
