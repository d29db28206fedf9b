import {
  type HubProvisionedData,
  type HubView,
  hubStatuses,
  type ProvisionHubResult,
  parseOrThrow,
  provisionHubBodySchema,
  type RecordedEventView,
} from "@hub/shared";
import { builder } from "../builder.ts";
import { guarded } from "./auth-errors.ts";
import { provisionErrorTypes } from "./errors.ts";

const HubStatus = builder.enumType("HubStatus", { values: hubStatuses });

const HubProvisionedDataRef = builder.objectRef<HubProvisionedData>("HubProvisionedData").implement({
  fields: (t) => ({
    hubId: t.exposeString("hubId"),
    serial: t.exposeString("serial"),
    model: t.exposeString("model"),
    thingName: t.exposeString("thingName"),
    vendorName: t.string({ nullable: true, resolve: (data) => data.vendorName ?? null }),
    provisionedAt: t.float({ description: "Epoch milliseconds", resolve: (data) => data.provisionedAt }),
  }),
});

const HubProvisionedEventRef = builder
  .objectRef<NonNullable<ProvisionHubResult["event"]>>("HubProvisionedEvent")
  .implement({
    fields: (t) => ({
      type: t.exposeString("type"),
      data: t.field({ type: HubProvisionedDataRef, resolve: (event) => event.data }),
    }),
  });

const ProvisionHubSuccess = builder.objectRef<ProvisionHubResult>("ProvisionHubSuccess").implement({
  fields: (t) => ({
    success: t.exposeBoolean("success"),
    aggregateId: t.exposeString("aggregateId"),
    version: t.exposeInt("version"),
    event: t.field({
      type: HubProvisionedEventRef,
      nullable: true,
      description: "Null when the hub was already provisioned with the identical payload",
      resolve: (result) => result.event,
    }),
  }),
});

const HubEventRef = builder.objectRef<RecordedEventView>("HubEvent").implement({
  description: "One event of a hub's history",
  fields: (t) => ({
    position: t.exposeString("position", { description: "Global position in the event log" }),
    version: t.exposeInt("version"),
    type: t.exposeString("type"),
    data: t.string({ description: "Event data as JSON", resolve: (event) => JSON.stringify(event.data) }),
    metadata: t.string({
      description: "Event metadata as JSON",
      resolve: (event) => JSON.stringify(event.metadata),
    }),
    recordedAt: t.float({ description: "Epoch milliseconds", resolve: (event) => event.recordedAt }),
  }),
});

const HubRef = builder.objectRef<HubView>("Hub").implement({
  fields: (t) => ({
    id: t.exposeID("hubId"),
    serial: t.exposeString("serial"),
    model: t.exposeString("model"),
    thingName: t.exposeString("thingName"),
    vendorName: t.exposeString("vendorName", { nullable: true }),
    status: t.field({ type: HubStatus, resolve: (hub) => hub.status }),
    version: t.exposeInt("version"),
    provisionedAt: t.float({ resolve: (hub) => hub.provisionedAt }),
    updatedAt: t.float({ resolve: (hub) => hub.updatedAt }),
    events: t.field({
      type: [HubEventRef],
      description: "The hub's own history, oldest first",
      args: {
        first: t.arg.int({ required: false, defaultValue: 100 }),
        fromVersion: t.arg.int({ required: false, defaultValue: 1 }),
      },
      resolve: (hub, args, ctx) =>
        guarded(async () =>
          ctx.hubApi.hubEvents(await call(ctx), hub.hubId, {
            fromVersion: args.fromVersion ?? 1,
            limit: args.first ?? 100,
          }),
        ),
    }),
  }),
});

const ProvisionHubInput = builder.inputType("ProvisionHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true, description: "Hub ID (UUID)" }),
    serial: t.string({ required: true }),
    model: t.string({ required: true }),
    thingName: t.string({ required: false, description: "AWS IoT Thing name (defaults to hubId)" }),
    vendorName: t.string({ required: false }),
  }),
});

async function call(ctx: { principal: () => Promise<import("@hub/shared").Principal>; requestId: string }) {
  return { principal: await ctx.principal(), requestId: ctx.requestId, source: "graphql" as const };
}

builder.queryType({
  fields: (t) => ({
    hub: t.field({
      type: HubRef,
      nullable: true,
      description: "One hub by id (admin)",
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, args, ctx) =>
        guarded(async () => ctx.hubApi.hubById(await call(ctx), parseHubId(args.id))),
    }),
    hubBySerial: t.field({
      type: HubRef,
      nullable: true,
      description: "One hub by serial number (admin)",
      args: { serial: t.arg.string({ required: true }) },
      resolve: (_root, args, ctx) =>
        guarded(async () => ctx.hubApi.hubBySerial(await call(ctx), args.serial)),
    }),
  }),
});

function parseHubId(id: string): string {
  return parseOrThrow(provisionHubBodySchema.shape.hubId, id, "id must be a UUID");
}

builder.mutationType({
  fields: (t) => ({
    provisionHub: t.field({
      type: ProvisionHubSuccess,
      description: "Registers a manufactured hub. The AWS IoT Thing must already exist.",
      args: { input: t.arg({ type: ProvisionHubInput, required: true }) },
      errors: { types: provisionErrorTypes, union: { name: "ProvisionHubResult" } },
      resolve: (_root, { input }, ctx) =>
        guarded(async () => {
          const principal = await ctx.principal();
          const body = parseOrThrow(provisionHubBodySchema, withoutNulls(input));
          return ctx.hubApi.provisionHub({ principal, requestId: ctx.requestId, source: "graphql" }, body);
        }, provisionErrorTypes),
    }),
  }),
});

/** GraphQL sends explicit nulls for omitted optional fields; the command schema wants them absent. */
function withoutNulls(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== null && value !== undefined),
  );
}
