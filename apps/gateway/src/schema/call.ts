import type { RequestContext } from "@hub/shared";
import { callerOf } from "../backend.ts";
import type { GraphQLContext } from "../context.ts";

/** The caller of a GraphQL request as hub-service receives it (authenticates on first use). */
export async function callOf(ctx: Pick<GraphQLContext, "principal" | "requestId">): Promise<RequestContext> {
  return callerOf(await ctx.principal(), ctx.requestId, "graphql");
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
