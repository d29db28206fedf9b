import { hubCommandStateSchema, hubStatusSchema } from "@hub/shared";
import { z } from "zod";
import { callerInput } from "../caller.ts";

export const fleetOverviewInput = z.object({ caller: callerInput });

const count = z.number().int().min(0);

export const fleetOverviewOutput = z.object({
  hubs: z.object({
    total: count,
    byStatus: z.record(hubStatusSchema, count),
    online: count,
    offline: count,
    /** Oldest first; `day` is the UTC calendar day's start, epoch ms. */
    provisionedPerDay: z.array(z.object({ day: z.number().int(), count })),
  }),
  commands: z.object({ byState: z.record(hubCommandStateSchema, count) }),
  deliveries: z.object({
    delivered: count,
    pending: count,
    dead: count,
    oldestPendingAt: z.number().int().nullable(),
  }),
});
