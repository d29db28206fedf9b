import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { inSpan, type MetricsEndpoint, SpanKind } from "@hub/observability";
import { isAppError, UnavailableError } from "@hub/shared";
import type { Logger } from "pino";
import { ADMIN_CONSOLE_PATH, type AdminConsole, isAdminConsolePath } from "./admin-console.ts";
import { credentialsOf } from "./auth/index.ts";
import { callerOf, type HubService } from "./backend.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { withRateLimit } from "./rate-limit.ts";
import { withBudget } from "./request-scope.ts";
import {
  BodyTooLargeError,
  closeAfterEarlyAnswer,
  isJsonContentType,
  UnsupportedMediaTypeError,
} from "./rest/body.ts";
import { requireDualCredentials } from "./rest/delete-hub.ts";
import { openApiDocument } from "./rest/openapi.ts";
import { sendAppError, sendError, sendInternalError, sendJson } from "./rest/responses.ts";
import { createRestRouter } from "./rest/routes.ts";
import type { createGatewayYoga, ServerContext } from "./yoga.ts";

export type GatewayServerOptions = {
  readonly hubService: HubService;
  readonly yoga: ReturnType<typeof createGatewayYoga>;
  readonly authenticate: ReturnType<typeof withRateLimit>;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  /** What each request may spend on hub-service calls (forwarded to hub-service as its deadline). */
  readonly hubServiceTimeoutMs: number;
  readonly metrics: GatewayMetrics;
  readonly metricsEndpoint: MetricsEndpoint;
  /** Readiness, with why not (hub-service's own checks included). */
  readonly readiness: () => Promise<{ ready: boolean; checks: Record<string, unknown> }>;
  /** The admin console's static files under /admin. */
  readonly adminConsole?: AdminConsole;
  /** The header carrying the AWS IoT topic rule's secret (IOT_RULE_HEADER_NAME). */
  readonly iotRuleHeaderName: string;
  /** Charges a request without valid credentials to its client IP's budget (429 past it). */
  readonly chargeAnonymous: (ip: string) => Promise<void>;
};

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const requestIds = new WeakMap<IncomingMessage, string>();

export function requestIdOf(req: IncomingMessage): string {
  let id = requestIds.get(req);
  if (!id) {
    const header = req.headers["x-request-id"];
    id = typeof header === "string" && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
    requestIds.set(req, id);
  }
  return id;
}

/**
 * Reads a small JSON GraphQL body before Yoga sees the request and hands it over as `req.body`,
 * which Yoga's Node adapter (whatwg-node) takes as already parsed: otherwise every request body
 * is a Node stream turned into a web ReadableStream and piped through Yoga's size-limit
 * TransformStream into a new Request (measured: ~7% of the gateway's CPU per GraphQL request).
 * Only a declared Content-Length within the limit and a JSON content type qualify; anything else
 * (chunked, larger, other types) streams to Yoga exactly as before, and a body that is not a
 * non-empty JSON object or array is handed over as text, so Yoga answers it as it always did.
 */
async function readGraphqlBody(req: IncomingMessage & { body?: unknown }, limit: number): Promise<void> {
  if (req.method !== "POST" || !isJsonContentType(req.headers["content-type"])) return;
  const declared = req.headers["content-length"];
  if (declared === undefined || !/^\d+$/.test(declared)) return;
  const length = Number(declared);
  if (length === 0 || length > limit) return;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const usable = typeof parsed === "object" && parsed !== null && Object.keys(parsed).length > 0;
  req.body = usable ? parsed : text;
}

export function clientIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}

