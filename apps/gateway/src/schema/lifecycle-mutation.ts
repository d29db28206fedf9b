import { lifecycleCall } from "@hub/hub-client";
import {
  ConflictError,
  type DeviceCommandResult,
  HubOfflineError,
  isDeviceCommand,
  type LifecycleCommandName,
  type LifecycleCommandResult,
  lifecycleCommandNames,
  lifecycleCommands,
  parseOrThrow,
  ShadowUpdateError,
} from "@hub/shared";
import type { z } from "zod";
import { builder } from "../builder.ts";
import { callOf } from "./call.ts";
import { HubCommandRef, HubCommandState } from "./hub-command.ts";

/**
 * The input without the explicit nulls GraphQL sends for omitted fields: only its own fields, so a
 * JSONObject field (SendHubCommand's `args`) reaches the hub exactly as sent, nulls included.
 */
function withoutNullFields(input: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== null && value !== undefined),
  );
}

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

const DeviceCommandSentRef = builder.objectRef<DeviceCommandResult>("DeviceCommandSent").implement({
  description:
    "A command to the hub written into its Device Shadow (or already sent under this id): track it with " +
    "`command` (or hubCommand) until it leaves SENT",
  fields: (t) => ({
    success: t.exposeBoolean("success"),
    aggregateId: t.exposeString("aggregateId"),
    version: t.exposeInt("version"),
    commandId: t.exposeID("commandId"),
    state: t.field({ type: HubCommandState, resolve: (result) => result.state }),
    command: t.field({
      type: HubCommandRef,
      nullable: true,
      description: "The command as tracked now (its result once the hub reports)",
      resolve: async (result, _args, ctx) =>
        ctx.hubService.hub.command.query({
          caller: await callOf(ctx),
          commandId: result.commandId,
          hubId: result.aggregateId,
        }),
    }),
  }),
});

type InputKind = { optional: boolean; type: "String" | "Boolean" | "JSONObject" };

/** The zod type under optional/pipe/transform/refine wrappers: what a client sends. */
function inputKind(schema: z.ZodType): InputKind {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
  if (def.type === "optional") return { ...inputKind(def.innerType as z.ZodType), optional: true };
  if (def.type === "pipe") return inputKind(def.in as z.ZodType);
  const type =
    def.type === "boolean" ? "Boolean" : ["record", "object"].includes(def.type) ? "JSONObject" : "String";
  return { optional: false, type };
}

/**
 * The GraphQL input type of a command, derived from its zod body schema (fields, required ones,
 * String, Boolean, or JSONObject for an object such as SendHubCommand's `args`), so the schema
 * the REST route validates with is the one the mutation takes; values are then validated by that
 * same schema.
 */
function inputTypeFor(name: LifecycleCommandName) {
  const shape = lifecycleCommands[name].body.shape as Record<string, z.ZodType>;
  return builder.inputType(`${name}Input`, {
    fields: (t) =>
      Object.fromEntries(
        Object.entries(shape).map(([field, schema]) => {
          const kind = inputKind(schema);
          const required = !kind.optional;
          return [
            field,
            kind.type === "Boolean"
              ? t.boolean({ required })
              : kind.type === "JSONObject"
                ? t.field({ type: "JSONObject", required })
                : t.string({ required }),
          ];
        }),
      ),
  });
}

/**
 * The GraphQL mutation of one lifecycle command, named and described by its entry in the command
 * list: `<field>(input: <Command>Input!)` returning the union `<Command>Result` of CommandSuccess
 * and the errors a command can meet (validation, not found, conflict with a reason, hub offline,
 * unavailable). A command to the hub itself (the entry has a `shadow`) answers DeviceCommandSent,
 * and its shadow write can fail (ShadowUpdateError) where the hub's being offline does not matter.
 * Authentication and authorization failures are GraphQL errors with `extensions.code`, as everywhere.
 */
function lifecycleMutation(name: LifecycleCommandName): void {
  const { field, description } = lifecycleCommands[name].graphql;
  const input = inputTypeFor(name);
  if (isDeviceCommand(name)) {
    builder.mutationField(field, (t) =>
      t.field({
        type: DeviceCommandSentRef,
        description,
        args: { input: t.arg({ type: input, required: true }) },
        errors: { types: [ConflictError, ShadowUpdateError] },
        resolve: async (_root, args, ctx) => {
          const body = parseOrThrow(lifecycleCommands[name].body, withoutNullFields(args.input));
          const result = await lifecycleCall(
            ctx.hubService,
            name,
          )({
            caller: await callOf(ctx),
            command: body as never,
          });
          return result as DeviceCommandResult;
        },
      }),
    );
    return;
  }
  builder.mutationField(field, (t) =>
    t.field({
      type: CommandSuccessRef,
      description,
      args: { input: t.arg({ type: input, required: true }) },
      errors: { types: [ConflictError, HubOfflineError] },
      resolve: async (_root, args, ctx) => {
        const body = parseOrThrow(lifecycleCommands[name].body, withoutNullFields(args.input));
        return lifecycleCall(ctx.hubService, name)({ caller: await callOf(ctx), command: body as never });
      },
    }),
  );
}

for (const name of lifecycleCommandNames) lifecycleMutation(name);
