import { createLogger, exitOnSignals, limitHeapGrowth } from "@hub/shared";
import { createGatewayApp } from "./app.ts";
import { loadEnv } from "./env.ts";

const env = loadEnv();
limitHeapGrowth(env.HEAP_GROWING_PERCENT);
const logger = createLogger("gateway", env.LOG_LEVEL);
const app = createGatewayApp(env, logger);
const url = await app.listen();
logger.info({ url, graphql: `${url}/graphql` }, "gateway listening");
exitOnSignals("gateway", logger, () => app.close());
