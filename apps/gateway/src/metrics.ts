import { Histogram, latencyBuckets, type Registry } from "@hub/observability";

export type GatewayMetrics = {
  readonly registry: Registry;
  /** One HTTP request ended; `route` is the route's pattern (bounded), never the raw path. */
  request(method: string, route: string, status: number, seconds: number): void;
  /** One GraphQL operation executed (a batch counts each); outcome ok or error. */
  operation(type: string, name: string, outcome: "ok" | "error", seconds: number): void;
};

/** Operation names come from clients: only well-formed ones, and at most this many, become labels. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  const requests = new Histogram({
    name: "gateway_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern and status",
    labelNames: ["method", "route", "status"],
    buckets: latencyBuckets,
    registers,
  });
  const operations = new Histogram({
    name: "gateway_graphql_operation_duration_seconds",
    help: "GraphQL operations by type, name and outcome (error: the result has errors)",
    labelNames: ["type", "operation", "outcome"],
    buckets: latencyBuckets,
    registers,
  });
  const names = new Set<string>();
  const nameLabel = (name: string) => {
    if (!OPERATION_NAME.test(name)) return "other";
    if (names.has(name)) return name;
    if (names.size >= MAX_OPERATION_NAMES) return "other";
    names.add(name);
    return name;
  };
  return {
    registry,
    request: (method, route, status, seconds) =>
      requests.observe({ method, route, status: String(status) }, seconds),
    operation: (type, name, outcome, seconds) =>
      operations.observe({ type, operation: nameLabel(name), outcome }, seconds),
  };
}
