import {
  type HubProvisionedData,
  type ProvisionHubResult,
  parseOrThrow,
  provisionHubBodySchema,
} from "@hub/shared";
import { builder } from "../../builder.ts";
import { guarded } from "../auth-errors.ts";
import { callOf } from "../call.ts";
import { provisionErrorTypes } from "../errors.ts";
import { withoutNulls } from "../hub-inputs.ts";

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

const ProvisionHubInput = builder.inputType("ProvisionHubInput", {
  fields: (t) => ({
    hubId: t.string({ required: true, description: "Hub ID (UUID)" }),
    serial: t.string({ required: true }),
    model: t.string({ required: true }),
    thingName: t.string({ required: false, description: "AWS IoT Thing name (defaults to hubId)" }),
    vendorName: t.string({ required: false }),
  }),
});

builder.mutationField("provisionHub", (t) =>
  t.field({
    type: ProvisionHubSuccess,
    description: "Registers a manufactured hub. The AWS IoT Thing must already exist.",
    args: { input: t.arg({ type: ProvisionHubInput, required: true }) },
    errors: { types: provisionErrorTypes, union: { name: "ProvisionHubResult" } },
    resolve: (_root, { input }, ctx) =>
      guarded(async () => {
        const body = parseOrThrow(provisionHubBodySchema, withoutNulls(input));
        return ctx.hubApi.provisionHub(await callOf(ctx), body);
      }, provisionErrorTypes),
  }),
);
