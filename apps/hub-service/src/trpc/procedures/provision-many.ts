import { authorizedProcedure } from "../trpc.ts";
import { provisionManyInput, provisionManyOutput } from "./provision-many.types.ts";

export const provisionManyProcedure = authorizedProcedure(provisionManyInput, "hub.provision")
  .output(provisionManyOutput)
  .mutation(({ ctx, input }) => ctx.hubs.provisionMany(input.commands, ctx.caller));
