import {
  createWebhookSchema,
  type HubEventType as HubEventTypeName,
  parseOrThrow,
  type RequestContext,
  updateWebhookSchema,
  type WebhookDeliveryView,
  type WebhookStats,
  type WebhookSubscriptionView,
  webhookDeliveriesQuerySchema,
  webhookDeliveryIdSchema,
  webhookDeliveryStatuses,
  webhookDeliveryWaitReasons,
  webhookReplayFilterSchema,
  webhookSubscriptionIdSchema,
  webhookSubscriptionStatuses,
} from "@hub/shared";
import type { ArgBuilder, InputFieldMap, InputShapeFromFields, ObjectRef } from "@pothos/core";
import { z } from "zod";
import { builder } from "../builder.ts";
import type { GraphQLContext } from "../context.ts";
import { callOf } from "./call.ts";
import { HubEventType, withoutNulls } from "./hub-inputs.ts";
import { OrganizationRef, organizationOf } from "./organizations.ts";

/*
 * Webhook subscriptions of organizations and their deliveries. Who may manage which is
 * hub-service's policy (an organization's key with webhooks:manage its own, admins and services
 * any); here the caller is forwarded and the answer mapped: validation and not found are result
 * data, authentication and authorization failures GraphQL errors with `extensions.code`.
 */

// Inputs are checked with hub-service's own input schemas before the call (it checks them again):
// the field names of a ValidationError are the input's own.
const WebhookSubscriptionStatus = builder.enumType("WebhookSubscriptionStatus", {
  description: "PAUSED: events are still queued for it, and sent once it is resumed",
  values: webhookSubscriptionStatuses,
});

const WebhookDeliveryStatus = builder.enumType("WebhookDeliveryStatus", {
  description: "DEAD: every attempt failed (a dead letter, which can be replayed)",
  values: webhookDeliveryStatuses,
});

const WebhookDeliveryWaitReason = builder.enumType("WebhookDeliveryWaitReason", {
  description:
    "Why a pending delivery has no next attempt yet. QUEUED_BEHIND: one delivery of a hub is sent at a time, in order, and `waitingFor` (the head of the hub's queue) is being sent; the queue then advances one delivery at a time. SUBSCRIPTION_PAUSED: the subscription is paused, and resuming it sends its queue in order",
  values: webhookDeliveryWaitReasons,
});

const WebhookStatsRef = builder.objectRef<WebhookStats>("WebhookStats").implement({
  description: "A subscription's deliveries by status, and how far it is behind the event log",
  fields: (t) => ({
    pending: t.exposeInt("pending"),
    delivered: t.exposeInt("delivered"),
    dead: t.exposeInt("dead"),
    attempts: t.exposeInt("attempts", { description: "HTTP attempts over all its deliveries" }),
    lagPositions: t.exposeInt("lagPositions", {
      description: "Events in the log from its oldest pending delivery on (0: nothing pending)",
    }),
    oldestPendingAt: t.float({
      nullable: true,
      description: "Epoch ms the oldest pending delivery was queued",
      resolve: (stats) => stats.oldestPendingAt,
    }),
  }),
});

/** A subscription as hub-service answers it; a list's come with their stats. */
type SubscriptionShape = WebhookSubscriptionView & { readonly stats?: WebhookStats };

