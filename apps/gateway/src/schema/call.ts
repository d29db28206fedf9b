import type { GraphQLContext } from "../context.ts";
import type { CallContext } from "../hub-api.ts";

/** The hub-service call context of a GraphQL request (authenticates on first use). */
export async function callOf(ctx: Pick<GraphQLContext, "principal" | "requestId">): Promise<CallContext> {
  return { principal: await ctx.principal(), requestId: ctx.requestId, source: "graphql" };
}

type ConnectionArgs = {
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
};

export function pageOf(args: ConnectionArgs) {
  return { first: args.first, after: args.after, last: args.last, before: args.before };
}
