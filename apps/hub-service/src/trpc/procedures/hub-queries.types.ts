import { hubIdSchema, hubViewSchema, MAX_FIELD_LENGTH, recordedEventSchema } from "@hub/shared";
import { z } from "zod";
import { callerInput } from "../caller.ts";

export const hubByIdInput = z.object({ caller: callerInput, hubId: hubIdSchema });
export const hubBySerialInput = z.object({
  caller: callerInput,
  serial: z.string().trim().min(1).max(MAX_FIELD_LENGTH),
});
export const hubOutput = hubViewSchema.nullable();

export const hubEventsInput = z.object({
  caller: callerInput,
  hubId: hubIdSchema,
  fromVersion: z.number().int().min(1).default(1),
  limit: z.number().int().min(1).max(500).default(100),
});
export const hubEventsOutput = z.array(recordedEventSchema);