const WebhookSubscriptionRef = builder.objectRef<SubscriptionShape>("WebhookSubscription").implement({
  description: "An organization's endpoint receiving its hubs' events, signed per Standard Webhooks",
  fields: (t) => ({
    id: t.exposeID("id"),
    orgId: t.exposeID("orgId"),
    organization: t.field({
      type: OrganizationRef,
      nullable: true,
      description: "The organization of orgId, with its name",
      resolve: (subscription, _args, ctx) => organizationOf(ctx, subscription.orgId),
    }),
    url: t.exposeString("url"),
    eventTypes: t.field({
      type: [HubEventType],
      description: "Empty: every event type",
      resolve: (subscription) => subscription.eventTypes as HubEventTypeName[],
    }),
    description: t.exposeString("description", { nullable: true }),
    status: t.field({ type: WebhookSubscriptionStatus, resolve: (subscription) => subscription.status }),
    pausedReason: t.exposeString("pausedReason", {
      nullable: true,
      description: "Why it is paused: its owner's reason, or that every delivery failed for too long",
    }),
    previousSecretExpiresAt: t.float({
      nullable: true,
      description: "Epoch ms until which the secret before the last rotation also signs",
      resolve: (subscription) => subscription.previousSecretExpiresAt,
    }),
    failingSince: t.float({
      nullable: true,
      description: "Epoch ms of the first failure since its last success",
      resolve: (subscription) => subscription.failingSince,
    }),
    createdAt: t.float({ description: "Epoch ms", resolve: (subscription) => subscription.createdAt }),
    updatedAt: t.float({ description: "Epoch ms", resolve: (subscription) => subscription.updatedAt }),
    stats: t.field({
      type: WebhookStatsRef,
      nullable: true,
      description: "Null only for a subscription just deleted",
      resolve: (subscription, _args, ctx) => subscription.stats ?? statsOf(ctx, subscription),
    }),
  }),
});

/**
 * Stats of a subscription a mutation answered (the list answers them with it): read, only when
 * asked for, from its organization's list, as the caller.
 */
async function statsOf(ctx: GraphQLContext, subscription: SubscriptionShape): Promise<WebhookStats | null> {
  const listed = await ctx.hubService.webhooks.list.query({
    caller: await callOf(ctx),
    orgId: subscription.orgId,
  });
  return listed.find((candidate) => candidate.id === subscription.id)?.stats ?? null;
}

const WebhookSecretResultRef = builder
  .objectRef<{ subscription: WebhookSubscriptionView; secret: string }>("WebhookSecretResult")
  .implement({
    description: "The subscription and its new signing secret, shown this once and never again",
    fields: (t) => ({
      subscription: t.field({ type: WebhookSubscriptionRef, resolve: (result) => result.subscription }),
      secret: t.exposeString("secret", {
        description: "`whsec_` and base64: the key receivers verify the `webhook-signature` header with",
      }),
    }),
  });

const WebhookAttemptRef = builder
  .objectRef<WebhookDeliveryView["attemptLog"][number]>("WebhookAttempt")
  .implement({
    description: "One HTTP attempt of a delivery",
    fields: (t) => ({
      attempt: t.exposeInt("attempt", {
        description: "1-based over the delivery's life (replays go on counting)",
      }),
      attemptedAt: t.float({ description: "Epoch ms", resolve: (attempt) => attempt.attemptedAt }),
      status: t.exposeInt("status", { nullable: true, description: "The HTTP status; null: no response" }),
      error: t.exposeString("error", { nullable: true }),
      durationMs: t.exposeInt("durationMs"),
      responsePrefix: t.exposeString("responsePrefix", {
        nullable: true,
        description: "The start of the response body",
      }),
    }),
  });

