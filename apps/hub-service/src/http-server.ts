import { randomUUID } from "node:crypto";
import http from "node:http";
import type { MetricsEndpoint } from "@hub/observability";
import { createServiceTokenVerifier } from "@hub/server-kit";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Logger } from "pino";
import type { ApiKeyService } from "./api-keys/api-keys.ts";
import type { EventDelivery } from "./event-delivery.ts";
import type { HubServiceMetrics } from "./metrics.ts";
import type { HubService } from "./service.ts";
import { appRouter } from "./trpc/router.ts";

export type HubServiceServerOptions = {
  readonly hubs: HubService;
  readonly delivery: EventDelivery;
  readonly apiKeys: ApiKeyService;
  readonly logger: Logger;
  readonly metrics: HubServiceMetrics;
  readonly metricsEndpoint: MetricsEndpoint;
  readonly serviceSecret: string;
  /**
   * Readiness, with why not: the database answers and the registry breaker is not open (the data
   * plane's breakers are reported in the checks, never a reason to be unready).
   */
  readonly readiness: () => Promise<Readiness>;
  readonly requestTimeoutMs?: number;
  /** How far a caller's clock may be off this one's when its deadline is compared (ms). */
  readonly clockSkewMs: number;
};

/**
 * The calling process' deadline for this HTTP request (`x-request-deadline`, epoch ms on its
 * clock, set by @hub/hub-client), plus the skew allowance: on this process' clock.
 */
function requestDeadline(header: string | string[] | undefined, skewMs: number): number | undefined {
  if (typeof header !== "string" || !/^\d{1,15}$/.test(header)) return undefined;
  return Number(header) + skewMs;
}

export type Readiness = {
  readonly ready: boolean;
  readonly checks: Record<string, string>;
};

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function createHubServiceServer(options: HubServiceServerOptions): http.Server {
  const verifyServiceToken = createServiceTokenVerifier(options.serviceSecret);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    createContext({ req, info }) {
      const header = req.headers["x-request-id"];
      const requestId = typeof header === "string" && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
      return {
        service: verifyServiceToken(req.headers.authorization),
        arrivedAt: Date.now(),
        deadline: requestDeadline(req.headers["x-request-deadline"], options.clockSkewMs),
        signal: info.signal,
        clockSkewMs: options.clockSkewMs,
        hubs: options.hubs,
        delivery: options.delivery,
        apiKeys: options.apiKeys,
        logger: options.logger,
        metrics: options.metrics,
        requestId,
      };
    },
  });

  // Node enforces requestTimeout only when it sweeps connections (every 30 s by default).
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    if (req.url === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (req.url === "/readyz") {
      options.readiness().then(
        ({ ready, checks }) =>
          sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable", checks }),
        () => sendJson(res, 503, { status: "unavailable", checks: {} }),
      );
      return;
    }
    if (req.url?.split("?")[0] === "/metrics" && options.metricsEndpoint.handle(req, res)) return;
    if (req.url?.startsWith("/trpc/")) return trpc(req, res);
    sendJson(res, 404, { error: "Not Found" });
  });
  server.requestTimeout = options.requestTimeoutMs ?? 10_000;
  server.headersTimeout = Math.min(server.requestTimeout, 60_000);
  server.keepAliveTimeout = 65_000;
  return server;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
