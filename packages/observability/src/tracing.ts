import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

export type { Span };
export { SpanKind };

/**
 * The project's spans, through the OpenTelemetry API only. Without a registered SDK (no
 * OTEL_EXPORTER_OTLP_ENDPOINT, see tracing-sdk.ts) every call here is the API's no-op: no span
 * objects are recorded, nothing is exported, and the SDK is never loaded.
 */
const tracer = trace.getTracer("hub-platform");

export type SpanOptions = {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The parent; default: the active context. */
  readonly parent?: Context;
};

/** Runs `work` in a new active span; a thrown error marks the span as failed and is rethrown. */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes } : {}),
    },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.name : "error",
        });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * The active span as a W3C `traceparent`, for a call that travels inside a batch: one batched
 * HTTP request can carry calls of several traces, so each call carries its own parent.
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a received `traceparent` continues (the active one when there is none). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : context.active();
}

/** Request headers → the context they continue (a partner's own trace, when it sends one). */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers);
}
