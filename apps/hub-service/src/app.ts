import { hkdfSync } from "node:crypto";
import { createMetricsEndpoint, createMetricsRegistry, type MetricsEndpoint } from "@hub/observability";
import { closeServer, listen } from "@hub/server-kit";
import { isAppError } from "@hub/shared";
import type { Logger } from "pino";
import { createApiKeyVerifier } from "./api-keys/api-keys.ts";
import { createBulkhead } from "./bulkhead.ts";
import { startCommandSweeper } from "./command-handling/device-commands.ts";
import type { CallerWait } from "./command-handling/handle-command.ts";
import { createDatabase, type Database } from "./db/client.ts";
import { type HubServiceEnv, iotDataEndpoint } from "./env.ts";
import {
  allowPrivateWebhookUrls,
  createEventDelivery,
  type EventDelivery,
  startWebhookFanOut,
  webhookSecretKey,
} from "./event-delivery.ts";
import { createHubServiceServer, type Readiness } from "./http-server.ts";
import type { BreakerState } from "./iot/aws-call.ts";
import { createIotDataPlane, type IotDataPlane } from "./iot/iot-data-plane.ts";
import { createIotRegistry, type IotRegistry } from "./iot/iot-registry.ts";
import { confirmWithAws } from "./iot/rule-ingestion.ts";
import { createHubServiceMetrics, type HubServiceMetrics } from "./metrics.ts";
import { createBoundedCheck } from "./readiness.ts";
import { createHubService, type HubService } from "./service.ts";

/**
 * `/readyz` answers within this, whatever the database does (probes time out after 1 s by
 * default); a database check older than READINESS_FRESH_MS is taken again.
 */
const READINESS_TIMEOUT_MS = 500;
const READINESS_FRESH_MS = 1000;

export type HubServiceApp = {
  readonly db: Database;
  readonly registry: IotRegistry;
  /** The Device Shadow port (hub commands travel through the Thing's shadow). */
  readonly dataPlane: IotDataPlane;
  readonly hubs: HubService;
  readonly delivery: EventDelivery;
  readonly server: ReturnType<typeof createHubServiceServer>;
  readonly metrics: HubServiceMetrics;
  readonly metricsEndpoint: MetricsEndpoint;
  listen(): Promise<string>;
  close(): Promise<void>;
};

