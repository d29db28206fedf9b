import { ValidationError } from "@hub/shared";
import { authorizeSubscription, organizationScope, webhookOrganization } from "../../policy/policy.ts";
import type { CallerContext } from "../caller.ts";
import type { Context } from "../trpc.ts";
import { authorizedProcedure } from "../trpc.ts";
import {
  createWebhookInput,
  listWebhooksInput,
  listWebhooksOutput,
  pauseWebhookInput,
  replayOutput,
  replayWebhookDeliveriesInput,
  rotateWebhookSecretInput,
  updateWebhookInput,
  webhookByIdInput,
  webhookDeliveriesInput,
  webhookDeliveriesOutput,
  webhookOutput,
  webhookSecretOutput,
} from "./webhooks.types.ts";

/*
 * Webhook subscriptions, their deliveries and replays. The procedures share one scope rule (an
 * organization manages its own, policy.ts), so they live in one file.
 */

type Scoped = { ctx: Context & { caller: CallerContext } };

/** Loads the subscription's organization and applies the policy: another organization's is 404. */
async function ownSubscription({ ctx }: Scoped, id: string): Promise<void> {
  authorizeSubscription(ctx.caller.principal, await ctx.delivery.subscriptions.orgOf(id));
}

export const createWebhookProcedure = authorizedProcedure(createWebhookInput, "webhooks.manage")
  .output(webhookSecretOutput)
  .mutation(({ ctx, input }) => {
    const orgId = webhookOrganization(ctx.caller.principal, input.orgId);
    if (!orgId) {
      throw new ValidationError("orgId is required when an admin or a service creates a subscription", [
        { field: "orgId", message: "required" },
      ]);
    }
    return ctx.delivery.subscriptions.create({
      orgId,
      url: input.url,
      eventTypes: input.eventTypes,
      description: input.description,
    });
  });

export const listWebhooksProcedure = authorizedProcedure(listWebhooksInput, "webhooks.manage")
  .output(listWebhooksOutput)
  .query(async ({ ctx, input }) => {
    const orgId = webhookOrganization(ctx.caller.principal, input.orgId);
    const subscriptions = await ctx.delivery.subscriptions.list(orgId);
    const stats = new Map(
      (await ctx.delivery.subscriptions.stats(subscriptions.map((s) => s.id))).map((s) => [
        s.subscriptionId,
        s,
      ]),
    );
    return subscriptions.map((subscription) => ({
      ...subscription,
      stats: stats.get(subscription.id) ?? {
        subscriptionId: subscription.id,
        pending: 0,
        delivered: 0,
        dead: 0,
        attempts: 0,
        lagPositions: 0,
        oldestPendingAt: null,
      },
    }));
  });

export const updateWebhookProcedure = authorizedProcedure(updateWebhookInput, "webhooks.manage")
  .output(webhookOutput)
  .mutation(async (options) => {
    const { ctx, input } = options;
    await ownSubscription(options, input.id);
    return ctx.delivery.subscriptions.update(input.id, {
      url: input.url,
      eventTypes: input.eventTypes,
      description: input.description,
    });
  });

export const pauseWebhookProcedure = authorizedProcedure(pauseWebhookInput, "webhooks.manage")
  .output(webhookOutput)
  .mutation(async (options) => {
    await ownSubscription(options, options.input.id);
    return options.ctx.delivery.subscriptions.setPaused(options.input.id, true, options.input.reason);
  });

export const resumeWebhookProcedure = authorizedProcedure(webhookByIdInput, "webhooks.manage")
  .output(webhookOutput)
  .mutation(async (options) => {
    await ownSubscription(options, options.input.id);
    return options.ctx.delivery.subscriptions.setPaused(options.input.id, false);
  });

export const deleteWebhookProcedure = authorizedProcedure(webhookByIdInput, "webhooks.manage")
  .output(webhookOutput)
  .mutation(async (options) => {
    await ownSubscription(options, options.input.id);
    return options.ctx.delivery.subscriptions.remove(options.input.id);
  });

export const rotateWebhookSecretProcedure = authorizedProcedure(rotateWebhookSecretInput, "webhooks.manage")
  .output(webhookSecretOutput)
  .mutation(async (options) => {
    await ownSubscription(options, options.input.id);
    return options.ctx.delivery.subscriptions.rotateSecret(
      options.input.id,
      options.input.overlapSeconds * 1000,
    );
  });

export const webhookDeliveriesProcedure = authorizedProcedure(webhookDeliveriesInput, "webhooks.manage")
  .output(webhookDeliveriesOutput)
  .query(async (options) => {
    const { ctx, input } = options;
    if (input.filter.subscriptionId) await ownSubscription(options, input.filter.subscriptionId);
    return ctx.delivery.deliveries.list(
      { ...input.filter, orgId: organizationScope(ctx.caller.principal) },
      { first: input.first, after: input.after },
    );
  });

export const replayWebhookDeliveriesProcedure = authorizedProcedure(
  replayWebhookDeliveriesInput,
  "webhooks.manage",
)
  .output(replayOutput)
  .mutation(async (options) => {
    const { ctx, input } = options;
    if (input.ids) {
      for (const subscriptionId of await ctx.delivery.deliveries.subscriptionsOf(input.ids)) {
        await ownSubscription(options, subscriptionId);
      }
      return { replayed: await ctx.delivery.deliveries.replay({ ids: input.ids }) };
    }
    const filter = input.filter ?? {};
    if (filter.subscriptionId) await ownSubscription(options, filter.subscriptionId);
    const replayed = await ctx.delivery.deliveries.replay({
      filter: { ...filter, orgId: organizationScope(ctx.caller.principal) },
    });
    return { replayed };
  });
