import { timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export { Counter, Gauge, Histogram, Registry };

/** Seconds; from a cached read (~1 ms) to the longest deadlines (10 s). */
export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A latency histogram (seconds, `latencyBuckets`) whose counts also count the calls by label. */
export function latencyHistogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
) {
  return new Histogram<L>({ name, help, labelNames, buckets: latencyBuckets, registers: [registry] });
}

/** One registry per process: the process' default metrics (CPU, memory, event loop, GC) plus the app's. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export type MetricsExposure = {
  /** Set: `/metrics` is served on its own (internal) listener, and not on the public port. */
  readonly port?: number | undefined;
  readonly host: string;
  /** Set: `/metrics` on the public port answers only `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Without a port or a token, production does not serve `/metrics` on the public port at all. */
  readonly production: boolean;
};

export type MetricsEndpoint = {
  /** Answers `/metrics` on the public port when the exposure allows it; false: not handled here (404). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Starts the internal listener when a port is configured; its URL, or undefined. */
  listen(): Promise<string | undefined>;
  close(): Promise<void>;
};

/**
 * Prometheus text on `/metrics`, reachable only where an operator's scraper should reach it: an
 * internal port (bind it to a private interface), or the public port with a bearer token, or —
 * in development only — the public port as is.
 */
export function createMetricsEndpoint(registry: Registry, exposure: MetricsExposure): MetricsEndpoint {
  const expected = exposure.token ? Buffer.from(`Bearer ${exposure.token}`) : undefined;
  const write = (res: ServerResponse) => {
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n"),
    );
  };
  let internal: http.Server | undefined;
  return {
    handle(req, res) {
      if (exposure.port !== undefined) return false;
      if (expected) {
        const given = Buffer.from(req.headers.authorization ?? "");
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" }).end(
            JSON.stringify({
              success: false,
              error: "Unauthorized",
              message: "A metrics token is required",
              code: 401,
            }),
          );
          return true;
        }
      } else if (exposure.production) return false;
      write(res);
      return true;
    },
    listen() {
      const { port } = exposure;
      if (port === undefined) return Promise.resolve(undefined);
      const server = http.createServer((req, res) => {
        if (req.url?.split("?")[0] === "/metrics") return write(res);
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      });
      internal = server;
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, exposure.host, () => {
          const address = server.address();
          const actual = typeof address === "object" && address ? address.port : port;
          resolve(`http://${exposure.host}:${actual}/metrics`);
        });
      });
    },
    close() {
      const server = internal;
      if (!server) return Promise.resolve();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
