/**
 * `npm start`: the whole system on embedded defaults. Applies migrations, starts the IoT registry
 * emulator, hub-service and the gateway as separate processes (each a real HTTP server), then
 * prints what a newcomer needs to provision a first hub. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateThingCommand, IoTClient } from "@aws-sdk/client-iot";
import { DEFAULT_JWT_CLAIMS } from "@hub/shared";
import jwt from "jsonwebtoken";
import {
  createOrganization,
  issueApiKey,
  revokeApiKey,
  toolActor,
} from "../apps/hub-service/src/api-keys/api-keys.ts";
import { loadOrCreateDevSecrets } from "../apps/hub-service/src/cli/dev-secrets.ts";
import { createDatabase } from "../apps/hub-service/src/db/client.ts";
import { emulatorControl } from "../apps/iot-registry-emulator/src/control-client.ts";
import { loadStartEnv } from "./start-env.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const env = loadStartEnv();
const children: ChildProcess[] = [];
const DEMO_ORG = "Demo manufacturer";
const DEMO_KEY_NAME = "npm start demo key";
const localCredentials = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local-secret" };

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

function run(command: string, args: string[], extraEnv: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...extraEnv },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? command)} exited with ${code}`)),
    );
  });
}

/**
 * `--built` (`npm run start:built`): the compiled `dist/` entries under plain node, as production
 * runs them; otherwise the TypeScript sources under tsx (development).
 */
const built = process.argv.includes("--built");

/** A child stopped on purpose (SIGUSR2): its exit does not stop everything. */
const stoppedOnPurpose = new Set<ChildProcess>();

