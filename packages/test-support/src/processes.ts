import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./databases.ts";
import { childEnv } from "./env.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type ServiceProcess = {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Settles when the process has exited, with how it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
};

export type ServiceOptions = {
  name: string;
  entry: string;
  env: Record<string, string>;
  port: number;
  readyPath: string;
  logDir: string;
  timeoutMs?: number;
};

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Starts one of the project's services as a real process (node + tsx), logs to a file. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: "a" });
  // A built entry (dist/*.js) runs under plain node, as in production; sources run under tsx.
  const entry = path.join(repoRoot, options.entry);
  const child = spawn(
    process.execPath,
    options.entry.endsWith(".js") ? [entry] : ["--import", "tsx", entry],
    {
      cwd: repoRoot,
      env: childEnv({ LOG_LEVEL: "info", ...options.env }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${options.port}`;
  await waitForHttp(`${url}${options.readyPath}`, child, options.timeoutMs ?? 60_000);
  return {
    name: options.name,
    url,
    child,
    logFile,
    exited,
    stop: (signal = "SIGTERM") =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        // Longer than the services' own drain deadline (15 s), so a SIGKILL here means a stuck drain.
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(signal);
      }),
  };
}

export type ServiceName = "gateway" | "hubService" | "emulator" | "relay";

export type System = {
  /** The running process of each service (a restart replaces it). */
  readonly gateway: ServiceProcess;
  readonly hubService: ServiceProcess;
  readonly emulator: ServiceProcess;
  /** The event relay (webhooks, and JetStream with NATS_URL), when started with `relay: true`. */
  readonly relay: ServiceProcess;
  readonly logDir: string;
  readonly secrets: { readonly service: string; readonly gatewayJwt: string };
  /** Stops one service with `signal` (SIGTERM drains, SIGKILL is a crash) and waits for its exit. */
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again with the same port and settings (and its data). */
  startService(name: ServiceName): Promise<ServiceProcess>;
  stop(): Promise<void>;
};

export const TEST_SECRETS = {
  service: "e2e-service-secret-0123456789abcdef0123456789",
  gatewayJwt: "e2e-gateway-jwt-secret-0123456789abcdef012345",
};

/** The whole system as a client meets it: emulator, hub-service and gateway processes. */
export async function startSystem(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  /** Run the compiled `dist/` entries (`npm run build`) instead of the sources. */
  built?: boolean;
  /** Also start the event relay, with these settings on top of its defaults (short test schedules). */
  relay?: boolean | Record<string, string>;
}): Promise<System> {
  const entry = (app: string, source: string) =>
    options.built ? `apps/${app}/dist/${source.replace(/\.ts$/, ".js")}` : `apps/${app}/src/${source}`;
  const logDir = await mkdtemp(path.join(os.tmpdir(), "hub-e2e-logs-"));
  const [emulatorPort, hubPort, gatewayPort, relayPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const specs: Record<ServiceName, ServiceOptions> = {
    emulator: {
      name: "iot-registry-emulator",
      entry: entry("iot-registry-emulator", "main.ts"),
      env: {
        IOT_EMULATOR_PORT: String(emulatorPort),
        IOT_EMULATOR_DATA_DIR: path.join(logDir, "iot-registry"),
      },
      port: emulatorPort,
      readyPath: "/__emulator/health",
      logDir,
    },
    hubService: {
      name: "hub-service",
      entry: entry("hub-service", "main.ts"),
      env: {
        DATABASE_URL: options.databaseUrl,
        HUB_SERVICE_PORT: String(hubPort),
        SERVICE_JWT_SECRET: TEST_SECRETS.service,
        AWS_ENDPOINT_URL_IOT: `http://127.0.0.1:${emulatorPort}`,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        IOT_DEADLINE_MS: "1500",
        IOT_ATTEMPT_TIMEOUT_MS: "400",
        // The tests' webhook endpoints listen on loopback.
        WEBHOOK_ALLOW_PRIVATE_URLS: "true",
        ...options.env,
      },
      port: hubPort,
      readyPath: "/readyz",
      logDir,
    },
    gateway: {
      name: "gateway",
      entry: entry("gateway", "server.ts"),
      env: {
        HUB_SERVICE_URL: `http://127.0.0.1:${hubPort}`,
        GATEWAY_PORT: String(gatewayPort),
        SERVICE_JWT_SECRET: TEST_SECRETS.service,
        GATEWAY_JWT_SECRET: TEST_SECRETS.gatewayJwt,
        API_KEY_CACHE_TTL_MS: "1000",
        ...options.env,
      },
      port: gatewayPort,
      readyPath: "/readyz",
      logDir,
    },
    relay: {
      name: "event-relay",
      entry: entry("event-relay", "main.ts"),
      env: {
        HUB_SERVICE_URL: `http://127.0.0.1:${hubPort}`,
        SERVICE_JWT_SECRET: TEST_SECRETS.service,
        RELAY_PORT: String(relayPort),
        WEBHOOK_ALLOW_PRIVATE_URLS: "true",
        ...(typeof options.relay === "object" ? options.relay : {}),
      },
      port: relayPort,
      readyPath: "/healthz",
      logDir,
    },
  };
  const running = {} as Record<ServiceName, ServiceProcess>;
  const start = async (name: ServiceName) => {
    running[name] = await startService(specs[name]);
    return running[name];
  };
  await start("emulator");
  await start("hubService");
  await start("gateway");
  if (options.relay) await start("relay");
  return {
    get gateway() {
      return running.gateway;
    },
    get hubService() {
      return running.hubService;
    },
    get emulator() {
      return running.emulator;
    },
    get relay() {
      if (!running.relay) throw new Error("the relay was not started (startSystem({ relay: true }))");
      return running.relay;
    },
    logDir,
    secrets: TEST_SECRETS,
    stopService: (name, signal) => running[name].stop(signal),
    startService: start,
    async stop() {
      await running.relay?.stop();
      await running.gateway.stop();
      await running.hubService.stop();
      await running.emulator.stop();
    },
  };
}
