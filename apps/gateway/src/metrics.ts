import { latencyHistogram, type Registry } from "@hub/observability";

export type GatewayMetrics = {
  readonly registry: Registry;
  /** One HTTP request ended; `route` is the route's pattern (bounded), never the raw path. */
  request(method: string, route: string, status: number, seconds: number): void;
  /** One GraphQL operation executed (a batch counts each), by its root fields; outcome ok or error. */
  operation(type: string, fields: string, outcome: "ok" | "error", seconds: number): void;
};

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const requests = latencyHistogram(
    registry,
    "gateway_http_request_duration_seconds",
    "HTTP requests by method, route pattern and status",
    ["method", "route", "status"],
  );
  const operations = latencyHistogram(
    registry,
    "gateway_graphql_operation_duration_seconds",
    "GraphQL operations by type, root fields and outcome (error: the result has errors)",
    ["type", "fields", "outcome"],
  );
  return {
    registry,
    request: (method, route, status, seconds) =>
      requests.observe({ method, route, status: String(status) }, seconds),
    operation: (type, fields, outcome, seconds) => operations.observe({ type, fields, outcome }, seconds),
  };
}