/** Starts an app's process from its entry, `main` in every app. */
function startService(name: string, app: string, extraEnv: Record<string, string>): ChildProcess {
  const args = built
    ? [path.join("apps", app, "dist", "main.js")]
    : ["--import", "tsx", path.join("apps", app, "src", "main.ts")];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("exit", (code, signal) => {
    const index = children.indexOf(child);
    if (stoppedOnPurpose.delete(child)) {
      if (index >= 0) children.splice(index, 1);
      return;
    }
    if (!stopping) {
      log(`${name} stopped unexpectedly (${signal ?? `exit ${code}`}); shutting everything down`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

async function waitUntilReady(name: string, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) throw new Error("stopping");
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet: try again shortly.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not become ready at ${url} within ${timeoutMs / 1000}s`);
}

let stopping = false;
async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

/** A fresh demo API key each start (the previous ones are revoked): keys are shown only once. */
async function prepareDemoApiKey(databaseUrl: string): Promise<string> {
  const db = await createDatabase({ url: databaseUrl });
  try {
    const { prisma } = db;
    const org =
      (await prisma.organization.findUnique({ where: { name: DEMO_ORG } })) ??
      (await createOrganization(prisma, DEMO_ORG, toolActor("npm-start")));
    const now = new Date();
    const previous = await prisma.apiKey.findMany({
      where: { organizationId: org.id, name: DEMO_KEY_NAME, revokedAt: null },
    });
    for (const key of previous) await revokeApiKey(prisma, key.id, now, toolActor("npm-start"));
    const issued = await issueApiKey(prisma, {
      organizationId: org.id,
      name: DEMO_KEY_NAME,
      permissions: ["hubs:provision", "hubs:read", "hubs:manage", "webhooks:manage"],
      now,
      actor: toolActor("npm-start"),
    });
    return issued.key;
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const dataDir = path.resolve(root, env.HUB_DATA_DIR);
  const secrets = await loadOrCreateDevSecrets(dataDir);
  const databaseUrl = env.DATABASE_URL;
  log(`Applying migrations to ${databaseUrl.startsWith("pglite:") ? databaseUrl : "PostgreSQL"} ...`);
  await run(process.execPath, [path.join(root, "node_modules/prisma/build/index.js"), "migrate", "deploy"], {
    DATABASE_URL: databaseUrl,
  });
  const apiKey = await prepareDemoApiKey(databaseUrl);
  // The admin console the gateway serves under /admin (turbo's cache makes this quick when built).
  const consoleBuilt = await run(
    process.execPath,
    [
      path.join(root, "node_modules/turbo/bin/turbo"),
      "run",
      "build",
      "--filter=@hub/admin-console",
      "--output-logs=errors-only",
    ],
    // Always the production build: started from a test runner (NODE_ENV=test) Vite would
    // otherwise bundle React's development build, three times the size.
    { NODE_ENV: "production" },
  ).then(
    () => true,
    (error: unknown) => {
      log(
        `The admin console could not be built (${error instanceof Error ? error.message : String(error)}); starting without it`,
      );
      return false;
    },
  );

  const gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}`;
  const iotRuleSecret = env.IOT_RULE_SECRET ?? secrets.iotRuleSecret;
  let iotEndpoint = env.AWS_ENDPOINT_URL_IOT;
  const awsEnv: Record<string, string> = {};
  // Our own emulator: its topic rule is ours to point at the gateway, and its destination ours to confirm.
  let ownEmulator = false;
  if (!env.USE_REAL_AWS && !iotEndpoint) {
    iotEndpoint = `http://127.0.0.1:${env.IOT_EMULATOR_PORT}`;
    ownEmulator = true;
    startService("iot-registry-emulator", "iot-registry-emulator", {
      IOT_EMULATOR_PORT: String(env.IOT_EMULATOR_PORT),
      IOT_EMULATOR_DATA_DIR: path.join(dataDir, "iot-registry"),
      // The topic rule: every shadow update document (the hubs' answers) and presence event to the
      // gateway's /iot/rule with the rule's secret header. The gateway starts later: the emulator
      // retries the destination's confirmation and queues messages until hub-service confirms it.
      IOT_EMULATOR_RULE_URL: `${gatewayUrl}/iot/rule`,
      IOT_EMULATOR_RULE_HEADERS: JSON.stringify({ [env.IOT_RULE_HEADER_NAME]: iotRuleSecret }),
    });
    await waitUntilReady("IoT registry emulator", `${iotEndpoint}/__emulator/health`);
    Object.assign(awsEnv, localCredentials);
  }
  if (iotEndpoint) awsEnv.AWS_ENDPOINT_URL_IOT = iotEndpoint;
  // The emulator serves the Device Shadow API on the same port as the registry's.
  const dataEndpoint = env.IOT_DATA_ENDPOINT ?? (env.USE_REAL_AWS ? undefined : iotEndpoint);
  if (dataEndpoint) awsEnv.IOT_DATA_ENDPOINT = dataEndpoint;

  const hubServiceUrl = `http://127.0.0.1:${env.HUB_SERVICE_PORT}`;
  startService("hub-service", "hub-service", {
    ...awsEnv,
    DATABASE_URL: databaseUrl,
    HUB_SERVICE_PORT: String(env.HUB_SERVICE_PORT),
    // Development: a webhook endpoint on this machine (http://127.0.0.1:…) may be subscribed.
    WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    SERVICE_JWT_SECRET: env.SERVICE_JWT_SECRET ?? secrets.serviceJwtSecret,
    IOT_RULE_SECRET: iotRuleSecret,
    // The emulator's destination is confirmed by hub-service itself (ConfirmTopicRuleDestination).
    ...(ownEmulator ? { IOT_RULE_AUTO_CONFIRM: "true" } : {}),
  });
  await waitUntilReady("hub-service", `${hubServiceUrl}/readyz`);

  const gatewayJwtSecret = env.GATEWAY_JWT_SECRET ?? secrets.gatewayJwtSecret;
  const startGateway = () =>
    startService("gateway", "gateway", {
      HUB_SERVICE_URL: hubServiceUrl,
      GATEWAY_PORT: String(env.GATEWAY_PORT),
      SERVICE_JWT_SECRET: env.SERVICE_JWT_SECRET ?? secrets.serviceJwtSecret,
      GATEWAY_JWT_SECRET: gatewayJwtSecret,
    });
  let gateway = startGateway();
  await waitUntilReady("gateway", `${gatewayUrl}/readyz`);
  // SIGUSR2 stops the gateway alone (it drains and exits as on SIGTERM) and the next SIGUSR2 starts
  // it again: an outage as long as wanted, for trying clients' reconnection; the rest keeps running.
  let gatewayDown = false;
  let gatewaySwitch: Promise<void> = Promise.resolve();
  process.on("SIGUSR2", () => {
    gatewaySwitch = gatewaySwitch
      .then(async () => {
        if (stopping) return;
        if (!gatewayDown) {
          const old = gateway;
          stoppedOnPurpose.add(old);
          log("gateway: stopping (SIGUSR2; the next SIGUSR2 starts it again)");
          await new Promise<void>((resolve) => {
            if (old.exitCode !== null || old.signalCode !== null) return resolve();
            old.once("exit", () => resolve());
            old.kill("SIGTERM");
          });
          gatewayDown = true;
          log("gateway: stopped");
          return;
        }
        gateway = startGateway();
        gatewayDown = false;
        await waitUntilReady("gateway", `${gatewayUrl}/readyz`);
        log("gateway: started again");
      })
      .catch((error: unknown) => {
        log(`gateway restart failed: ${error instanceof Error ? error.message : String(error)}`);
        void stop(1);
      });
  });

  // The event relay: webhooks to partners' endpoints (and JetStream with NATS_URL).
  const relayUrl = `http://127.0.0.1:${env.RELAY_PORT}`;
  startService("event-relay", "event-relay", {
    HUB_SERVICE_URL: hubServiceUrl,
    RELAY_PORT: String(env.RELAY_PORT),
    WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    SERVICE_JWT_SECRET: env.SERVICE_JWT_SECRET ?? secrets.serviceJwtSecret,
    ...(env.NATS_URL ? { NATS_URL: env.NATS_URL } : {}),
  });
  await waitUntilReady("event relay", `${relayUrl}/healthz`);

  // A demo hub whose Thing exists, so the printed curl provisions it.
  const hubId = randomUUID();
  const thingName = `demo-hub-${hubId.slice(0, 8)}`;
  const iot = new IoTClient({
    region: env.AWS_REGION,
    ...(iotEndpoint ? { endpoint: iotEndpoint } : {}),
    ...(awsEnv.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: "local", secretAccessKey: "local-secret" } }
      : {}),
  });
  await iot.send(new CreateThingCommand({ thingName }));
  // A small pallet for the bulk call: three more hubs whose Things are registered.
  const pallet = Array.from({ length: 3 }, (_, i) => {
    const id = randomUUID();
    return {
      hubId: id,
      serial: `SN-${id.slice(0, 8).toUpperCase()}`,
      model: "HUB-2",
      thingName: `demo-line-${id.slice(0, 8)}-${i + 1}`,
    };
  });
  for (const hub of pallet) await iot.send(new CreateThingCommand({ thingName: hub.thingName }));
  iot.destroy();
  // The emulator's device is online, so the demo hub can be claimed (ClaimHub asks the registry).
  if (iotEndpoint) await emulatorControl(iotEndpoint).setConnected(thingName, true);
  // Development tokens as the gateway's local HS256 issuer would sign them (12 h).
  const devToken = (claims: Record<string, string>, subject: string) =>
    jwt.sign(claims, gatewayJwtSecret, {
      algorithm: "HS256",
      issuer: DEFAULT_JWT_CLAIMS.issuer,
      audience: DEFAULT_JWT_CLAIMS.audience,
      subject,
      expiresIn: "12h",
    });
  const token = devToken({ role: "service" }, "demo-manufacturing-line");
  const adminToken = devToken({ role: "admin" }, "demo-admin");
  // Fixed command ids, so the read curls can name them; per hub, since an id is never reused on another hub.
  const serverInfoId = `server-info-${hubId.slice(0, 8)}`;
  const commissionId = `commission-${hubId.slice(0, 8)}`;
  const body = JSON.stringify({
    hubId,
    serial: `SN-${hubId.slice(0, 8).toUpperCase()}`,
    model: "HUB-2",
    thingName,
    vendorName: "Acme",
  });

  log(`
Hub platform is running (Ctrl-C stops everything):
  gateway       ${gatewayUrl}   GraphQL/GraphiQL: ${gatewayUrl}/graphql   OpenAPI: ${gatewayUrl}/openapi.json
  hub-service   ${hubServiceUrl}/trpc
  event relay   ${relayUrl}/metrics   (webhooks${env.NATS_URL ? `; JetStream at ${env.NATS_URL}` : "; JetStream off: set NATS_URL"})
  IoT registry  ${iotEndpoint ?? "AWS (standard endpoint)"}
${
  consoleBuilt
    ? `
Admin console: ${gatewayUrl}/admin/#token=${adminToken}
  (the sign-in link of the demo admin, valid 12h; the token is in the fragment, never sent to a server)
`
    : ""
}
Development credentials (valid for this database; do not use in production):
  API key (organization "${DEMO_ORG}"): ${apiKey}
  JWT (service "demo-manufacturing-line", 12h): ${token}

Provision a demo hub (its IoT Thing "${thingName}" is registered):
curl -i -X POST "${gatewayUrl}/hubs/${hubId}/ProvisionHub" \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer ${token}" \\
  -H "X-API-Key: ${apiKey}" \\
  -d '${body}'

Provision a pallet of hubs in one request (up to 1,000; each item answered as the single call would):
curl -s -X POST "${gatewayUrl}/hubs/ProvisionHubs" \\
  -H "Content-Type: application/json" \\
  -H "X-API-Key: ${apiKey}" \\
  -d '${JSON.stringify({ hubs: pallet })}'
(from a CSV or JSONL file: HUB_API_KEY=<key> npm run cli -- hubs import <file> --url ${gatewayUrl})

Send the demo organization's hub events to a webhook endpoint of yours (signed, Standard Webhooks;
the secret is printed once; README "Event delivery" shows how to verify a delivery):
curl -s -X POST "${gatewayUrl}/graphql" -H "Content-Type: application/json" -H "X-API-Key: ${apiKey}" \\
  -d '{"query":"mutation { createWebhookSubscription(input: {url: \\"http://127.0.0.1:9000/hooks\\"}) { __typename ... on WebhookSecretResult { secret subscription { id } } ... on Error { message } } }"}'
Follow them live (Server-Sent Events):
curl -N "${gatewayUrl}/graphql" -H "Accept: text/event-stream" -H "Content-Type: application/json" -H "X-API-Key: ${apiKey}" \\
  -d '{"query":"subscription { hubEvents { position hubId version type } }"}'

Then claim it into the demo organization's site "lobby" (the API key alone: hubs:manage):
curl -i -X POST "${gatewayUrl}/hubs/${hubId}/ClaimHub" \\
  -H "Content-Type: application/json" \\
  -H "X-API-Key: ${apiKey}" \\
  -d '${JSON.stringify({ hubId, siteId: "lobby", userId: "installer-1" })}'

Talk to the hub once it is claimed (the API key: hubs:manage; the emulator's simulated hub answers
through the Device Shadow, and its answer reaches the gateway's /iot/rule): ask for its server info${
    ownEmulator ? "" : ` (a real hub behind the Thing, and the topic rule of README "Talking to the hub")`
  }
curl -i -X POST "${gatewayUrl}/hubs/${hubId}/SendHubCommand" \\
  -H "Content-Type: application/json" \\
  -H "X-API-Key: ${apiKey}" \\
  -d '${JSON.stringify({ hubId, command: "server_info", commandId: serverInfoId })}'
and commission a Matter device into its fabric (an 11-digit manual pairing code):
curl -i -X POST "${gatewayUrl}/hubs/${hubId}/CommissionDevice" \\
  -H "Content-Type: application/json" \\
  -H "X-API-Key: ${apiKey}" \\
  -d '${JSON.stringify({ hubId, commissioningCode: "34970112332", commandId: commissionId })}'
Read each command's state (SENT until the hub answers, then SUCCEEDED with its result: the firmware
version and uptime; the new device's nodeId):
curl -s "${gatewayUrl}/hubs/${hubId}/commands/${serverInfoId}" -H "X-API-Key: ${apiKey}"
curl -s "${gatewayUrl}/hubs/${hubId}/commands/${commissionId}" -H "X-API-Key: ${apiKey}"
and its status (firmware version and uptime from server_info; "online" comes from the device's presence
events, and the demo device connected before the hub existed: it shows true once the device reconnects,
AWS_ENDPOINT_URL_IOT=${iotEndpoint ?? "<endpoint>"} npm run cli -- things disconnect ${thingName}, then: things connect):
curl -s "${gatewayUrl}/hubs/${hubId}/status" -H "X-API-Key: ${apiKey}"
`);
}

main().catch((error: unknown) => {
  if (!stopping) log(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  void stop(1);
});
