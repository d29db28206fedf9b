import { compareCursors, cursorOf, LOG_START, ValidationError } from "@hub/shared";
import { organizationScope } from "../../policy/policy.ts";
import { FAN_OUT_CONSUMER } from "../../webhooks/fan-out.ts";
import { authorizedProcedure, serviceProcedure } from "../trpc.ts";
import {
  consumerCommitInput,
  consumerCommitOutput,
  consumerLeaseInput,
  consumerLeaseOutput,
  consumerReleaseInput,
  consumerReleaseOutput,
  consumersOutput,
  readLogInput,
  readLogOutput,
} from "./webhooks.types.ts";

/**
 * The log after a cursor (or after the last position a client received), in the order no event
 * can be skipped in (log-reader.ts); an organization reads the events of its hubs only.
 */
export const readLogProcedure = authorizedProcedure(readLogInput, "events.follow")
  .output(readLogOutput)
  .query(async ({ ctx, input }) => {
    const after =
      input.after ??
      (input.afterPosition !== undefined
        ? await ctx.delivery.log.cursorAtPosition(input.afterPosition)
        : LOG_START);
    const events = await ctx.delivery.log.read({
      after,
      limit: input.limit,
      filter: { hubId: input.hubId, types: input.types, orgId: organizationScope(ctx.caller.principal) },
    });
    const last = events.at(-1);
    return { events, cursor: last ? cursorOf(last) : after };
  });

/** A checkpointed consumer outside hub-service (the relay's JetStream publisher) takes its lease… */
export const consumerLeaseProcedure = serviceProcedure
  .input(consumerLeaseInput)
  .output(consumerLeaseOutput)
  .mutation(async ({ ctx, input }) => {
    refuseInternal(input.name);
    return { checkpoint: await ctx.delivery.log.lease(input.name, input.owner, input.leaseMs) };
  });

/** …and moves its checkpoint after it has handled a batch (compare-and-set under the lease). */
export const consumerCommitProcedure = serviceProcedure
  .input(consumerCommitInput)
  .output(consumerCommitOutput)
  .mutation(async ({ ctx, input }) => {
    refuseInternal(input.name);
    if (compareCursors(input.to, input.from) <= 0) {
      throw new ValidationError("a checkpoint only moves forward", [
        { field: "to", message: "must be after from" },
      ]);
    }
    return { saved: await ctx.delivery.log.commit(input.name, input.owner, input.from, input.to) };
  });

/** …and gives its lease up when it stops cleanly, so a successor need not wait for it to run out. */
export const consumerReleaseProcedure = serviceProcedure
  .input(consumerReleaseInput)
  .output(consumerReleaseOutput)
  .mutation(async ({ ctx, input }) => ({
    released: await ctx.delivery.log.release(input.name, input.owner),
  }));

/** hub-service's own consumers are not for remote callers to lease or move. */
function refuseInternal(name: string): void {
  if (name === FAN_OUT_CONSUMER) {
    throw new ValidationError(`${name} is hub-service's own consumer`, [
      { field: "name", message: "reserved" },
    ]);
  }
}

/** Every consumer's checkpoint, lease and lag (operators). */
export const consumersProcedure = serviceProcedure.output(consumersOutput).query(async ({ ctx }) => {
  const [consumers, head] = await Promise.all([ctx.delivery.log.consumers(), ctx.delivery.log.head()]);
  return consumers.map((consumer) => ({
    ...consumer,
    lagPositions: Number(head - BigInt(consumer.checkpoint.position)),
  }));
});
