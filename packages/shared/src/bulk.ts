import { z } from "zod";
import { conflictReasons, errorKinds } from "./errors.ts";
import { provisionHubResultSchema } from "./hub-schemas.ts";

/** Most items in one bulk call: a manufacturing line's batch (README, "Bulk provisioning"). */
export const maxBulkItems = 1000;

/** An AppError as it travels inside an answer (a bulk item's failure). */
export const appErrorDataSchema = z.object({
  kind: z.enum(Object.keys(errorKinds) as [keyof typeof errorKinds, ...(keyof typeof errorKinds)[]]),
  message: z.string(),
  details: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .readonly()
    .optional(),
  field: z.string().optional(),
  reason: z.enum(conflictReasons).optional(),
  hubId: z.string().optional(),
  thingName: z.string().optional(),
  retryAfterSeconds: z.number().int().optional(),
});

/**
 * One item of `hub.provisionMany`: what the single ProvisionHub call would have answered for it,
 * as a value. `hubId` is the item's own (null when it has none); `error: null` is an unexpected
 * failure (the single call's 500), whose details stay in hub-service's log.
 */
export const provisionManyItemSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    index: z.number().int(),
    hubId: z.string(),
    result: provisionHubResultSchema,
  }),
  z.object({
    ok: z.literal(false),
    index: z.number().int(),
    hubId: z.string().nullable(),
    error: appErrorDataSchema.nullable(),
  }),
]);
export type ProvisionManyItem = z.infer<typeof provisionManyItemSchema>;

/** Counts over a batch's items: created (201), unchanged (200), failed (anything else). */
export type BulkSummary = { readonly created: number; readonly unchanged: number; readonly failed: number };

export function summarize(items: readonly ProvisionManyItem[]): BulkSummary {
  let created = 0;
  let unchanged = 0;
  for (const item of items) {
    if (!item.ok) continue;
    if (item.result.event) created++;
    else unchanged++;
  }
  return { created, unchanged, failed: items.length - created - unchanged };
}
