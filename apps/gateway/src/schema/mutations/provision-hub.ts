import {
  type AppErrorData,
  type BulkSummary,
  ConflictError,
  fromAppErrorData,
  type HubProvisionedData,
  maxBulkItems,
  type ProvisionHubResult,
  type ProvisionManyItem,
  parseOrThrow,
  provisionHubBodySchema,
  summarize,
  ThingNotFoundError,
  toAppErrorData,
  UnavailableError,
  ValidationError,
} from "@hub/shared";
import { builder } from "../../builder.ts";
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

type ResultError = ValidationError | ConflictError | ThingNotFoundError | UnavailableError;

/**
 * What one provisioning answers: the success or an expected failure, as data. Declared here (not
 * by the errors plugin on `provisionHub`) so `provisionHubs` lists the very same union.
 */
const ProvisionHubResultRef = builder.unionType("ProvisionHubResult", {
  types: [ConflictError, ProvisionHubSuccess, ThingNotFoundError, UnavailableError, ValidationError],
  resolveType: (value) => ("success" in value ? "ProvisionHubSuccess" : value.name),
});

/**
 * A failure the union carries is returned as data; anything else stays a GraphQL error. As a
 * plain object with the error's fields: graphql-js takes any `Error` value, in a list too, for a
 * field error (the errors plugin wraps them for the fields it manages; this union is our own).
 */
function asResult(error: unknown): ResultError {
  if (!isResultError(error)) throw error;
  return { name: error.name, ...toAppErrorData(error) } as unknown as ResultError;
}

const isResultError = (error: unknown): error is ResultError =>
  provisionErrorTypes.some((type) => error instanceof type);

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
    type: ProvisionHubResultRef,
    description: "Registers a manufactured hub. The AWS IoT Thing must already exist.",
    args: { input: t.arg({ type: ProvisionHubInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      try {
        const body = parseOrThrow(provisionHubBodySchema, withoutNulls(input));
        return await ctx.hubService.hub.provision.mutate({ caller: await callOf(ctx), command: body });
      } catch (error) {
        return asResult(error);
      }
    },
  }),
);

const ProvisionHubsSummary = builder.objectRef<BulkSummary>("ProvisionHubsSummary").implement({
  fields: (t) => ({
    created: t.exposeInt("created", { description: "New hubs (the single call's 201)" }),
    unchanged: t.exposeInt("unchanged", { description: "Identical repeats (200, event null)" }),
    failed: t.exposeInt("failed", { description: "Items answered with an error" }),
  }),
});

/**
 * One bulk item as the list holds it: the success, a failure of the union as data, or else an
 * `Error` value, which graphql-js reports as that item's error (null at its path; Yoga masks
 * the message) while the other items stand.
 */
function toItem(item: ProvisionManyItem): ProvisionHubResult | ResultError | Error {
  if (item.ok) return item.result;
  const appError = item.error ? fromAppErrorData(item.error as AppErrorData) : undefined;
  return isResultError(appError) ? asResult(appError) : new Error("unexpected failure of a bulk item");
}

type ProvisionHubsPayloadShape = {
  readonly results: readonly (ProvisionHubResult | ResultError | Error)[];
  readonly summary: BulkSummary;
};

const ProvisionHubsPayload = builder.objectRef<ProvisionHubsPayloadShape>("ProvisionHubsPayload").implement({
  fields: (t) => ({
    results: t.field({
      type: [ProvisionHubResultRef],
      nullable: { list: false, items: true },
      description:
        "One result per input item, in order, each what provisionHub would answer for it; null (with an error at its path) only for an unexpected failure",
      // An Error item is graphql-js' own way to report one item's failure (see toItem).
      resolve: (payload) => [...payload.results] as (ProvisionHubResult | ResultError)[],
    }),
    summary: t.field({ type: ProvisionHubsSummary, resolve: (payload) => payload.summary }),
  }),
});

builder.mutationField("provisionHubs", (t) =>
  t.field({
    type: ProvisionHubsPayload,
    description: `Registers up to ${maxBulkItems} manufactured hubs; each item independent (not one transaction). Send the list as a variable.`,
    args: { input: t.arg({ type: [ProvisionHubInput], required: true }) },
    resolve: async (_root, { input }, ctx) => {
      if (input.length === 0 || input.length > maxBulkItems) {
        throw new ValidationError(`input must hold 1 to ${maxBulkItems} hubs`, [
          { field: "input", message: `1 to ${maxBulkItems} items` },
        ]);
      }
      const items = await ctx.hubService.hub.provisionMany.mutate({
        caller: await callOf(ctx),
        commands: input.map(withoutNulls),
      });
      return { summary: summarize(items), results: items.map(toItem) };
    },
  }),
);
