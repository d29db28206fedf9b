import http from "node:http";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Counter,
  contextFromTraceparent,
  createMetricsEndpoint,
  createMetricsRegistry,
  currentTraceparent,
  inSpan,
} from "../src/index.ts";

// The span helpers with a real SDK provider and an in-memory exporter, as the services register
// it when tracing is on; and the /metrics exposure rule over real HTTP.
const exporter = new InMemorySpanExporter();
beforeAll(() => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

describe("spans", () => {
  it("each call of a batch continues its own trace (its traceparent), not the batch's", async () => {
    exporter.reset();
    // Two requests on the caller's side, each with its own trace.
    const [first, second] = await Promise.all(
      ["request A", "request B"].map((name) => inSpan(name, {}, async () => currentTraceparent())),
    );
    expect(first).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
    expect(second).not.toBe(first);
    // The receiving side, one HTTP request holding both calls, inside some unrelated span.
    await inSpan("batch http request", {}, async () => {
      for (const traceparent of [first, second]) {
        await inSpan("trpc hub.provision", { parent: contextFromTraceparent(traceparent) }, async () =>
          inSpan("IoT.DescribeThing", {}, async () => undefined),
        );
      }
    });
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((span) => span.name === name);
    const requests = [...byName("request A"), ...byName("request B")];
    const procedures = byName("trpc hub.provision");
    expect(procedures).toHaveLength(2);
    procedures.forEach((procedure, index) => {
      const request = requests[index];
      expect(procedure.spanContext().traceId).toBe(request?.spanContext().traceId);
      expect(procedure.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    });
    // The registry call is the child of its procedure.
    for (const lookup of byName("IoT.DescribeThing")) {
      expect(procedures.map((procedure) => procedure.spanContext().spanId)).toContain(
        lookup.parentSpanContext?.spanId,
      );
    }
  });

  it("a thrown error marks the span failed and is rethrown", async () => {
    exporter.reset();
    await expect(inSpan("failing", {}, async () => Promise.reject(new TypeError("boom")))).rejects.toThrow(
      "boom",
    );
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toEqual({ code: 2, message: "TypeError" });
  });
});

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, text: await response.text() };
}

/** A service port that serves what the endpoint allows at /metrics, else 404. */
async function servicePort(endpoint: ReturnType<typeof createMetricsEndpoint>) {
  const server = http.createServer((req, res) => {
    if (req.url === "/metrics" && endpoint.handle(req, res)) return;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("/metrics exposure", () => {
  const registry = createMetricsRegistry();
  new Counter({ name: "probe_total", help: "a probe", registers: [registry] }).inc(3);

  it("production without a token or port: not served on the service port", async () => {
    const port = await servicePort(createMetricsEndpoint(registry, { host: "127.0.0.1", production: true }));
    expect((await get(`${port.url}/metrics`)).status).toBe(404);
    await port.close();
  });

  it("with a token: only with that bearer token", async () => {
    const endpoint = createMetricsEndpoint(registry, {
      host: "127.0.0.1",
      production: true,
      token: "t".repeat(20),
    });
    const port = await servicePort(endpoint);
    expect((await get(`${port.url}/metrics`)).status).toBe(401);
    expect((await get(`${port.url}/metrics`, { authorization: `Bearer ${"t".repeat(19)}` })).status).toBe(
      401,
    );
    const ok = await get(`${port.url}/metrics`, { authorization: `Bearer ${"t".repeat(20)}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^probe_total 3$/m);
    await port.close();
  });

  it("with a port: on that internal listener only, never on the service port", async () => {
    const endpoint = createMetricsEndpoint(registry, {
      host: "127.0.0.1",
      production: true,
      port: 0,
      token: "t".repeat(20),
    });
    const internal = await endpoint.listen();
    const port = await servicePort(endpoint);
    expect((await get(`${port.url}/metrics`, { authorization: `Bearer ${"t".repeat(20)}` })).status).toBe(
      404,
    );
    const scraped = await get(internal ?? "");
    expect(scraped.status).toBe(200);
    expect(scraped.text).toMatch(/^probe_total 3$/m);
    expect(scraped.text).toMatch(/^process_cpu_seconds_total /m);
    await endpoint.close();
    await port.close();
  });

  it("development without a token: open on the service port", async () => {
    const port = await servicePort(createMetricsEndpoint(registry, { host: "127.0.0.1", production: false }));
    expect((await get(`${port.url}/metrics`)).status).toBe(200);
    await port.close();
  });
});
