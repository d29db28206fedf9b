import { organizationsByIdsSchema } from "@hub/shared";
import { z } from "zod";
import { organizationScope } from "../../policy/policy.ts";
import { organizationHubCounts } from "../../queries/organization-hub-counts.ts";
import { callerInput } from "../caller.ts";
import { authorizedProcedure } from "../trpc.ts";

const input = z.object({ caller: callerInput, ...organizationsByIdsSchema.shape });
const output = z.array(z.object({ orgId: z.string(), hubCount: z.number().int().nonnegative() }));

/**
 * `Organization.hubCount` of a page of organizations in one grouped statement (no N+1). An
 * organization's key counts its own organization only; others it asks for are absent.
 */
export const organizationHubCountsProcedure = authorizedProcedure(input, "organizations.read")
  .output(output)
  .query(({ ctx, input }) => {
    const own = organizationScope(ctx.caller.principal)?.toLowerCase();
    const ids = own === undefined ? input.ids : input.ids.filter((id) => id.toLowerCase() === own);
    return organizationHubCounts(ctx.apiKeys.prisma, ids);
  });
