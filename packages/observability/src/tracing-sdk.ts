/**
 * The OpenTelemetry SDK, loaded only when traces are exported (OTEL_EXPORTER_OTLP_ENDPOINT set):
 * an app's entry point imports this module dynamically before it imports anything else, so the
 * module hooks are in place before the instrumented packages load. Standard OTEL_* variables
 * configure the rest (protocol, headers, sampler, batch delay); the service name is the app's.
 *
 * Spans: `http` (every incoming request, and a partner's own traceparent continued), `undici`
 * (gateway → hub-service tRPC requests carry a W3C traceparent), `pino` (trace and span ids in
 * log lines) — the three instrumentations of auto-instrumentations-node this stack uses, created
 * directly rather than all ~40 of it (configured here, not through environment variables) — Prisma's (every SQL statement, as
 * `prisma:client:db_query` under its operation), and the project's own spans (tracing.ts): one per
 * tRPC procedure, GraphQL operation, REST route and IoT registry call.
 */
import { register } from "node:module";

export type TracingOptions = {
  readonly serviceName: string;
};

export async function startTracing(options: TracingOptions): Promise<{ shutdown(): Promise<void> }> {
  // ESM packages are patched through import-in-the-middle's loader hook.
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
  const [
    { NodeSDK },
    { HttpInstrumentation },
    { UndiciInstrumentation },
    { PinoInstrumentation },
    { PrismaInstrumentation },
  ] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/instrumentation-http"),
    import("@opentelemetry/instrumentation-undici"),
    import("@opentelemetry/instrumentation-pino"),
    import("@prisma/instrumentation"),
  ]);
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations: [
      // Health checks and scrapes are not traces worth keeping.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? ""),
      }),
      new UndiciInstrumentation(),
      // Trace and span ids into each log line; the lines themselves stay on stdout.
      new PinoInstrumentation({ disableLogSending: true }),
      new PrismaInstrumentation(),
    ],
    // Traces only: metrics are scraped from /metrics and logs go to stdout (left unset, the SDK
    // would also export both over OTLP).
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
