import { type AppError, errorKinds, isAppError, UnauthenticatedError } from "@hub/shared";
import { GraphQLError } from "graphql";

/**
 * Authentication and authorization failures are GraphQL errors (not result data), with a stable
 * `extensions.code` and the matching HTTP status. Yoga's masking lets GraphQLErrors through.
 */
export function toGraphQLError(error: AppError): GraphQLError {
  const code = error instanceof UnauthenticatedError ? "UNAUTHENTICATED" : error.kind;
  return new GraphQLError(error.message, {
    extensions: { code, http: { status: errorKinds[error.kind].httpStatus } },
  });
}

/**
 * An application error that no result union took (authentication, authorization, rate limiting,
 * any kind a field does not answer as data), thrown by a resolver or given as the error itself,
 * as the GraphQL error clients get: its message and code, at its path. Undefined for any other
 * error, which stays unexpected (masked).
 */
export function appErrorAsGraphQLError(error: unknown): GraphQLError | undefined {
  const located = error instanceof GraphQLError ? error : undefined;
  const appError = located ? located.originalError : error;
  if (!isAppError(appError)) return undefined;
  const converted = toGraphQLError(appError);
  if (!located) return converted;
  return new GraphQLError(converted.message, {
    nodes: located.nodes ?? null,
    source: located.source,
    positions: located.positions,
    path: located.path,
    extensions: converted.extensions,
  });
}
