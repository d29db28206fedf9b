import { lifecycleCall } from "@hub/hub-client";
import {
  ConflictError,
  HubOfflineError,
  type LifecycleCommandName,
  type LifecycleCommandResult,
  lifecycleCommandNames,
  lifecycleCommands,
  parseOrThrow,
} from "@hub/shared";
import type { z } from "zod";
import { builder } from "../builder.ts";
import { callOf } from "./call.ts";
import { withoutNulls } from "./hub-inputs.ts";

type Result = LifecycleCommandResult<LifecycleCommandName>;

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

/** The zod type under optional/pipe/transform wrappers: what a client sends. */
function inputKind(schema: z.ZodType): { optional: boolean; boolean: boolean } {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
  if (def.type === "optional") return { ...inputKind(def.innerType as z.ZodType), optional: true };
  if (def.type === "pipe") return inputKind(def.in as z.ZodType);
  return { optional: false, boolean: def.type === "boolean" };
}

/**
 * The GraphQL input type of a command, derived from its zod body schema (fields, required ones,
 * String or Boolean), so the schema the REST route validates with is the one the mutation takes;
 * values are then validated by that same schema.
 */
function inputTypeFor(name: LifecycleCommandName) {
  const shape = lifecycleCommands[name].body.shape as Record<string, z.ZodType>;
  return builder.inputType(`${name}Input`, {
    fields: (t) =>
      Object.fromEntries(
        Object.entries(shape).map(([field, schema]) => {
          const kind = inputKind(schema);
          return [
            field,
            kind.boolean ? t.boolean({ required: !kind.optional }) : t.string({ required: !kind.optional }),
          ];
        }),
      ),
  });
}

/**
 * The GraphQL mutation of one lifecycle command, named and described by its entry in the command
 * list: `<field>(input: <Command>Input!)` returning the union `<Command>Result` of CommandSuccess
 * and the errors a command can meet (validation, not found, conflict with a reason, hub offline,
 * unavailable). Authentication and authorization failures are GraphQL errors with
 * `extensions.code`, as everywhere.
 */
function lifecycleMutation(name: LifecycleCommandName): void {
  const { field, description } = lifecycleCommands[name].graphql;
  const input = inputTypeFor(name);
  builder.mutationField(field, (t) =>
    t.field({
      type: CommandSuccessRef,
      description,
      args: { input: t.arg({ type: input, required: true }) },
      errors: { types: [ConflictError, HubOfflineError] },
      resolve: async (_root, args, ctx) => {
        const body = parseOrThrow(lifecycleCommands[name].body, withoutNulls(args.input));
        return lifecycleCall(ctx.hubService, name)({ caller: await callOf(ctx), command: body as never });
      },
    }),
  );
}

for (const name of lifecycleCommandNames) lifecycleMutation(name);
