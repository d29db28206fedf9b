import { authorize, needsHub } from "../../policy/policy.ts";
import { authorizedProcedure } from "../trpc.ts";
import {
  hubCommandInput,
  hubCommandOutput,
  hubCommandsInput,
  hubCommandsOutput,
} from "./hub-queries.types.ts";

/**
 * One hub's commands, newest first, by keyset pages over (hub_id, [state,] sent_at, command_id).
 * `hub.read` on that hub: an organization reads its own hubs' commands; another's hub is NOT_FOUND.
 */
export const hubCommandsProcedure = authorizedProcedure(hubCommandsInput, "hub.read")
  .output(hubCommandsOutput)
  .query(({ ctx, input }) =>
    ctx.hubs.commands({ hubId: input.hubId.toLowerCase(), state: input.state, page: input.page }),
  );

/**
 * One command by id, null when there is none (or, with `hubId`, when it is not that hub's).
 * `hub.read` on the command's hub: with `hubId` the middleware decides on that hub; without it,
 * the command's own hub is read and decided on here, so an organization never sees another's
 * command (NOT_FOUND, as for the hub itself).
 */
export const hubCommandProcedure = authorizedProcedure(hubCommandInput, "hub.read")
  .output(hubCommandOutput)
  .query(async ({ ctx, input }) => {
    const command = await ctx.hubs.command(input.commandId, input.hubId?.toLowerCase());
    if (!command || input.hubId !== undefined) return command;
    const { principal } = ctx.caller;
    if (needsHub("hub.read", principal)) {
      const hub = await ctx.hubs.byId(command.hubId);
      authorize("hub.read", principal, hub, { forwarded: input.caller !== undefined });
      // The hub of a recorded command always exists; were it gone, its command is not shown.
      if (!hub) return null;
    }
    return command;
  });
