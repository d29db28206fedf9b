/**
 * The OpenTelemetry SDK, loaded only when traces are exported (OTEL_EXPORTER_OTLP_ENDPOINT set):
 * an app's entry point imports this module dynamically before it imports anything else, so the
 * module hooks are in place before the instrumented packages load. Standard OTEL_* variables
 * configure the rest (protocol, headers, sampler, batch delay); the service name is the app's.
 *
 * Spans: `http` (every incoming request, and a partner's own traceparent continued), `undici`
 * (gateway → hub-service tRPC requests carry a W3C traceparent), `pino` (trace and span ids in
 * log lines) from auto-instrumentations-node, Prisma's (every SQL statement, as
 * `prisma:client:db_query` under its operation), and the project's own spans (tracing.ts): one per
 * tRPC procedure, GraphQL operation, REST route and IoT registry call.
 */
import { register } from "node:module";

export type TracingOptions = {
  readonly serviceName: string;
};

/** Instrumentations enabled unless the operator names others in OTEL_NODE_ENABLED_INSTRUMENTATIONS. */
const DEFAULT_INSTRUMENTATIONS = "http,undici,pino";

export async function startTracing(options: TracingOptions): Promise<{ shutdown(): Promise<void> }> {
  // ESM packages are patched through import-in-the-middle's loader hook.
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
  process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ??= DEFAULT_INSTRUMENTATIONS;
  // Traces only: metrics are scraped from /metrics, logs go to stdout (the SDK would otherwise
  // also export both over OTLP).
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  const [{ NodeSDK }, { getNodeAutoInstrumentations }, { PrismaInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/auto-instrumentations-node"),
    import("@prisma/instrumentation"),
  ]);
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations: [
      getNodeAutoInstrumentations({
        // Health checks and scrapes are not traces worth keeping.
        "@opentelemetry/instrumentation-http": {
          ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? ""),
        },
        // Trace and span ids into each log line; the lines themselves stay on stdout.
        "@opentelemetry/instrumentation-pino": { disableLogSending: true },
      }),
      new PrismaInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
