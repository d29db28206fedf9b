import {
  commandIdSchema,
  EVENT_PAGE_SIZE_MAX,
  eventConnectionSchema,
  eventFeedOrderSchema,
  eventTypeSchema,
  hubCommandConnectionSchema,
  hubCommandStateSchema,
  hubCommandViewSchema,
  hubConnectionSchema,
  hubIdSchema,
  hubListFilterSchema,
  hubListOrderSchema,
  hubViewSchema,
  isSafeText,
  MAX_FIELD_LENGTH,
  PAGE_SIZE_MAX,
  pageArgsSchema,
  recordedEventSchema,
} from "@hub/shared";
import { z } from "zod";
import { callerInput } from "../caller.ts";

export const hubByIdInput = z.object({ caller: callerInput, hubId: hubIdSchema });
export const hubBySerialInput = z.object({
  caller: callerInput,
  serial: z
    .string()
    .trim()
    .min(1)
    .max(MAX_FIELD_LENGTH)
    .refine(isSafeText, { error: "must not contain control characters or invalid Unicode" }),
});
export const hubOutput = hubViewSchema.nullable();

export const hubListInput = z.object({
  caller: callerInput,
  filter: hubListFilterSchema.optional(),
  orderBy: hubListOrderSchema.optional(),
  page: pageArgsSchema(PAGE_SIZE_MAX).default({}),
});
export const hubListOutput = hubConnectionSchema;

export const hubEventsInput = z.object({
  caller: callerInput,
  hubId: hubIdSchema,
  types: z.array(eventTypeSchema).max(20).optional(),
  fromVersion: z.number().int().min(1).default(1),
  page: pageArgsSchema(EVENT_PAGE_SIZE_MAX).default({}),
});
export const hubEventsOutput = eventConnectionSchema;

/** A page of hubs asks for each one's last event in one call (the gateway batches per request). */
export const hubLastEventsInput = z.object({
  caller: callerInput,
  hubIds: z.array(hubIdSchema).max(PAGE_SIZE_MAX),
});
export const hubLastEventsOutput = z.array(recordedEventSchema);

export const eventFeedInput = z.object({
  caller: callerInput,
  order: eventFeedOrderSchema.default("NEWEST_FIRST"),
  page: pageArgsSchema(PAGE_SIZE_MAX).default({}),
});
export const eventFeedOutput = eventConnectionSchema;

/** One hub's commands, newest first, optionally in one state. */
export const hubCommandsInput = z.object({
  caller: callerInput,
  hubId: hubIdSchema,
  state: hubCommandStateSchema.optional(),
  page: pageArgsSchema(PAGE_SIZE_MAX).default({}),
});
export const hubCommandsOutput = hubCommandConnectionSchema;

/** One command by id; `hubId` optional (command ids are unique across hubs). */
export const hubCommandInput = z.object({
  caller: callerInput,
  commandId: commandIdSchema,
  hubId: hubIdSchema.optional(),
});
export const hubCommandOutput = hubCommandViewSchema.nullable();
