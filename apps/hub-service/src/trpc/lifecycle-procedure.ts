import {
  type LifecycleCommandBody,
  type LifecycleCommandName,
  type LifecycleCommandResult,
  lifecycleCommands,
  type RequestContext,
} from "@hub/shared";
import { z } from "zod";
import type { ResolvedBody } from "../hub/commands.ts";
import type { Action } from "../policy/policy.ts";
import { callerInput } from "./caller.ts";
import { authorizedProcedure } from "./trpc.ts";

type Spec<N extends LifecycleCommandName> = (typeof lifecycleCommands)[N];

/**
 * The tRPC procedure of one lifecycle command: input `{caller, command}` with the command's body
 * schema, output the command's result schema, the policy's `action` applied by the middleware,
 * then the one command pipeline. `resolve` completes the body from the caller where the command
 * needs it (ClaimHub's organization).
 */
export function lifecycleProcedure<N extends LifecycleCommandName>(
  name: N,
  action: Action,
  resolve: (body: LifecycleCommandBody<N>, caller: RequestContext) => ResolvedBody<N> = (body) =>
    body as ResolvedBody<N>,
) {
  const spec: Spec<N> = lifecycleCommands[name];
  const input = z.object({ caller: callerInput, command: spec.body as Spec<N>["body"] });
  return authorizedProcedure(input, action)
    .output(spec.result as Spec<N>["result"])
    .mutation(async ({ ctx, input: given }) => {
      const { command } = given as { command: LifecycleCommandBody<N> };
      const result: LifecycleCommandResult<N> = await ctx.hubs.execute(
        name,
        resolve(command, ctx.caller),
        ctx.caller,
      );
      // The output schema (the command's own) is what callers see; the generic result type cannot
      // be related to it inside this generic function, hence the cast.
      return result as never;
    });
}