const WebhookDeliveryRef = builder.objectRef<WebhookDeliveryView>("WebhookDelivery").implement({
  description: "One event for one subscription, with its attempts",
  fields: (t) => ({
    id: t.exposeID("id"),
    subscriptionId: t.exposeID("subscriptionId"),
    webhookId: t.exposeString("webhookId", {
      description: "The `webhook-id` header, `<hubId>:<version>`: the same on every attempt and replay",
    }),
    hubId: t.exposeID("hubId"),
    version: t.exposeInt("version", { description: "The event's version in its hub's history" }),
    position: t.exposeString("position", { description: "The event's position in the event log" }),
    eventType: t.exposeString("eventType"),
    status: t.field({ type: WebhookDeliveryStatus, resolve: (delivery) => delivery.status }),
    attempts: t.exposeInt("attempts"),
    nextAttemptAt: t.float({
      nullable: true,
      description:
        "Epoch ms of the next attempt (pending deliveries only); null while it waits (see `waitingReason`)",
      resolve: (delivery) => delivery.nextAttemptAt,
    }),
    waitingReason: t.field({
      type: WebhookDeliveryWaitReason,
      nullable: true,
      description: "Why a pending delivery has no next attempt yet; null when it has one",
      resolve: (delivery) => delivery.waitingReason,
    }),
    waitingFor: t.exposeID("waitingFor", {
      nullable: true,
      description: "The delivery at the head of this hub's queue, sent before this one (QUEUED_BEHIND)",
    }),
    lastStatus: t.exposeInt("lastStatus", { nullable: true, description: "The last attempt's HTTP status" }),
    lastError: t.exposeString("lastError", { nullable: true }),
    createdAt: t.float({ description: "Epoch ms", resolve: (delivery) => delivery.createdAt }),
    deliveredAt: t.float({
      nullable: true,
      description: "Epoch ms of its successful attempt",
      resolve: (delivery) => delivery.deliveredAt,
    }),
    deadAt: t.float({
      nullable: true,
      description: "Epoch ms it became a dead letter",
      resolve: (delivery) => delivery.deadAt,
    }),
    attemptLog: t.field({
      type: [WebhookAttemptRef],
      description: "Every attempt, oldest first",
      resolve: (delivery) => delivery.attemptLog,
    }),
  }),
});

const WebhookDeliveryConnection = builder.connectionObject(
  { type: WebhookDeliveryRef, name: "WebhookDeliveryConnection" },
  { name: "WebhookDeliveryEdge" },
);

const WebhookReplayResultRef = builder.objectRef<{ replayed: number }>("WebhookReplayResult").implement({
  fields: (t) => ({
    replayed: t.exposeInt("replayed", {
      description: "Deliveries queued again (same webhook-id, a fresh retry schedule)",
    }),
  }),
});

const WebhookDeliveryFilter = builder.inputType("WebhookDeliveryFilter", {
  description: "All given conditions must hold",
  fields: (t) => ({
    subscriptionId: t.id({ required: false }),
    status: t.field({ type: WebhookDeliveryStatus, required: false }),
    hubId: t.id({ required: false }),
  }),
});

const WebhookReplayFilter = builder.inputType("WebhookReplayFilter", {
  description: "The dead letters to replay; all given conditions must hold",
  fields: (t) => ({
    subscriptionId: t.id({ required: false }),
    hubId: t.id({ required: false }),
  }),
});

const CreateWebhookSubscriptionInput = builder.inputType("CreateWebhookSubscriptionInput", {
  fields: (t) => ({
    orgId: t.id({
      required: false,
      description: "The organization (admins and services); an organization's key may omit it",
    }),
    url: t.string({ required: true, description: "http(s), no credentials; https in production" }),
    eventTypes: t.field({ type: [HubEventType], required: false, description: "Empty or absent: all" }),
    description: t.string({ required: false }),
  }),
});

const UpdateWebhookSubscriptionInput = builder.inputType("UpdateWebhookSubscriptionInput", {
  description: "Absent (or null) fields stay as they are, except `description: null`, which removes it",
  fields: (t) => ({
    id: t.id({ required: true }),
    url: t.string({ required: false }),
    eventTypes: t.field({ type: [HubEventType], required: false, description: "Empty: every event type" }),
    description: t.string({ required: false }),
  }),
});

/** A delivery page as a Relay connection: the cursor is the delivery id, pages go newest first. */
function toConnection(page: {
  nodes: WebhookDeliveryView[];
  endCursor: string | null;
  hasNextPage: boolean;
}) {
  return {
    edges: page.nodes.map((node) => ({ cursor: node.id, node })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      // Forward pages only (first/after), for which Relay allows false here.
      hasPreviousPage: false,
      startCursor: page.nodes[0]?.id ?? null,
      endCursor: page.endCursor,
    },
  };
}

