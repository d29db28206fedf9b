import { maxBulkItems, provisionManyItemSchema } from "@hub/shared";
import { z } from "zod";
import { callerInput } from "../caller.ts";

/**
 * Items stay unvalidated here: each is validated on its own, so one bad item is that item's 400,
 * not the batch's. Only the list itself (1 to 1,000 items) concerns the call as a whole.
 */
export const provisionManyInput = z.object({
  caller: callerInput,
  commands: z
    .array(z.unknown())
    .min(1, "at least one hub is required")
    .max(maxBulkItems, `at most ${maxBulkItems} hubs per call`),
});
export const provisionManyOutput = z.array(provisionManyItemSchema);
