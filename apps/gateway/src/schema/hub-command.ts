import { commandIdSchema, type HubCommandView, hubCommandStates, parseOrThrow } from "@hub/shared";
import { orNull } from "../backend.ts";
import { builder } from "../builder.ts";
import { callOf } from "./call.ts";
import { parseHubId } from "./hub-inputs.ts";
import { OrganizationRef, organizationOf } from "./organizations.ts";

export const HubCommandState = builder.enumType("HubCommandState", {
  description:
    "Where a command sent to a hub is: SENT (written into its Device Shadow), then the hub's outcome " +
    "(SUCCEEDED, FAILED, REJECTED) or TIMED_OUT when it did not report in time",
  values: hubCommandStates,
});

const CommandSenderRef = builder.objectRef<HubCommandView["sentBy"]>("CommandSender").implement({
  description: "Who sent a command: the actor's kind and id, and its organization if any",
  fields: (t) => ({
    kind: t.exposeString("kind"),
    id: t.exposeString("id"),
    orgId: t.exposeString("orgId", { nullable: true }),
    organization: t.field({
      type: OrganizationRef,
      nullable: true,
      description: "The organization of orgId, with its name",
      resolve: (sender, _args, ctx) => organizationOf(ctx, sender.orgId),
    }),
  }),
});

export const HubCommandRef = builder.objectRef<HubCommandView>("HubCommand").implement({
  description:
    "A command sent to a hub (sendHubCommand, commissionDevice), tracked to its outcome; secret arguments " +
    "(Wi-Fi credentials, setup codes) appear by name only",
  fields: (t) => ({
    id: t.exposeID("commandId", { description: "The command's id (unique across hubs)" }),
    hubId: t.exposeString("hubId"),
    command: t.exposeString("command"),
    args: t.field({
      type: "JSONObject",
      nullable: true,
      description: "The arguments as sent, without the secret ones",
      resolve: (command) => command.args,
    }),
    secretArgs: t.exposeStringList("secretArgs", { description: "Names of the secret arguments sent" }),
    state: t.field({ type: HubCommandState, resolve: (command) => command.state }),
    result: t.field({
      type: "JSONObject",
      nullable: true,
      description: "What the hub reported (SUCCEEDED)",
      resolve: (command) => command.result,
    }),
    reason: t.exposeString("reason", { nullable: true, description: "Why it failed or was rejected" }),
    sentAt: t.float({ description: "Epoch ms", resolve: (command) => command.sentAt }),
    timeoutAt: t.float({
      description: "Epoch ms by which the hub must report",
      resolve: (command) => command.timeoutAt,
    }),
    completedAt: t.float({
      nullable: true,
      description: "Epoch ms of the outcome (null while SENT)",
      resolve: (command) => command.completedAt,
    }),
    sentBy: t.field({ type: CommandSenderRef, resolve: (command) => command.sentBy }),
  }),
});

builder.queryField("hubCommand", (t) =>
  t.field({
    type: HubCommandRef,
    nullable: true,
    description:
      "One command sent to a hub, by its id (unique across hubs); with hubId, only if it is that hub's. " +
      "Who may read the hub may read its commands (another organization's reads as null).",
    args: { id: t.arg.id({ required: true }), hubId: t.arg.id({ required: false }) },
    resolve: async (_root, args, ctx) => {
      const commandId = parseOrThrow(commandIdSchema, args.id, "id must be a command id");
      const hubId = args.hubId === null || args.hubId === undefined ? undefined : parseHubId(args.hubId);
      return orNull(
        ctx.hubService.hub.command.query({
          caller: await callOf(ctx),
          commandId,
          ...(hubId !== undefined ? { hubId } : {}),
        }),
      );
    },
  }),
);