builder.queryField("webhookSubscriptions", (t) =>
  t.field({
    type: [WebhookSubscriptionRef],
    description:
      "Webhook subscriptions with their stats: an organization's own (webhooks:manage); admins any organization's, or all without orgId",
    args: { orgId: t.arg.id({ required: false }) },
    resolve: async (_root, args, ctx) => {
      const orgId = args.orgId ? parseOrThrow(z.object({ orgId: z.uuid() }), args).orgId : undefined;
      return ctx.hubService.webhooks.list.query({ caller: await callOf(ctx), ...(orgId ? { orgId } : {}) });
    },
  }),
);

builder.queryField("webhookDeliveries", (t) =>
  t.field({
    type: WebhookDeliveryConnection,
    description:
      "Webhook deliveries, newest first, with their attempts: an organization's own (webhooks:manage); admins any (pages of up to 100, default 20)",
    args: {
      filter: t.arg({ type: WebhookDeliveryFilter, required: false }),
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false, description: "The endCursor of the previous page" }),
    },
    resolve: async (_root, args, ctx) => {
      const query = parseOrThrow(
        webhookDeliveriesQuerySchema,
        withoutNulls({ filter: args.filter ?? {}, first: args.first, after: args.after }),
      );
      return toConnection(
        await ctx.hubService.webhooks.deliveries.query({ caller: await callOf(ctx), ...query }),
      );
    },
  }),
);

/** What a webhook mutation's `run` gets besides its arguments: the procedures and the caller. */
type Call = {
  readonly webhooks: GraphQLContext["hubService"]["webhooks"];
  /** The caller as hub-service receives it (authenticates on first use). */
  readonly caller: () => Promise<RequestContext>;
};

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/**
 * One webhook mutation: `<field>(<args>)` answering the union `<Field>Result` of its type and the
 * errors every mutation can meet (validation, not found, unavailable: see builder.ts).
 */
type WebhookMutation<Shape, Args extends InputFieldMap> = {
  readonly field: string;
  readonly description: string;
  readonly type: ObjectRef<Types, Shape>;
  readonly args: (arg: ArgBuilder<Types>) => Args;
  /** Parses the arguments with hub-service's input schema and calls its procedure as the caller. */
  run(args: InputShapeFromFields<Args>, call: Call): Promise<Shape>;
};

/** An entry of the table, checked against its own arguments and type. */
const entry = <Shape, Args extends InputFieldMap>(
  mutation: WebhookMutation<Shape, Args>,
): WebhookMutation<unknown, InputFieldMap> => mutation;

