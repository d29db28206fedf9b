import { createLogger, exitOnSignals, limitHeapGrowth } from "@hub/shared";
import { createHubServiceApp } from "./app.ts";
import { loadEnv } from "./env.ts";

const env = loadEnv();
limitHeapGrowth(env.HEAP_GROWING_PERCENT);
const logger = createLogger("hub-service", env.LOG_LEVEL);
const app = await createHubServiceApp(env, logger);
const url = await app.listen();
logger.info({ url, database: app.db.engine }, "hub-service listening");
exitOnSignals("hub-service", logger, () => app.close());