/** One HTTP server: GraphQL at /graphql, the REST compatibility routes, health and OpenAPI. */
export function createGatewayServer(options: GatewayServerOptions): http.Server {
  const { logger } = options;
  const matchRoute = createRestRouter();

  /** The route pattern of each request, for its metric (bounded labels, never the raw path). */
  const routes = new WeakMap<IncomingMessage, string>();

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway");
    routes.set(
      req,
      ["/graphql", "/healthz", "/readyz", "/openapi.json", "/metrics"].includes(url.pathname)
        ? url.pathname
        : "unmatched",
    );
    if (url.pathname === "/graphql") {
      // A subscription's SSE stream lasts as long as its client stays: measured under a route of
      // its own, or hours-long streams would stretch the latency of GraphQL requests.
      if (/\btext\/event-stream\b/i.test(req.headers.accept ?? "")) routes.set(req, "/graphql (sse)");
      await readGraphqlBody(req, options.bodyLimitBytes);
      // The request listener adds `req` and `res` to the server context and writes the response.
      await options.yoga(req, res, { requestId } as Partial<ServerContext>);
      return;
    }
    const match = matchRoute(req.method ?? "GET", url.pathname);
    // A REST route under /admin/ (the hub deletion's) wins over the console's files.
    if (options.adminConsole && isAdminConsolePath(url.pathname) && match.kind === "none") {
      routes.set(req, ADMIN_CONSOLE_PATH);
      return options.adminConsole.handle(req, res, url);
    }
    if (url.pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url.pathname === "/readyz") {
      const { ready, checks } = await options
        .readiness()
        .catch(() => ({ ready: false, checks: { hubService: "unavailable" } }));
      return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable", checks });
    }
    if (url.pathname === "/metrics" && options.metricsEndpoint.handle(req, res)) return;
    if (url.pathname === "/openapi.json" && req.method === "GET") return sendJson(res, 200, openApiDocument);
    if (match.kind === "wrong-method") {
      return sendError(
        res,
        405,
        "Method Not Allowed",
        `Use ${match.allow} for this route`,
        {},
        { allow: match.allow },
      );
    }
    if (match.kind === "found") {
      const { route: found } = match;
      routes.set(req, found.path);
      return inSpan(
        `REST ${req.method} ${found.path}`,
        { kind: SpanKind.INTERNAL, attributes: { "http.route": found.path, "hub.request_id": requestId } },
        async () => {
          const call = {
            req,
            res,
            pathId: match.id,
            params: match.params,
            hubService: options.hubService,
            bodyLimitBytes: options.bodyLimitBytes,
            iotRuleHeaderName: options.iotRuleHeaderName,
            chargeClient: () => options.chargeAnonymous(clientIp(req)),
          };
          if (found.public) return found.handle(call);
          // Every other REST route needs a caller: credentials are checked before the body is read.
          const credentials = credentialsOf(req, { adminApiKeyHeader: found.credentials === "both" });
          if (found.credentials === "both") requireDualCredentials(credentials);
          const principal = await options.authenticate(credentials, clientIp(req));
          return found.handle({ ...call, caller: callerOf(principal, requestId, "rest") });
        },
      );
    }
    sendError(res, 404, "Not Found", "No such route");
  }

  // Node enforces requestTimeout only when it sweeps connections (every 30 s by default).
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const requestId = requestIdOf(req);
    const started = performance.now();
    res.setHeader("x-request-id", requestId);
    // On close, not finish: a request the client abandoned or that timed out is measured too (499).
    res.on("close", () => {
      options.metrics.request(
        req.method ?? "GET",
        routes.get(req) ?? "unmatched",
        res.writableFinished ? res.statusCode : 499,
        (performance.now() - started) / 1000,
      );
    });
    res.on("finish", () => {
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.url?.split("?")[0],
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
    });
    withBudget(options.hubServiceTimeoutMs, () => route(req, res, requestId)).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) {
        // Stop reading a huge body: answer, then close the connection without losing the answer.
        res.setHeader("connection", "close");
        closeAfterEarlyAnswer(req);
        return sendError(res, 413, "Payload Too Large", error.message);
      }
      if (error instanceof UnsupportedMediaTypeError)
        return sendError(res, 415, "Unsupported Media Type", error.message);
      if (error instanceof URIError)
        return sendError(res, 400, "Bad Request", "The request path is malformed");
      if (isAppError(error)) {
        if (error instanceof UnavailableError)
          logger.warn({ requestId, reason: error.message }, "dependency unavailable");
        return sendAppError(res, error);
      }
      logger.error({ requestId, err: error }, "unexpected error");
      sendInternalError(res);
    });
  });
  server.on("clientError", answerClientError);
  server.requestTimeout = options.requestTimeoutMs;
  server.headersTimeout = Math.min(options.requestTimeoutMs, 60_000);
  server.keepAliveTimeout = 65_000;
  return server;
}

const clientErrors: Record<string, { status: number; title: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    title: "Request Header Fields Too Large",
    message: "The request headers are too large",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    title: "Request Timeout",
    message: "The request was not received in time",
  },
};

/**
 * Requests Node refuses before any handler runs (headers too large, malformed HTTP, too slow to
 * arrive) get the same JSON error shape as every other error, instead of Node's bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, title, message } = clientErrors[error.code ?? ""] ?? {
    status: 400,
    title: "Bad Request",
    message: "The request is not valid HTTP",
  };
  const body = JSON.stringify({ success: false, error: title, message, code: status });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
