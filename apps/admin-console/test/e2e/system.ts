import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CreateThingCommand, IoTClient } from "@aws-sdk/client-iot";
import { childEnv, freePort, repoRoot, TEST_SECRETS } from "@hub/test-support";
import jwt from "jsonwebtoken";

/** The whole system exactly as `npm start` starts it (scripts/start.ts), on a database of its own. */
export type ConsoleSystem = {
  readonly gatewayUrl: string;
  /** The registry emulator `npm start` runs (for registering Things). */
  readonly iotEndpoint: string;
  /** The sign-in link `npm start` prints for the demo admin. */
  readonly signInLink: string;
  readonly output: () => string;
  token(claims: Record<string, unknown>, subject: string): string;
  /** hub-service's own URL (tRPC under /trpc), reachable while the gateway is down. */
  readonly hubServiceUrl: string;
  /** Connects or disconnects a Thing's emulated device (its presence events reach the hub). */
  setConnected(thingName: string, connected: boolean): Promise<void>;
  /** Stops the gateway alone (SIGUSR2 to npm start); resolves once its process has exited. */
  stopGateway(): Promise<void>;
  /** Starts it again (the next SIGUSR2); resolves once it answers. */
  startGateway(): Promise<void>;
  /** Registers Things and provisions hubs through the public bulk API; returns them in serial order. */
  provisionHubs(serials: readonly string[]): Promise<{ hubId: string; serial: string }[]>;
  stop(): Promise<void>;
};

export async function startConsoleSystem(options: {
  databaseUrl: string;
  /** More environment for `npm start` and the services it starts (e.g. a faster webhook retry schedule). */
  env?: Readonly<Record<string, string>>;
}): Promise<ConsoleSystem> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "hub-console-e2e-"));
  const [gatewayPort, hubPort, emulatorPort, relayPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const log = createWriteStream(path.join(dataDir, "npm-start.log"));
  let output = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: repoRoot,
    env: childEnv({
      DATABASE_URL: options.databaseUrl,
      HUB_DATA_DIR: dataDir,
      GATEWAY_PORT: String(gatewayPort),
      HUB_SERVICE_PORT: String(hubPort),
      IOT_EMULATOR_PORT: String(emulatorPort),
      RELAY_PORT: String(relayPort),
      SERVICE_JWT_SECRET: TEST_SECRETS.service,
      GATEWAY_JWT_SECRET: TEST_SECRETS.gatewayJwt,
      LOG_LEVEL: "warn",
      ...options.env,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signInLink = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start printed no sign-in link:\n${output}`)),
      150_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      log.write(chunk);
      const match = /Admin console: (\S+#token=\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`));
    });
  });
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const token = (claims: Record<string, unknown>, subject: string) =>
    jwt.sign(claims, TEST_SECRETS.gatewayJwt, {
      algorithm: "HS256",
      issuer: "hub-platform-dev",
      audience: "hub-api",
      subject,
      expiresIn: "1h",
    });
  const iot = new IoTClient({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${emulatorPort}`,
    credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
  });

  /** Resolves once npm start's output holds `text` `times` times. */
  const printed = (text: string, times: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.split(text).length - 1 < times) return false;
        clearInterval(timer);
        resolve();
        return true;
      };
      const timer = setInterval(() => {
        if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`npm start exited while waiting for "${text}"`));
        } else check();
      }, 50);
      check();
    });
  let stops = 0;
  let starts = 0;

  return {
    gatewayUrl,
    hubServiceUrl: `http://127.0.0.1:${hubPort}`,
    async setConnected(thingName, connected) {
      // The emulator's control API (what `npm run cli -- things connect` calls).
      const response = await fetch(
        `http://127.0.0.1:${emulatorPort}/__emulator/things/${encodeURIComponent(thingName)}/connectivity`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ connected }),
        },
      );
      if (!response.ok) throw new Error(`connectivity of ${thingName}: ${response.status}`);
    },
    stopGateway() {
      stops += 1;
      child.kill("SIGUSR2");
      return printed("gateway: stopped\n", stops);
    },
    startGateway() {
      starts += 1;
      child.kill("SIGUSR2");
      return printed("gateway: started again", starts);
    },
    iotEndpoint: `http://127.0.0.1:${emulatorPort}`,
    signInLink,
    output: () => output,
    token,
    async provisionHubs(serials) {
      const hubs = serials.map((serial) => ({
        hubId: randomUUID(),
        serial,
        model: "HUB-2",
        vendorName: "Acme",
        thingName: `console-${serial.toLowerCase()}`,
      }));
      for (const hub of hubs) await iot.send(new CreateThingCommand({ thingName: hub.thingName }));
      const response = await fetch(`${gatewayUrl}/hubs/ProvisionHubs`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token({ role: "service" }, "console-e2e-line")}`,
        },
        body: JSON.stringify({ hubs }),
      });
      const body = (await response.json()) as { summary: { created: number } };
      if (response.status !== 200 || body.summary.created !== hubs.length) {
        throw new Error(`provisioning failed: ${response.status} ${JSON.stringify(body)}`);
      }
      return hubs.map(({ hubId, serial }) => ({ hubId, serial }));
    },
    async stop() {
      iot.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      log.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One hub provisioned the way a partner does it: its Thing registered in the system's registry
 * emulator (`iotEndpoint`: the emulator's URL), then `POST /hubs/{id}/ProvisionHub` with the
 * organization's API key as X-API-Key. Returns the answer's status and the hub.
 */
export async function provisionHubWithKey(
  system: Pick<ConsoleSystem, "gatewayUrl"> & { readonly iotEndpoint: string },
  apiKey: string,
  serial: string,
): Promise<{ status: number; hubId: string; serial: string }> {
  const hub = {
    hubId: randomUUID(),
    serial,
    model: "HUB-2",
    vendorName: "Acme",
    thingName: `console-key-${serial.toLowerCase()}`,
  };
  const iot = new IoTClient({
    region: "us-east-1",
    endpoint: system.iotEndpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
  });
  try {
    await iot.send(new CreateThingCommand({ thingName: hub.thingName }));
  } finally {
    iot.destroy();
  }
  const response = await fetch(`${system.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify(hub),
  });
  await response.text();
  return { status: response.status, hubId: hub.hubId, serial };
}
