import {
  type LifecycleCommandName,
  type LifecycleCommandResult,
  lifecycleCommands,
  parseOrThrow,
} from "@hub/shared";
import type { InputObjectRef } from "@pothos/core";
import { builder } from "../builder.ts";
import { guarded } from "./auth-errors.ts";
import { callOf } from "./call.ts";
import { lifecycleErrorTypes } from "./errors.ts";
import { withoutNulls } from "./hub-inputs.ts";

type Result = LifecycleCommandResult<LifecycleCommandName>;
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

const CommandEventRef = builder.objectRef<NonNullable<Result["event"]>>("CommandEvent").implement({
  description: "The event a command appended",
  fields: (t) => ({
    type: t.exposeString("type"),
    data: t.field({
      type: "JSONObject",
      description: "Event data, exactly per the contract's event schema of its type",
      resolve: (event) => event.data as Record<string, unknown>,
    }),
  }),
});

const CommandSuccessRef = builder.objectRef<Result>("CommandSuccess").implement({
  description: "A lifecycle command done; `event` is null when its effect already held (a safe retry)",
  fields: (t) => ({
    success: t.exposeBoolean("success"),
    aggregateId: t.exposeString("aggregateId"),
    version: t.exposeInt("version"),
    event: t.field({ type: CommandEventRef, nullable: true, resolve: (result) => result.event }),
  }),
});

/**
 * The GraphQL mutation of one lifecycle command: `<field>(input: <Command>Input!)` returning the
 * union `<Command>Result` of CommandSuccess and the errors a command can meet (validation, not
 * found, conflict with a reason, hub offline, unavailable). Authentication and authorization
 * failures are GraphQL errors with `extensions.code`, as everywhere.
 */
export function lifecycleMutation<N extends LifecycleCommandName, Input extends object>(
  name: N,
  field: string,
  input: InputObjectRef<Types, Input>,
  description: string,
): void {
  builder.mutationField(field, (t) =>
    t.field({
      type: CommandSuccessRef,
      description,
      args: { input: t.arg({ type: input, required: true }) },
      errors: { types: lifecycleErrorTypes, union: { name: `${name}Result` } },
      resolve: (_root, args, ctx) =>
        guarded(async () => {
          const body = parseOrThrow(
            lifecycleCommands[name].body,
            withoutNulls((args as { input: Input }).input),
          );
          return ctx.hubApi.execute(await callOf(ctx), name, body as never);
        }, lifecycleErrorTypes),
    }),
  );
}
