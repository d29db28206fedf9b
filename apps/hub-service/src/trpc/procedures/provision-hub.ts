import { authorizedProcedure } from "../trpc.ts";
import { provisionHubInput, provisionHubOutput } from "./provision-hub.types.ts";

export const provisionHubProcedure = authorizedProcedure(provisionHubInput, "hub.provision")
  .output(provisionHubOutput)
  .mutation(({ ctx, input }) => ctx.hubs.provision(input.command, ctx.caller));
