import { inSpan, SpanKind } from "@hub/observability";
import { getOperationAST, Kind, type OperationDefinitionNode } from "graphql";
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
      // The client's operation name names the span (bounded); the metric is labelled by the root
      // fields, which the schema bounds (execution only starts for a validated document).
      const name = (args.operationName ?? operation?.name?.value ?? "anonymous")
        .replace(/\W/g, "")
        .slice(0, 64);
      const fields = rootFields(operation);
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
          metrics.operation(type, fields, outcome, (performance.now() - started) / 1000);
        }
      });
    },
  };
}

/** The operation's root fields, sorted ("hub", "hubs+provisionHub"); more than 3: "multiple". */
function rootFields(operation: OperationDefinitionNode | null | undefined): string {
  const names = new Set<string>();
  for (const selection of operation?.selectionSet.selections ?? []) {
    names.add(selection.kind === Kind.FIELD ? selection.name.value : "fragment");
  }
  return names.size === 0 ? "none" : names.size > 3 ? "multiple" : [...names].sort().join("+");
}
