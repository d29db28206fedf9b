import {
  Counter,
  createMetricsRegistry,
  Histogram,
  latencyHistogram,
  type Registry,
} from "@hub/observability";

export type RelayMetrics = ReturnType<typeof createRelayMetrics>;

/** What an operator watches: outcomes, lag from commit to receipt, and the JetStream publisher. */
export function createRelayMetrics(registry: Registry = createMetricsRegistry()) {
  const deliveries = new Counter({
    name: "relay_webhook_attempts_total",
    help: "Webhook attempts by outcome (delivered, retry, dead)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const lag = new Histogram({
    name: "relay_webhook_delivery_lag_seconds",
    help: "From the event's commit to the partner's 2xx",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  const attemptSeconds = latencyHistogram(registry, "relay_webhook_attempt_seconds", "One HTTP attempt", []);
  const published = new Counter({
    name: "relay_jetstream_published_total",
    help: "Events published to JetStream (duplicates: re-publications JetStream dropped)",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const totals = { delivered: 0, retry: 0, dead: 0, published: 0, duplicates: 0 };
  return {
    registry,
    totals,
    attempt(outcome: "delivered" | "retry" | "dead", seconds: number, lagSeconds?: number) {
      totals[outcome]++;
      deliveries.inc({ outcome });
      attemptSeconds.observe(seconds);
      if (lagSeconds !== undefined) lag.observe(lagSeconds);
    },
    publish(duplicate: boolean) {
      if (duplicate) totals.duplicates++;
      else totals.published++;
      published.inc({ result: duplicate ? "duplicate" : "stored" });
    },
  };
}
