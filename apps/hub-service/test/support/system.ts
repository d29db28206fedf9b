import { CreateThingCommand, IoTClient } from "@aws-sdk/client-iot";
import { createHubServiceClient } from "@hub/hub-client";
import {
  createRegistryServer,
  emulatorControl,
  MemoryRegistryStore,
  type RegistryServer,
} from "@hub/iot-registry-emulator";
import { mintServiceToken } from "@hub/server-kit";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { createHubServiceApp, type HubServiceApp } from "../../src/app.ts";
import type { Database } from "../../src/db/client.ts";
import { loadEnv } from "../../src/env.ts";

export const SERVICE_SECRET = "test-service-secret-0123456789abcdef-0123456789";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

export type RunningHubService = {
  readonly url: string;
  readonly app: HubServiceApp;
  readonly emulator: RegistryServer;
  readonly emulatorUrl: string;
  readonly client: ReturnType<typeof createHubServiceClient>;
  createThing(name: string): Promise<void>;
  /** The device of Thing `name` connects (or drops off), as GetThingConnectivityData then reports. */
  setConnected(name: string, connected: boolean): Promise<void>;
};

/**
 * hub-service as a real HTTP server on an ephemeral port, with the registry emulator behind the
 * real AWS SDK and the given database. The deadlines are short so fault tests stay fast.
 */
export function useHubService(
  database: { readonly url: string; readonly current: Database },
  overrides: Record<string, string> = {},
) {
  let running: RunningHubService | undefined;
  let iot: IoTClient | undefined;
  beforeAll(async () => {
    const emulator = createRegistryServer({ store: new MemoryRegistryStore() });
    const { url: emulatorUrl } = await emulator.listen(0, "127.0.0.1");
    // The SDK's standard credential chain reads these; the emulator only checks their shape.
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    const env = loadEnv({
      DATABASE_URL: database.url,
      HUB_SERVICE_PORT: "0",
      SERVICE_JWT_SECRET: SERVICE_SECRET,
      AWS_ENDPOINT_URL_IOT: emulatorUrl,
      IOT_DEADLINE_MS: "1500",
      IOT_ATTEMPT_TIMEOUT_MS: "400",
      LOG_LEVEL: "silent",
      WEBHOOK_ALLOW_PRIVATE_URLS: "true",
      ...overrides,
    });
    const app = await createHubServiceApp(env, pino({ level: "silent" }), { db: database.current });
    const url = await app.listen();
    await untilReady(url);
    iot = new IoTClient({ endpoint: emulatorUrl, region: "us-east-1", credentials });
    const client = createHubServiceClient({
      url,
      serviceToken: mintServiceToken(SERVICE_SECRET, "test-suite"),
    });
    const sdk = iot;
    running = {
      url,
      app,
      emulator,
      emulatorUrl,
      client,
      async createThing(name) {
        await sdk.send(new CreateThingCommand({ thingName: name }));
      },
      setConnected: emulatorControl(emulatorUrl).setConnected,
    };
  });
  afterAll(async () => {
    iot?.destroy();
    await running?.app.close();
    await running?.emulator.close();
  });
  return {
    get current(): RunningHubService {
      if (!running) throw new Error("hub-service not started");
      return running;
    },
  };
}

/**
 * As a deployment waits for /readyz before sending traffic. On PGlite the first seconds after a
 * start hold the process's event loop (the embedded engine warming up its catalogs in-process, where
 * the emulator and the service also run): a test starting then saw its AWS calls time out and the
 * breaker open, for reasons no production instance meets.
 */
async function untilReady(url: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const status = await fetch(`${url}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`hub-service not ready within ${limitMs} ms (last ${status})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
