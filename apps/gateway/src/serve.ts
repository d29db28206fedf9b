import { createLogger, exitOnSignals, limitHeapGrowth } from "@hub/server-kit";
import { createGatewayApp } from "./app.ts";
import type { GatewayEnv } from "./env.ts";

/** Runs the gateway until SIGTERM/SIGINT; `flush` (the trace exporter's) runs after the drain. */
export async function serve(env: GatewayEnv, flush?: () => Promise<void>): Promise<void> {
  limitHeapGrowth(env.HEAP_GROWING_PERCENT);
  const logger = createLogger("gateway", env.LOG_LEVEL);
  const app = await createGatewayApp(env, logger);
  const url = await app.listen();
  logger.info({ url, graphql: `${url}/graphql`, tracing: flush !== undefined }, "gateway listening");
  exitOnSignals("gateway", logger, async () => {
    await app.close();
    await flush?.();
  });
}
