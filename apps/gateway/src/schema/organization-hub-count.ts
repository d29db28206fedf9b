import { PAGE_SIZE_MAX } from "@hub/shared";
import DataLoader from "dataloader";
import { builder } from "../builder.ts";
import type { GraphQLContext } from "../context.ts";
import { callOf } from "./call.ts";
import { OrganizationRef } from "./organizations.ts";

/**
 * `Organization.hubCount` of a whole page in one hub-service call (one grouped SQL statement), not
 * one per organization: a DataLoader per request collects the ids its sibling resolvers ask for,
 * dispatched after the current macrotask, in chunks of a page at most. Nothing is cached across
 * requests or callers.
 */
const hubCountLoaders = new WeakMap<GraphQLContext, DataLoader<string, number>>();

export function hubCountOf(ctx: GraphQLContext, orgId: string): Promise<number> {
  let loader = hubCountLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(
      async (orgIds) => {
        const counts = await ctx.hubService.organizations.hubCounts.query({
          caller: await callOf(ctx),
          ids: [...orgIds],
        });
        const byOrg = new Map(counts.map((count) => [count.orgId.toLowerCase(), count.hubCount]));
        return orgIds.map((id) => byOrg.get(id.toLowerCase()) ?? 0);
      },
      { cache: false, maxBatchSize: PAGE_SIZE_MAX, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
    );
    hubCountLoaders.set(ctx, loader);
  }
  return loader.load(orgId);
}

builder.objectField(OrganizationRef, "hubCount", (t) =>
  t.int({
    description:
      "Hubs it owns: claimed into it, or provisioned by its key and not claimed yet (one statement per page)",
    resolve: (org, _args, ctx) => hubCountOf(ctx, org.id),
  }),
);
