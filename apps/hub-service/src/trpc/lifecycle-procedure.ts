import {
  type DeviceCommandName,
  isDeviceCommand,
  type LifecycleCommandBody,
  type LifecycleCommandName,
  type LifecycleCommandResult,
  type LifecycleProcedureName,
  lifecycleCommandNames,
  lifecycleCommands,
  type RequestContext,
} from "@hub/shared";
import { z } from "zod";
import type { ResolvedBody } from "../command-handling/hub-command-service.ts";
import { claimOrgId } from "../policy/policy.ts";
import { callerInput } from "./caller.ts";
import { authorizedProcedure } from "./trpc.ts";

type Spec<N extends LifecycleCommandName> = (typeof lifecycleCommands)[N];
type Resolve<N extends LifecycleCommandName> = (
  body: LifecycleCommandBody<N>,
  caller: RequestContext,
) => ResolvedBody<N>;

/**
 * The commands whose body the caller completes before deciding; every other command is decided
 * on its body as sent. ClaimHub: into the caller's own organization, or the one an admin or
 * service names.
 */
const resolvers: { readonly [N in LifecycleCommandName]?: Resolve<N> } = {
  ClaimHub: (body, caller) => ({ ...body, orgId: claimOrgId(caller.principal, body.orgId) }),
};

/**
 * The tRPC procedure of one lifecycle command: input `{caller, command}` with the command's body
 * schema, output the command's result schema, the command's policy action applied by the
 * middleware, then the one command pipeline.
 */
function lifecycleProcedure<N extends LifecycleCommandName>(name: N) {
  const spec: Spec<N> = lifecycleCommands[name];
  const resolve = (resolvers[name] ?? ((body) => body)) as Resolve<N>;
  const input = z.object({ caller: callerInput, command: spec.body as Spec<N>["body"] });
  return authorizedProcedure(input, spec.action)
    .output(spec.result as Spec<N>["result"])
    .mutation(async ({ ctx, input: given }) => {
      const { command } = given as { command: LifecycleCommandBody<N> };
      // A command to the hub itself goes through its Device Shadow; the others through the pipeline.
      const result = isDeviceCommand(name)
        ? await ctx.hubs.device.send(name, command as never, ctx.caller)
        : ((await ctx.hubs.execute(
            name as Exclude<N, DeviceCommandName>,
            resolve(command, ctx.caller) as never,
            ctx.caller,
          )) as LifecycleCommandResult<N>);
      // The output schema (the command's own) is what callers see; the generic result type cannot
      // be related to it inside this generic function, hence the cast.
      return result as never;
    });
}

/** Every lifecycle command's procedure, keyed by its procedure name: the `hub` router spreads them. */
export type LifecycleProcedures = {
  [N in LifecycleCommandName as LifecycleProcedureName<N>]: ReturnType<typeof lifecycleProcedure<N>>;
};

export const lifecycleProcedures = Object.fromEntries(
  lifecycleCommandNames.map((name) => [lifecycleCommands[name].procedure, lifecycleProcedure(name)]),
) as LifecycleProcedures;
