import {
  hubEventTypeNames,
  hubOrderFields,
  hubStatuses,
  orderDirections,
  parseOrThrow,
  provisionHubBodySchema,
} from "@hub/shared";
import { builder } from "../builder.ts";

export const HubStatus = builder.enumType("HubStatus", { values: hubStatuses });

const OrderDirection = builder.enumType("OrderDirection", { values: orderDirections });

const HubOrderField = builder.enumType("HubOrderField", {
  values: Object.fromEntries(
    hubOrderFields.map((field) => [
      field,
      {
        description:
          field === "SERIAL"
            ? "Serial number, byte-wise (unique, so no ties)"
            : "Provisioning time; ties broken by hub id",
      },
    ]),
  ) as Record<(typeof hubOrderFields)[number], { description: string }>,
});

export const HubOrder = builder.inputType("HubOrder", {
  fields: (t) => ({
    field: t.field({ type: HubOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true }),
  }),
});

const TimeRange = builder.inputType("TimeRange", {
  description: "Epoch milliseconds; `from` inclusive, `to` exclusive",
  fields: (t) => ({ from: t.float({ required: false }), to: t.float({ required: false }) }),
});

export const HubFilter = builder.inputType("HubFilter", {
  description: "All given conditions must hold",
  fields: (t) => ({
    status: t.field({ type: HubStatus, required: false }),
    model: t.string({ required: false }),
    vendorName: t.string({ required: false }),
    serialPrefix: t.string({ required: false, description: "Serial starts with this (case-sensitive)" }),
    provisionedAt: t.field({ type: TimeRange, required: false }),
    orgId: t.string({ required: false, description: "Claimed into this organization" }),
    siteId: t.string({ required: false, description: "Claimed into this site" }),
    isPrimary: t.boolean({ required: false, description: "Primary hubs of their site (or not)" }),
    online: t.boolean({ required: false, description: "Connected to AWS IoT now (or not)" }),
  }),
});

export const EventFeedOrder = builder.enumType("EventFeedOrder", {
  values: {
    NEWEST_FIRST: { description: "Latest activity first" },
    OLDEST_FIRST: { description: "In log order, to follow along" },
  },
});

/** GraphQL sends explicit nulls for omitted optional fields; the shared schemas want them absent. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== null && field !== undefined)
      .map(([key, field]) => [key, withoutNulls(field)]),
  );
}

/** The hub event types (the contract's and ours): filters of the live feed and webhook subscriptions. */
export const HubEventType = builder.enumType("HubEventType", {
  description: "The types of hub events",
  values: hubEventTypeNames,
});

/** A hub id argument: a UUID (VALIDATION otherwise). */
export function parseHubId(id: string): string {
  return parseOrThrow(provisionHubBodySchema.shape.hubId, id, "id must be a UUID");
}
