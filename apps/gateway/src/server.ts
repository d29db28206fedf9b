import { createLogger } from "@hub/shared";
import { createGatewayApp } from "./app.ts";
import { loadEnv } from "./env.ts";

const env = loadEnv();
const logger = createLogger("gateway", env.LOG_LEVEL);
const app = createGatewayApp(env, logger);
const url = await app.listen();
logger.info({ url, graphql: `${url}/graphql` }, "gateway listening");

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "gateway shutting down");
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
