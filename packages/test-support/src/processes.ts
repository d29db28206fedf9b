import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./databases.ts";
import { childEnv } from "./env.ts";
import { waitUntil } from "./wait.ts";

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
  /** From spawning the process to its first successful readiness answer (polled every 25 ms). */
  readonly readyMs: number;
  /** Settles when the process has exited, with how it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident set size now, in MB (Linux /proc); undefined once it has exited. */
  rssMb(): Promise<number | undefined>;
  /** CPU time used so far (user + system, all threads), in ms (Linux /proc, 10 ms ticks). */
  cpuMs(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
};

export type ServiceOptions = {
  name: string;
  /** A repository-relative file: `dist/*.js` runs under plain node, anything else under tsx. */
  entry: string;
  env: Record<string, string>;
  port: number;
  readyPath: string;
  logDir: string;
  timeoutMs?: number;
  /** Node flags on the command line (`--cpu-prof` is not allowed in NODE_OPTIONS). */
  nodeArgs?: readonly string[];
};

/**
 * An app's process entry as `runtime` runs it: `dist/main.js` (built, as production) or `src/main.ts`
 * (tsx). Every app's entry is its `main`.
 */
export function appEntry(app: string, runtime: "built" | "tsx"): string {
  return runtime === "built" ? `apps/${app}/dist/main.js` : `apps/${app}/src/main.ts`;
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/** CPU time a process has used (user + system, all threads), in ms; undefined if it is gone. */
export async function processCpuMs(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * (1000 / CLOCK_TICKS);
}

/** Starts one of the project's services (or a bench's helper) as a real process, logs to a file. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: "a" });
  const spawnedAt = performance.now();
  const entry = path.join(repoRoot, options.entry);
  const loader = options.entry.endsWith(".js") ? [] : ["--import", "tsx"];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, entry], {
    cwd: repoRoot,
    env: childEnv({ LOG_LEVEL: "info", ...options.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const ready = waitUntil(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        // "exited with <code or signal>": tests match on it (a refused configuration exits with 1).
        const how = child.signalCode ?? child.exitCode;
        throw new Error(`${options.name} exited with ${how} before it was ready; see ${logFile}`);
      }
      return fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.ok,
        () => false, // not listening yet
      );
    },
    `${options.name} to answer ${url}${options.readyPath} (log: ${logFile})`,
    { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 25 },
  );
  // A process that never became ready is not left running (the caller gets no handle to stop it).
  await ready.catch((error: unknown) => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw error;
  });
  const readyMs = performance.now() - spawnedAt;
  return {
    name: options.name,
    url,
    child,
    logFile,
    readyMs,
    exited,
    async rssMb() {
      if (child.pid === undefined || child.exitCode !== null) return undefined;
      const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
    },
    async cpuMs() {
      return child.pid === undefined ? 0 : ((await processCpuMs(child.pid)) ?? 0);
    },
    stop: (signal = "SIGTERM") =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        // Longer than the services' own drain deadline (15 s), so a SIGKILL here means a stuck
        // drain; also time for a process to write its CPU profile (`--cpu-prof`) on exit.
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
  readonly secrets: { readonly service: string; readonly gatewayJwt: string; readonly iotRule: string };
  /** Stops one service with `signal` (SIGTERM drains, SIGKILL is a crash) and waits for its exit. */
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again with the same port and settings (and its data). */
  startService(name: ServiceName): Promise<ServiceProcess>;
  stop(): Promise<void>;
};

export const TEST_SECRETS = {
  service: "e2e-service-secret-0123456789abcdef0123456789",
  gatewayJwt: "e2e-gateway-jwt-secret-0123456789abcdef012345",
  /** The topic rule's static header value (the emulator's rule sends it to the gateway). */
  iotRule: "e2e-iot-rule-secret-0123456789abcdef",
};

/** The whole system as a client meets it: emulator, hub-service and gateway processes. */
export async function startSystem(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  /** Run the compiled `dist/` entries (`npm run build`) instead of the sources. */
  built?: boolean;
  /** Also start the event relay, with these settings on top of its defaults (short test schedules). */
  relay?: boolean | Record<string, string>;
  /** Settings of the registry emulator on top of its defaults (e.g. the rule's batch size). */
  emulatorEnv?: Record<string, string>;
}): Promise<System> {
  const entry = (app: string) => appEntry(app, options.built ? "built" : "tsx");
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
      entry: entry("iot-registry-emulator"),
      env: {
        IOT_EMULATOR_PORT: String(emulatorPort),
        IOT_EMULATOR_DATA_DIR: path.join(logDir, "iot-registry"),
        // The topic rule: every shadow update document and presence event to the gateway's
        // ingestion endpoint, with the secret header (confirmed by hub-service on its first call).
        IOT_EMULATOR_RULE_URL: `http://127.0.0.1:${gatewayPort}/iot/rule`,
        IOT_EMULATOR_RULE_HEADERS: JSON.stringify({ "x-hub-rule-secret": TEST_SECRETS.iotRule }),
        ...options.emulatorEnv,
      },
      port: emulatorPort,
      readyPath: "/__emulator/health",
      logDir,
    },
    hubService: {
      name: "hub-service",
      entry: entry("hub-service"),
      env: {
        DATABASE_URL: options.databaseUrl,
        HUB_SERVICE_PORT: String(hubPort),
        SERVICE_JWT_SECRET: TEST_SECRETS.service,
        AWS_ENDPOINT_URL_IOT: `http://127.0.0.1:${emulatorPort}`,
        IOT_DATA_ENDPOINT: `http://127.0.0.1:${emulatorPort}`,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        IOT_DEADLINE_MS: "1500",
        IOT_ATTEMPT_TIMEOUT_MS: "400",
        IOT_RULE_SECRET: TEST_SECRETS.iotRule,
        IOT_RULE_AUTO_CONFIRM: "true",
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
      entry: entry("gateway"),
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
      entry: entry("event-relay"),
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
  const stopAll = async () => {
    await running.relay?.stop();
    await running.gateway?.stop();
    await running.hubService?.stop();
    await running.emulator?.stop();
  };
  try {
    await start("emulator");
    await start("hubService");
    await start("gateway");
    if (options.relay) await start("relay");
  } catch (error) {
    // One service that cannot start fails the system: the ones already running stop with it.
    await stopAll();
    throw error;
  }
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
    stop: stopAll,
  };
}
