import { closeServer, listen } from "@hub/shared";
import type { Logger } from "pino";
import { createApiKeyVerifier } from "./api-keys/api-keys.ts";
import { createBulkhead } from "./bulkhead.ts";
import { createDatabase, type Database } from "./db/client.ts";
import type { HubServiceEnv } from "./env.ts";
import { createIotRegistry, type IotRegistry } from "./iot/iot-registry.ts";
import { createHubServiceServer } from "./server.ts";
import { createHubService, type HubService } from "./service.ts";

export type HubServiceApp = {
  readonly db: Database;
  readonly registry: IotRegistry;
  readonly hubs: HubService;
  readonly server: ReturnType<typeof createHubServiceServer>;
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
  const db =
    shared?.db ??
    (await createDatabase({
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
    }));
  const registry = createIotRegistry({
    region: env.AWS_REGION,
    ...(env.AWS_ENDPOINT_URL_IOT ? { endpoint: env.AWS_ENDPOINT_URL_IOT } : {}),
    deadlineMs: env.IOT_DEADLINE_MS,
    attemptTimeoutMs: env.IOT_ATTEMPT_TIMEOUT_MS,
    maxAttempts: env.IOT_MAX_ATTEMPTS,
  });
  const service = createHubService({ db, registry });
  const admission = createBulkhead({
    concurrency: env.PROVISION_CONCURRENCY,
    queueTimeoutMs: env.PROVISION_QUEUE_TIMEOUT_MS,
    maxQueue: env.PROVISION_MAX_QUEUE,
  });
  // Every command waits its turn in the same bulkhead; reads do not.
  const hubs: HubService = {
    ...service,
    provision: (body, context) => admission.run(() => service.provision(body, context)),
    execute: (name, body, context) => admission.run(() => service.execute(name, body, context)),
  };
  const server = createHubServiceServer({
    hubs,
    apiKeys: createApiKeyVerifier(db.prisma),
    logger,
    serviceSecret: env.SERVICE_JWT_SECRET,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    isReady: async () => {
      await db.prisma.$queryRaw`SELECT 1`;
      return true;
    },
  });
  return {
    db,
    registry,
    hubs,
    server,
    listen: () => listen(server, env.HUB_SERVICE_PORT, env.HUB_SERVICE_HOST),
    async close() {
      // Stop accepting, let in-flight requests finish, then release the database.
      await closeServer(server);
      registry.close();
      if (!shared) await db.close();
    },
  };
}