/** Wires the service from its parsed environment; used by main.ts and in-process by tests. */
export async function createHubServiceApp(
  env: HubServiceEnv,
  logger: Logger,
  /** An already open database (tests share theirs: one PGlite directory admits one instance). */
  shared?: { db: Database },
): Promise<HubServiceApp> {
  // Before anything is opened: production without its own key stops here, leaking nothing.
  const secretKey = webhookSecretKey(env);
  const metrics = createHubServiceMetrics(createMetricsRegistry());
  const db =
    shared?.db ??
    (await createDatabase({
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
      onStatement: metrics.statement,
    }));
  // Both AWS IoT ports share the region, deadlines and breaker settings; each has its own endpoint,
  // rates and metrics, and logs its breaker's transitions under its own name.
  const awsCall = {
    region: env.AWS_REGION,
    deadlineMs: env.IOT_DEADLINE_MS,
    attemptTimeoutMs: env.IOT_ATTEMPT_TIMEOUT_MS,
    maxAttempts: env.IOT_MAX_ATTEMPTS,
    breakerThreshold: env.IOT_BREAKER_THRESHOLD,
    breakerCooldownMs: env.IOT_BREAKER_COOLDOWN_MS,
  };
  const logBreaker = (port: string, operation: string, state: BreakerState) => {
    const level = state === "open" ? "warn" : "info";
    logger[level]({ operation, breaker: state }, `${port} circuit breaker (${operation}) ${state}`);
  };
  const registry = createIotRegistry({
    ...awsCall,
    ...(env.AWS_ENDPOINT_URL_IOT ? { endpoint: env.AWS_ENDPOINT_URL_IOT } : {}),
    requestsPerSecond: env.IOT_REGISTRY_RPS,
    observe: metrics.registryCall,
    onBreakerState(operation, state) {
      metrics.breaker(operation, state);
      logBreaker("IoT registry", operation, state);
    },
  });
  const dataEndpoint = iotDataEndpoint(env);
  const dataPlane = createIotDataPlane({
    ...awsCall,
    ...(dataEndpoint ? { endpoint: dataEndpoint } : {}),
    requestsPerSecond: {
      GetThingShadow: env.IOT_DATA_GET_RPS,
      UpdateThingShadow: env.IOT_DATA_UPDATE_RPS,
      DeleteThingShadow: env.IOT_DATA_DELETE_RPS,
    },
    observe: metrics.dataPlaneCall,
    onBreakerState(operation, state) {
      metrics.dataPlaneBreaker(operation, state);
      logBreaker("IoT data plane", operation, state);
    },
  });
  const service = createHubService({
    db,
    registry,
    dataPlane,
    commandTimeoutMs: Math.round(env.HUB_COMMAND_TIMEOUT * 1000),
    archiveDir: env.HUB_ARCHIVE_DIR,
    // A sender holds a command id for its shadow write (IOT_DEADLINE_MS at most) and its record;
    // a sender that died lets it lapse this soon, and the sweep records what it wrote.
    commandLeaseMs: env.IOT_DEADLINE_MS + 2000,
    // Digests of command payloads (which can hold Wi-Fi passwords) are keyed with a key of the
    // service's own, derived from the one that encrypts webhook secrets (required in production).
    commandDigestKey: Buffer.from(hkdfSync("sha256", secretKey, "", "hub-command-payload-digest", 32)),
    onBackgroundError: (what, err) => logger.warn({ err }, `hub commands: ${what} failed; retried later`),
    rule: {
      secret: env.IOT_RULE_SECRET,
      ...(env.IOT_RULE_AUTO_CONFIRM ? { autoConfirm: confirmWithAws(env) } : {}),
      onConfirmation: (arn, confirmed) =>
        logger.info(
          { arn, confirmed },
          confirmed
            ? "topic rule destination confirmed"
            : "topic rule destination awaits confirmation (ConfirmTopicRuleDestination with the recorded token)",
        ),
    },
    groupCommit: { maxRows: env.GROUP_COMMIT_MAX_ROWS, maxInFlight: env.GROUP_COMMIT_MAX_IN_FLIGHT },
    onGroup: metrics.groupCommit,
    bulkConcurrency: env.BULK_CONCURRENCY,
    onUnexpected: (err, hubId) => logger.error({ err, hubId }, "unexpected error in a bulk item"),
  });
  const admission = createBulkhead({
    concurrency: env.PROVISION_CONCURRENCY,
    queueTimeoutMs: env.PROVISION_QUEUE_TIMEOUT_MS,
    maxQueue: env.PROVISION_MAX_QUEUE,
  });
  metrics.watch({ db, admission });
  // Every command waits its turn in the same bulkhead (reads do not), and is counted by outcome;
  // a bulk call takes one turn (its items have their own bound) and counts each item.
  const created = (event: unknown) => (event ? "created" : "unchanged");
  const failedAs = (error: unknown) => (isAppError(error) ? error.kind : "INTERNAL");
  const counted = <R extends { event: unknown }>(
    name: string,
    command: () => Promise<R>,
    caller: CallerWait,
  ): Promise<R> =>
    admission.run(command, caller).then(
      (result) => {
        metrics.command(name, created(result.event));
        return result;
      },
      (error: unknown) => {
        metrics.command(name, failedAs(error));
        throw error;
      },
    );
  const hubs: HubService = {
    ...service,
    provision: (body, context) => counted("ProvisionHub", () => service.provision(body, context), context),
    provisionMany: async (items, context) => {
      const results = await admission
        .run(() => service.provisionMany(items, context), context)
        .catch((error: unknown) => {
          // Refused as a whole (the bulkhead is full): every item counts, as single calls would.
          for (const _ of items) metrics.command("ProvisionHub", failedAs(error));
          throw error;
        });
      for (const item of results) {
        metrics.command(
          "ProvisionHub",
          item.ok ? created(item.result.event) : (item.error?.kind ?? "INTERNAL"),
        );
      }
      return results;
    },
    execute: (name, body, context) => counted(name, () => service.execute(name, body, context), context),
    // Commands to the hub wait their turn too; counted "sent" (its result is the hub's, later).
    device: {
      ...service.device,
      send: (name, body, context) =>
        admission
          .run(() => service.device.send(name, body, context), context)
          .then(
            (result) => {
              metrics.command(name, "sent");
              return result;
            },
            (error: unknown) => {
              metrics.command(name, failedAs(error));
              throw error;
            },
          ),
    },
  };
  const delivery = createEventDelivery({ db, secretKey, allowPrivateUrls: allowPrivateWebhookUrls(env) });
  // Commands whose hub has not reported by their deadline: a last shadow read, then TIMED_OUT.
  const sweeper = startCommandSweeper(
    service.device,
    Math.min(1000, Math.max(50, Math.round((env.HUB_COMMAND_TIMEOUT * 1000) / 4))),
    (err) => logger.warn({ err }, "hub command time-out sweep failed; retrying"),
  );
  const fanOut = env.WEBHOOK_FAN_OUT
    ? startWebhookFanOut(db, {
        leaseMs: env.LOG_CONSUMER_LEASE_MS,
        onError: (err) => logger.error({ err }, "webhook fan-out failed; retrying"),
      })
    : undefined;
  const metricsEndpoint = createMetricsEndpoint(metrics.registry, {
    port: env.METRICS_PORT,
    host: env.METRICS_HOST,
    token: env.METRICS_TOKEN,
    production: env.NODE_ENV === "production",
  });
  const databaseCheck = createBoundedCheck(() => db.prisma.$queryRaw`SELECT 1`, {
    timeoutMs: READINESS_TIMEOUT_MS,
    freshMs: READINESS_FRESH_MS,
  });
  const server = createHubServiceServer({
    hubs,
    delivery,
    apiKeys: createApiKeyVerifier(db.prisma, () => new Date(), {
      onLastUsedError: (err) => logger.warn({ err }, "recording an API key's last use failed"),
    }),
    logger,
    metrics,
    metricsEndpoint,
    serviceSecret: env.SERVICE_JWT_SECRET,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    clockSkewMs: env.DEADLINE_CLOCK_SKEW_MS,
    async readiness(): Promise<Readiness> {
      const database = await databaseCheck();
      // Provisioning needs DescribeThing: its breaker open, this instance cannot provision (for
      // at most the cool-down); the connectivity breaker only concerns three lifecycle commands.
      // The data plane's breakers are reported, never a reason to leave rotation: provisioning
      // and reads do not need shadows, a command fails fast with its own 503 and Retry-After,
      // and every replica calls the same AWS data plane (another instance would fare no better).
      const breaker = registry.breakerState("DescribeThing");
      return {
        ready: database === "ok" && breaker !== "open",
        checks: {
          database,
          iotRegistryBreaker: breaker,
          connectivityBreaker: registry.breakerState("GetThingConnectivityData"),
          shadowGetBreaker: dataPlane.breakerState("GetThingShadow"),
          shadowUpdateBreaker: dataPlane.breakerState("UpdateThingShadow"),
          shadowDeleteBreaker: dataPlane.breakerState("DeleteThingShadow"),
        },
      };
    },
  });
  return {
    db,
    registry,
    dataPlane,
    hubs,
    delivery,
    server,
    metrics,
    metricsEndpoint,
    async listen() {
      await metricsEndpoint.listen();
      return listen(server, env.HUB_SERVICE_PORT, env.HUB_SERVICE_HOST);
    },
    async close() {
      // Stop accepting, let in-flight requests finish, then release the database.
      await closeServer(server);
      await fanOut?.stop();
      await sweeper.stop();
      await metricsEndpoint.close();
      registry.close();
      dataPlane.close();
      if (!shared) await db.close();
    },
  };
}
