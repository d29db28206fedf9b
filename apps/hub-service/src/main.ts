import { createLogger } from "@hub/shared";
import { createHubServiceApp } from "./app.ts";
import { loadEnv } from "./env.ts";

const env = loadEnv();
const logger = createLogger("hub-service", env.LOG_LEVEL);
const app = await createHubServiceApp(env, logger);
const url = await app.listen();
logger.info({ url, database: app.db.engine }, "hub-service listening");

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "hub-service shutting down");
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
