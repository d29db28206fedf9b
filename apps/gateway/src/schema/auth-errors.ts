import { type AppError, errorKinds, ForbiddenError, UnauthenticatedError } from "@hub/shared";
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

/** Runs a resolver body, turning auth failures and other non-result AppErrors into GraphQLErrors. */
export async function guarded<T>(
  operation: () => Promise<T>,
  resultTypes: readonly (abstract new (...args: never[]) => Error)[] = [],
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (resultTypes.some((type) => error instanceof type)) throw error;
    if (error instanceof UnauthenticatedError || error instanceof ForbiddenError) throw toGraphQLError(error);
    if (error && typeof error === "object" && "kind" in error && "httpStatus" in error)
      throw toGraphQLError(error as AppError);
    throw error;
  }
}
