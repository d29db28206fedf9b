import type { IncomingMessage, ServerResponse } from "node:http";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import type { Principal } from "@hub/shared";
import { createYoga, maskError, type Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { HubService } from "./backend.ts";
import type { GraphQLContext } from "./context.ts";
import { graphqlObservability } from "./graphql-observability.ts";
import type { LogTail } from "./live/log-tail.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { persistedOperationsPlugin } from "./persisted-operations.ts";
import { appErrorAsGraphQLError } from "./schema/auth-errors.ts";
import { schema } from "./schema/index.ts";

export type Authenticate = (credentials: { authorization?: string; apiKey?: string }) => Promise<Principal>;

export type YogaOptions = {
  readonly hubService: HubService;
  readonly logTail: LogTail;
  /** Authenticates and applies the rate limit; the second argument is the client IP. */
  readonly authenticate: (credentials: Parameters<Authenticate>[0], ip: string) => Promise<Principal>;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly production: boolean;
  /** Allow-listed operations by sha256 (see persisted-operations.ts); exclusive unless `allowArbitraryOperations`. */
  readonly persistedOperations?: {
    readonly operations: ReadonlyMap<string, string>;
    readonly allowArbitraryOperations: boolean;
  };
};

/** What the HTTP layer hands to Yoga with each request. */
export type ServerContext = {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
};

export function createGatewayYoga(options: YogaOptions) {
  const plugins: Plugin[] = [
    // Depth, alias, directive, token and cost limits against abusive documents.
    EnvelopArmorPlugin({
      maxDepth: { n: 10 },
      maxAliases: { n: 15 },
      maxDirectives: { n: 20 },
      maxTokens: { n: 2000 },
      costLimit: { maxCost: 5000 },
      blockFieldSuggestion: { enabled: options.production },
    }),
    graphqlObservability(options.metrics) as Plugin,
  ];
  if (options.production) plugins.push(useDisableIntrospection());
  if (options.persistedOperations) {
    const { operations, allowArbitraryOperations } = options.persistedOperations;
    plugins.unshift(persistedOperationsPlugin(operations, allowArbitraryOperations));
  }

  return createYoga<ServerContext, GraphQLContext>({
    schema,
    // Subscriptions (the live feed) are served over SSE, GraphQL over SSE's "distinct connections"
    // mode: a POST with `Accept: text/event-stream`. Yoga writes a comment line every 12 s, the
    // heartbeat that keeps proxies from closing an idle stream (not configurable in Yoga 5).
    graphqlEndpoint: "/graphql",
    graphiql: !options.production,
    landingPage: false,
    // Application errors no result union took (authentication, authorization, rate limiting, …)
    // are GraphQL errors with their `extensions.code`, for every field; unexpected errors are
    // masked: clients see "Unexpected error.", logs keep the detail.
    maskedErrors: {
      maskError: (error, message, isDev) => appErrorAsGraphQLError(error) ?? maskError(error, message, isDev),
    },
    batching: { limit: 5 },
    logging: false,
    plugins,
    context: ({ request, req, requestId }) => {
      let principal: Promise<Principal> | undefined;
      let logger: Logger | undefined;
      return {
        requestId,
        // Made on first use: resolvers rarely log, and a child logger per request is not free.
        get logger() {
          logger ??= options.logger.child({ requestId });
          return logger;
        },
        hubService: options.hubService,
        logTail: options.logTail,
        principal: () => {
          principal ??= options.authenticate(
            {
              ...optionalHeader("authorization", request.headers.get("authorization")),
              ...optionalHeader("apiKey", request.headers.get("x-api-key")),
            },
            req.socket.remoteAddress ?? "unknown",
          );
          return principal;
        },
      };
    },
  });
}

function optionalHeader<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}
