import { inSpan, SpanKind } from "@hub/observability";
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { GatewayMetrics } from "./metrics.ts";

/**
 * One span and one latency observation per GraphQL operation: the execution runs inside the span,
 * so the hub-service calls its resolvers make are its children (and carry its traceparent).
 */
export function graphqlObservability(metrics: GatewayMetrics): Plugin<{ requestId?: string }> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? "unknown";
      const name = args.operationName ?? operation?.name?.value ?? "anonymous";
      const requestId = (args.contextValue as { requestId?: string }).requestId ?? "";
      setExecuteFn(async (executeArgs) => {
        const started = performance.now();
        let outcome: "ok" | "error" = "error";
        try {
          return await inSpan(
            `graphql.${type} ${name}`,
            {
              kind: SpanKind.INTERNAL,
              attributes: {
                "graphql.operation.type": type,
                "graphql.operation.name": name,
                "hub.request_id": requestId,
              },
            },
            async (span) => {
              const result = await executeFn(executeArgs);
              const failed = "errors" in result && (result.errors?.length ?? 0) > 0;
              if (!failed) outcome = "ok";
              span.setAttribute("graphql.errors", failed);
              return result;
            },
          );
        } finally {
          metrics.operation(type, name, outcome, (performance.now() - started) / 1000);
        }
      });
    },
  };
}
