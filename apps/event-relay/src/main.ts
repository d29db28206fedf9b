/** The event relay's entry point: delivers webhooks and (with NATS_URL) publishes to JetStream. */
import { createLogger, exitOnSignals, limitHeapGrowth } from "@hub/server-kit";
import { createRelayApp } from "./app.ts";
import { loadEnv } from "./env.ts";

const env = loadEnv();
limitHeapGrowth(70);
const logger = createLogger("event-relay", env.LOG_LEVEL);
const app = await createRelayApp(env, logger);
const url = await app.listen();
logger.info({ url, owner: app.owner, jetstream: env.NATS_URL !== undefined }, "event relay running");
exitOnSignals("event-relay", logger, () => app.close());
