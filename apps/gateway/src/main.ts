/**
 * The gateway's entry point. Tracing, when configured, starts before anything it instruments is
 * imported (its module hooks must see them load), so the server itself is a dynamic import.
 */
import { loadEnv } from "./env.ts";

const env = loadEnv();
const tracing = env.OTEL_EXPORTER_OTLP_ENDPOINT
  ? await (await import("@hub/observability/tracing-sdk")).startTracing({ serviceName: "gateway" })
  : undefined;
const { serve } = await import("./serve.ts");
await serve(env, tracing?.shutdown);
