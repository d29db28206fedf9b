import { resolve } from "node:path";
import { createLogger, exitAfterLogs } from "@hub/server-kit";
import { loadEnv } from "./env.ts";
import { createRegistryServer } from "./http-server.ts";
import { FileRegistryStore } from "./registry.ts";
import { loggableUrl } from "./rule-destination.ts";

const logger = createLogger("iot-registry-emulator", "info");

async function main(): Promise<void> {
  const env = loadEnv();
  const dataDir = resolve(process.cwd(), env.dataDir);
  const store = await FileRegistryStore.open(dataDir);
  const server = createRegistryServer({
    store,
    region: env.region,
    accountId: env.accountId,
    logger,
    ...(env.ruleDestination === undefined ? {} : { ruleDestination: env.ruleDestination }),
  });
  const { url } = await server.listen(env.port, env.host);
  logger.info(
    {
      url,
      dataDir,
      things: store.list().length,
      ruleUrl: env.ruleDestination && loggableUrl(env.ruleDestination.url),
    },
    `IoT registry emulator listening on ${url}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    server.close().then(
      () => exitAfterLogs(logger, 0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        return exitAfterLogs(logger, 1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  logger.error({ err: error }, "IoT registry emulator failed to start");
  return exitAfterLogs(logger, 1);
});
