import { canProvision, ForbiddenError } from "@hub/shared";
import { resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { provisionHubInput, provisionHubOutput } from "./provision-hub.types.ts";

export const provisionHubProcedure = serviceProcedure
  .input(provisionHubInput)
  .output(provisionHubOutput)
  .mutation(({ ctx, input }) => {
    const context = resolveCaller(ctx, ctx.service.id, input.caller);
    if (!canProvision(context.principal)) throw new ForbiddenError("This caller may not provision hubs");
    return ctx.hubs.provision(input.command, context);
  });
