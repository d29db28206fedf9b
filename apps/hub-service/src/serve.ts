import { createLogger, exitOnSignals, limitHeapGrowth } from "@hub/server-kit";
import { createHubServiceApp } from "./app.ts";
import type { HubServiceEnv } from "./env.ts";

/** Runs hub-service until SIGTERM/SIGINT; `flush` (the trace exporter's) runs after the drain. */
export async function serve(env: HubServiceEnv, flush?: () => Promise<void>): Promise<void> {
  limitHeapGrowth(env.HEAP_GROWING_PERCENT);
  const logger = createLogger("hub-service", env.LOG_LEVEL);
  const app = await createHubServiceApp(env, logger);
  const url = await app.listen();
  logger.info({ url, database: app.db.engine, tracing: flush !== undefined }, "hub-service listening");
  exitOnSignals("hub-service", logger, async () => {
    await app.close();
    await flush?.();
  });
}
