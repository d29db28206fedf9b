import type http from "node:http";
import { createMetricsEndpoint, createMetricsRegistry } from "@hub/observability";
import { closeServer, createServiceTokenSource, listen } from "@hub/server-kit";
import type { Logger } from "pino";
import { createAdminConsole } from "./admin-console.ts";
import { createAuthenticator } from "./auth/index.ts";
import { createHubService, type HubService } from "./backend.ts";
import { type GatewayEnv, splitPemKeys } from "./env.ts";
import { createGatewayServer } from "./http-server.ts";
import { createLogTail } from "./live/log-tail.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { loadPersistedOperations } from "./persisted-operations.ts";
import { anonymousCharge, createRateLimiters, withRateLimit } from "./rate-limit.ts";
import { createGatewayYoga } from "./yoga.ts";

export type GatewayApp = {
  readonly server: http.Server;
  readonly hubService: HubService;
  listen(): Promise<string>;
  close(): Promise<void>;
};

/** Wires the gateway from its parsed environment; used by main.ts and in-process by tests. */
export async function createGatewayApp(env: GatewayEnv, logger: Logger): Promise<GatewayApp> {
  const metrics = createGatewayMetrics(createMetricsRegistry());
  const metricsEndpoint = createMetricsEndpoint(metrics.registry, {
    port: env.METRICS_PORT,
    host: env.METRICS_HOST,
    token: env.METRICS_TOKEN,
    production: env.NODE_ENV === "production",
  });
  const hubService = createHubService({
    url: env.HUB_SERVICE_URL,
    serviceToken: createServiceTokenSource(env.SERVICE_JWT_SECRET, env.SERVICE_ID),
    timeoutMs: env.HUB_SERVICE_TIMEOUT_MS,
  });
  const authenticate = createAuthenticator({
    jwt: {
      algorithms: env.JWT_ALGORITHMS,
      ...(env.GATEWAY_JWT_SECRET ? { secret: env.GATEWAY_JWT_SECRET } : {}),
      publicKeys: splitPemKeys(env.JWT_PUBLIC_KEYS),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    verifyApiKey: (key) => hubService.apiKeys.verify.query({ key }),
    apiKeyCacheTtlMs: env.API_KEY_CACHE_TTL_MS,
  });
  const rateLimiters = await createRateLimiters({
    points: env.RATE_LIMIT_POINTS,
    ipPoints: env.RATE_LIMIT_IP_POINTS,
    windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
    keyPrefix: env.RATE_LIMIT_KEY_PREFIX,
    ...(env.RATE_LIMIT_REDIS_URL ? { redisUrl: env.RATE_LIMIT_REDIS_URL } : {}),
    redisTimeoutMs: env.RATE_LIMIT_REDIS_TIMEOUT_MS,
    logger,
  });
  const limited = withRateLimit(authenticate, rateLimiters);
  const logTail = createLogTail({ hubService, logger });
  const yoga = createGatewayYoga({
    hubService,
    logTail,
    authenticate: limited,
    logger,
    metrics,
    production: env.NODE_ENV === "production",
    ...(env.GRAPHQL_PERSISTED_OPERATIONS_FILE
      ? {
          persistedOperations: {
            operations: loadPersistedOperations(env.GRAPHQL_PERSISTED_OPERATIONS_FILE),
            allowArbitraryOperations: env.GRAPHQL_ALLOW_ARBITRARY_OPERATIONS,
          },
        }
      : {}),
  });
  const server = createGatewayServer({
    hubService,
    yoga,
    authenticate: limited,
    logger,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    hubServiceTimeoutMs: env.HUB_SERVICE_TIMEOUT_MS,
    metrics,
    metricsEndpoint,
    adminConsole: createAdminConsole({ dir: env.ADMIN_CONSOLE_DIR }),
    iotRuleHeaderName: env.IOT_RULE_HEADER_NAME,
    chargeAnonymous: anonymousCharge(rateLimiters),
    async readiness() {
      // Ready while hub-service answers and has its database: reads work even while the registry
      // breaker keeps it from provisioning (then "degraded"). Details stay on hub-service's port.
      // Bounded well under a probe's usual 1 s timeout: hub-service answers its own within 500 ms.
      const response = await fetch(`${env.HUB_SERVICE_URL}/readyz`, {
        signal: AbortSignal.timeout(800),
      }).catch((error: unknown) => error);
      if (!(response instanceof Response)) {
        const timedOut = response instanceof Error && response.name === "TimeoutError";
        return { ready: false, checks: { hubService: timedOut ? "no answer within 800 ms" : "unreachable" } };
      }
      const body = (await response.json().catch(() => ({}))) as { checks?: { database?: string } };
      const database = body.checks?.database === "ok";
      const hubService = response.ok ? "ready" : database ? "degraded" : "unavailable";
      return { ready: database, checks: { hubService } };
    },
  });
  return {
    server,
    hubService,
    async listen() {
      await metricsEndpoint.listen();
      return listen(server, env.GATEWAY_PORT, env.GATEWAY_HOST);
    },
    async close() {
      // Live feeds end first (each with a "resume with after" error): their streams would
      // otherwise hold the drain below until its deadline.
      logTail.close();
      await closeServer(server);
      await metricsEndpoint.close();
      await rateLimiters.close();
    },
  };
}