/** The webhook mutations, one entry each (as the lifecycle ones come from the command list). */
const webhookMutations = [
  entry({
    field: "createWebhookSubscription",
    description:
      "Subscribes an organization's endpoint; the answer holds the signing secret, shown only here",
    type: WebhookSecretResultRef,
    args: (arg) => ({ input: arg({ type: CreateWebhookSubscriptionInput, required: true }) }),
    run: async (args, { webhooks, caller }) => {
      const input = parseOrThrow(createWebhookSchema, withoutNulls(args.input));
      return webhooks.create.mutate({ caller: await caller(), ...input });
    },
  }),
  entry({
    field: "updateWebhookSubscription",
    description: "Changes a subscription's URL, event types or description",
    type: WebhookSubscriptionRef,
    args: (arg) => ({ input: arg({ type: UpdateWebhookSubscriptionInput, required: true }) }),
    run: async (args, { webhooks, caller }) => {
      const changes = parseOrThrow(updateWebhookSchema, {
        ...(withoutNulls(args.input) as object),
        // The one null that means something: remove the description.
        ...(args.input.description === null ? { description: null } : {}),
      });
      return webhooks.update.mutate({ caller: await caller(), ...changes });
    },
  }),
  entry({
    field: "pauseWebhookSubscription",
    description: "Stops sending to a subscription; its events are kept and sent once it is resumed",
    type: WebhookSubscriptionRef,
    args: (arg) => ({ id: arg.id({ required: true }), reason: arg.string({ required: false }) }),
    run: async (args, { webhooks, caller }) =>
      webhooks.pause.mutate({
        id: parseId(args.id),
        caller: await caller(),
        ...given("reason", args.reason),
      }),
  }),
  entry({
    field: "resumeWebhookSubscription",
    description: "Sends to a paused subscription again, starting with what waited",
    type: WebhookSubscriptionRef,
    args: (arg) => ({ id: arg.id({ required: true }) }),
    run: async (args, { webhooks, caller }) =>
      webhooks.resume.mutate({ caller: await caller(), id: parseId(args.id) }),
  }),
  entry({
    field: "deleteWebhookSubscription",
    description: "Deletes a subscription and its deliveries; answers it as it was",
    type: WebhookSubscriptionRef,
    args: (arg) => ({ id: arg.id({ required: true }) }),
    run: async (args, { webhooks, caller }) =>
      webhooks.delete.mutate({ caller: await caller(), id: parseId(args.id) }),
  }),
  entry({
    field: "rotateWebhookSecret",
    description:
      "A new signing secret, shown only here; the previous one also signs for overlapSeconds (default a day, at most 7 days, 0: not at all)",
    type: WebhookSecretResultRef,
    args: (arg) => ({ id: arg.id({ required: true }), overlapSeconds: arg.int({ required: false }) }),
    run: async (args, { webhooks, caller }) =>
      webhooks.rotateSecret.mutate({
        id: parseId(args.id),
        caller: await caller(),
        ...given("overlapSeconds", args.overlapSeconds),
      }),
  }),
  entry({
    field: "replayWebhookDelivery",
    description:
      "Sends a dead or delivered delivery again (same webhook-id); replayed 0: none such, or it is still pending",
    type: WebhookReplayResultRef,
    args: (arg) => ({ id: arg.id({ required: true }) }),
    run: async (args, { webhooks, caller }) => {
      const { id } = parseOrThrow(z.object({ id: webhookDeliveryIdSchema }), { id: args.id });
      return webhooks.replay.mutate({ caller: await caller(), ids: [id] });
    },
  }),
  entry({
    field: "replayWebhookDeliveries",
    description:
      "Sends every dead letter the filter matches again (an organization: of its own subscriptions; an empty filter: all it may see)",
    type: WebhookReplayResultRef,
    args: (arg) => ({ filter: arg({ type: WebhookReplayFilter, required: true }) }),
    run: async (args, { webhooks, caller }) => {
      const { filter } = parseOrThrow(z.object({ filter: webhookReplayFilterSchema }), {
        filter: withoutNulls(args.filter),
      });
      return webhooks.replay.mutate({ caller: await caller(), filter });
    },
  }),
];

/** Registers one entry as a mutation field; its union's error members are the builder's defaults. */
function webhookMutation(mutation: WebhookMutation<unknown, InputFieldMap>): void {
  builder.mutationField(mutation.field, (t) =>
    t.field({
      type: mutation.type,
      description: mutation.description,
      args: mutation.args(t.arg),
      errors: {},
      resolve: (_root, args, ctx) =>
        mutation.run(args, { webhooks: ctx.hubService.webhooks, caller: () => callOf(ctx) }),
    }),
  );
}

for (const mutation of webhookMutations) webhookMutation(mutation);

/** An optional argument as hub-service takes it: absent when the client gave none (or null). */
function given<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return value == null ? {} : ({ [key]: value } as { [P in K]?: V });
}

function parseId(id: string): string {
  return parseOrThrow(z.object({ id: webhookSubscriptionIdSchema }), { id }).id;
}
