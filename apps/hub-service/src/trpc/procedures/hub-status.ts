import { canReadHubStatus, ForbiddenError } from "@hub/shared";
import { resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { hubStatusInput, hubStatusOutput } from "./hub-queries.types.ts";

/** One hub's state for `GET /hubs/{id}/status`: admins, services and organizations with `hubs:read`. */
export const hubStatusProcedure = serviceProcedure
  .input(hubStatusInput)
  .output(hubStatusOutput)
  .query(({ ctx, input }) => {
    const caller = resolveCaller(ctx, ctx.service.id, input.caller);
    if (!canReadHubStatus(caller.principal)) throw new ForbiddenError("This caller may not read hubs");
    return ctx.hubs.byId(input.hubId);
  });
