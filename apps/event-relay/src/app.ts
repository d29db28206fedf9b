import http from "node:http";
import { createHubServiceClient } from "@hub/hub-client";
import { createMetricsEndpoint } from "@hub/observability";
import { closeServer, createServiceTokenSource, defaultOwner, listen } from "@hub/server-kit";
import type { Logger } from "pino";
import { startDeliveryWorker } from "./delivery-worker.ts";
import type { RelayEnv } from "./env.ts";
import { createWebhookSender } from "./http-sender.ts";
import { startJetStreamPublisher } from "./jetstream-publisher.ts";
import { createRelayMetrics } from "./metrics.ts";

export type RelayApp = {
  readonly owner: string;
  listen(): Promise<string>;
  close(): Promise<void>;
};

/**
 * The relay: webhook deliveries (always) and the JetStream publisher (with NATS_URL), plus a
 * small HTTP listener for /healthz, /readyz and /metrics. Stateless: every lease, checkpoint and
 * outcome lives in hub-service, so any number of relays can run.
 */
export async function createRelayApp(env: RelayEnv, logger: Logger): Promise<RelayApp> {
  const owner = defaultOwner();
  const metrics = createRelayMetrics();
  const client = createHubServiceClient({
    url: env.HUB_SERVICE_URL,
    serviceToken: createServiceTokenSource(env.SERVICE_JWT_SECRET, env.SERVICE_ID),
    timeoutMs: 15_000,
  });
  const sender = createWebhookSender({
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    allowPrivate: env.WEBHOOK_ALLOW_PRIVATE_URLS,
    userAgent: "hub-platform-webhooks/1",
  });
  const worker = startDeliveryWorker({
    client,
    sender,
    owner,
    concurrency: env.RELAY_CONCURRENCY,
    ...(env.RELAY_PER_SUBSCRIPTION ? { perSubscription: env.RELAY_PER_SUBSCRIPTION } : {}),
    leaseMs: env.WEBHOOK_LEASE_MS,
    schedule: env.WEBHOOK_RETRY_SCHEDULE,
    disableAfterMs: env.WEBHOOK_DISABLE_AFTER,
    logger,
    metrics,
  });
  const publisher = env.NATS_URL
    ? await startJetStreamPublisher({
        client,
        natsUrl: env.NATS_URL,
        stream: env.NATS_STREAM,
        duplicateWindowMs: env.NATS_DUPLICATE_WINDOW,
        owner,
        leaseMs: env.NATS_LEASE_MS,
        logger,
        metrics,
      })
    : undefined;
  const statsTimer = setInterval(
    () => logger.info({ ...metrics.totals }, "relay counters"),
    env.RELAY_STATS_INTERVAL_MS,
  );
  statsTimer.unref();

  const metricsEndpoint = createMetricsEndpoint(metrics.registry, {
    host: env.RELAY_HOST,
    production: env.NODE_ENV === "production",
  });
  const server = http.createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/healthz" || path === "/readyz") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", owner }));
      return;
    }
    if (path === "/metrics" && metricsEndpoint.handle(req, res)) return;
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "Not Found" }));
  });

  return {
    owner,
    listen: () => listen(server, env.RELAY_PORT, env.RELAY_HOST),
    async close() {
      clearInterval(statsTimer);
      await closeServer(server);
      await publisher?.stop();
      await worker.stop();
      await sender.close();
      logger.info({ ...metrics.totals }, "relay counters");
    },
  };
}
