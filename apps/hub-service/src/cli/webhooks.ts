import {
  parseOrThrow,
  type WebhookDeliveryView,
  type WebhookStats,
  type WebhookSubscriptionView,
  webhookDeliveryStatuses,
} from "@hub/shared";
import { createDatabase } from "../db/client.ts";
import {
  allowPrivateWebhookUrls,
  createEventDelivery,
  type EventDelivery,
  webhookSecretKey,
} from "../event-delivery.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import {
  createWebhookInput,
  pauseWebhookInput,
  replayWebhookDeliveriesInput,
  rotateWebhookSecretInput,
  updateWebhookInput,
  webhookByIdInput,
  webhookDeliveriesInput,
} from "../trpc/procedures/webhooks.types.ts";
import { createSecretBox } from "../webhooks/secrets.ts";
import {
  type Command,
  type CommandContext,
  parseCommandArgs,
  parsePositiveInteger,
  parseVariadicArgs,
  requireOption,
  UsageError,
} from "./command.ts";
import { DEV_SECRETS_FILE, loadOrCreateDevSecrets } from "./dev-secrets.ts";

/*
 * Webhook subscriptions and their deliveries, for operators: on the database directly, through
 * the stores hub-service itself uses, and validated by the schemas of its tRPC procedures, so a
 * subscription made here is the one the API would have made. An operator acts as an admin: any
 * organization, which `create` therefore needs named.
 */

const SECRET_WARNING =
  "Store this signing secret now: it is shown only this once (it is stored encrypted); rotate-secret makes a new one.";

type Delivery = Pick<EventDelivery, "subscriptions" | "deliveries">;

/**
 * The key material hub-service seals signing secrets with (event-delivery.ts), from the same
 * variables; without them, the dev secrets file that `npm start` gives hub-service too.
 */
async function secretKeyOf({ env, note }: CommandContext): Promise<string> {
  if (env.WEBHOOK_SECRET_KEY || env.SERVICE_JWT_SECRET || env.NODE_ENV === "production") {
    return webhookSecretKey(env);
  }
  const { serviceJwtSecret } = await loadOrCreateDevSecrets();
  note(`SERVICE_JWT_SECRET is not set: webhook secrets use the dev secret in .data/${DEV_SECRETS_FILE}`);
  return webhookSecretKey({ ...env, SERVICE_JWT_SECRET: serviceJwtSecret });
}

/** Opens the database for one command and always closes it: an open PGlite fails the exit code. */
async function withDelivery<T>(
  context: CommandContext,
  run: (delivery: Delivery, prisma: PrismaClient, secretKey: string) => Promise<T>,
): Promise<T> {
  const secretKey = await secretKeyOf(context);
  const db = await createDatabase({ url: context.env.DATABASE_URL, poolSize: 2 });
  try {
    const delivery = createEventDelivery({
      db,
      secretKey,
      allowPrivateUrls: allowPrivateWebhookUrls(context.env),
    });
    return await run(delivery, db.prisma, secretKey);
  } finally {
    await db.close();
  }
}

/**
 * Before sealing a new secret: the newest stored one must open with this key. If it does not, this
 * shell's WEBHOOK_SECRET_KEY or SERVICE_JWT_SECRET is not hub-service's, and hub-service could
 * not open (so not sign with) what would be sealed here.
 */
async function checkSameKey(prisma: PrismaClient, secretKey: string): Promise<void> {
  const newest = await prisma.webhookSubscription.findFirst({
    select: { secret: true },
    orderBy: { updatedAt: "desc" },
  });
  if (!newest) return;
  try {
    createSecretBox(secretKey).open(newest.secret);
  } catch (error) {
    throw new Error(
      "this environment's key material does not open the stored webhook secrets: set WEBHOOK_SECRET_KEY (or SERVICE_JWT_SECRET) as hub-service has it",
      { cause: error },
    );
  }
}

export const webhooksCreate: Command = {
  usage: "webhooks create --org <orgId> --url <url> [--event-type HubClaimed ...] [--description <text>]",
  async run(context) {
    const { values } = parseCommandArgs(
      context.args,
      {
        org: { type: "string" },
        url: { type: "string" },
        "event-type": { type: "string", multiple: true },
        description: { type: "string" },
      },
      [],
    );
    const orgId = requireOption(values.org, "--org");
    const input = parseOrThrow(createWebhookInput, {
      orgId,
      url: requireOption(values.url, "--url"),
      ...(values["event-type"] ? { eventTypes: values["event-type"] } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
    });
    const { subscription, secret } = await withDelivery(context, async (delivery, prisma, secretKey) => {
      await checkSameKey(prisma, secretKey);
      return delivery.subscriptions.create({
        orgId,
        url: input.url,
        eventTypes: input.eventTypes,
        description: input.description,
      });
    });
    return {
      data: { subscription: subscriptionJson(subscription), secret },
      text: [
        `Created webhook subscription ${subscription.id} for organization ${subscription.orgId}`,
        ...describeSubscription(subscription),
        "",
        secret,
      ].join("\n"),
      warning: SECRET_WARNING,
    };
  },
};

export const webhooksList: Command = {
  usage: "webhooks list [--org <orgId>]",
  async run(context) {
    const { values } = parseCommandArgs(context.args, { org: { type: "string" } }, []);
    const listed = await withDelivery(context, async ({ subscriptions }) => {
      const all = await subscriptions.list(values.org);
      const stats = new Map(
        (await subscriptions.stats(all.map((s) => s.id))).map((s) => [s.subscriptionId, s]),
      );
      return all.map((subscription) => ({ subscription, stats: stats.get(subscription.id) }));
    });
    const text =
      listed.length === 0
        ? "No webhook subscriptions."
        : [
            ["id", "status", "organization", "pending", "delivered", "dead", "lag", "events", "url"].join(
              "\t",
            ),
            ...listed.map(({ subscription: s, stats }) =>
              [
                s.id,
                s.status,
                s.orgId,
                stats?.pending ?? 0,
                stats?.delivered ?? 0,
                stats?.dead ?? 0,
                stats?.lagPositions ?? 0,
                eventsText(s),
                s.url,
              ].join("\t"),
            ),
          ].join("\n");
    return {
      data: listed.map(({ subscription, stats }) => ({
        ...subscriptionJson(subscription),
        stats: stats ? statsJson(stats) : null,
      })),
      text,
    };
  },
};

export const webhooksUpdate: Command = {
  usage:
    'webhooks update <id> [--url <url>] [--event-type HubClaimed ... | --all-events] [--description <text> | --description ""]',
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.args,
      {
        url: { type: "string" },
        "event-type": { type: "string", multiple: true },
        "all-events": { type: "boolean" },
        description: { type: "string" },
      },
      ["id"],
    );
    if (values["event-type"] && values["all-events"]) {
      throw new UsageError("--event-type and --all-events exclude each other");
    }
    const eventTypes = values["all-events"] ? [] : values["event-type"];
    if (values.url === undefined && eventTypes === undefined && values.description === undefined) {
      throw new UsageError("nothing to change: give --url, --event-type, --all-events or --description");
    }
    const input = parseOrThrow(updateWebhookInput, {
      id: positionals[0],
      ...(values.url !== undefined ? { url: values.url } : {}),
      ...(eventTypes !== undefined ? { eventTypes } : {}),
      // A shell cannot pass null: an empty description is the way to remove it.
      ...(values.description !== undefined ? { description: values.description || null } : {}),
    });
    const updated = await withDelivery(context, ({ subscriptions }) =>
      subscriptions.update(input.id, {
        url: input.url,
        eventTypes: input.eventTypes,
        description: input.description,
      }),
    );
    return {
      data: subscriptionJson(updated),
      text: [`Updated webhook subscription ${updated.id}`, ...describeSubscription(updated)].join("\n"),
    };
  },
};

export const webhooksPause: Command = {
  usage: "webhooks pause <id> [--reason <text>]",
  async run(context) {
    const { values, positionals } = parseCommandArgs(context.args, { reason: { type: "string" } }, ["id"]);
    const input = parseOrThrow(pauseWebhookInput, {
      id: positionals[0],
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
    });
    const paused = await withDelivery(context, ({ subscriptions }) =>
      subscriptions.setPaused(input.id, true, input.reason ?? "paused by an operator"),
    );
    return {
      data: subscriptionJson(paused),
      text: `Paused webhook subscription ${paused.id} (${paused.pausedReason}); its events are kept and sent on resume.`,
    };
  },
};

export const webhooksResume: Command = {
  usage: "webhooks resume <id>",
  async run(context) {
    const { id } = parseId(context);
    const resumed = await withDelivery(context, ({ subscriptions }) => subscriptions.setPaused(id, false));
    return { data: subscriptionJson(resumed), text: `Resumed webhook subscription ${resumed.id}` };
  },
};

export const webhooksDelete: Command = {
  usage: "webhooks delete <id>",
  async run(context) {
    const { id } = parseId(context);
    const removed = await withDelivery(context, ({ subscriptions }) => subscriptions.remove(id));
    return {
      data: subscriptionJson(removed),
      text: `Deleted webhook subscription ${removed.id} (${removed.url}) and its deliveries`,
    };
  },
};

export const webhooksRotateSecret: Command = {
  usage: "webhooks rotate-secret <id> [--overlap-seconds 0..604800 (default 86400)]",
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.args,
      { "overlap-seconds": { type: "string" } },
      ["id"],
    );
    const overlap = values["overlap-seconds"];
    if (overlap !== undefined && !/^\d{1,7}$/.test(overlap)) {
      throw new UsageError("--overlap-seconds must be a whole number of seconds");
    }
    const input = parseOrThrow(rotateWebhookSecretInput, {
      id: positionals[0],
      ...(overlap !== undefined ? { overlapSeconds: Number(overlap) } : {}),
    });
    const { subscription, secret } = await withDelivery(
      context,
      async ({ subscriptions }, prisma, secretKey) => {
        await checkSameKey(prisma, secretKey);
        return subscriptions.rotateSecret(input.id, input.overlapSeconds * 1000);
      },
    );
    const previous =
      subscription.previousSecretExpiresAt === null
        ? "the previous secret no longer signs"
        : `the previous secret also signs until ${iso(subscription.previousSecretExpiresAt)}`;
    return {
      data: { subscription: subscriptionJson(subscription), secret },
      text: [`Rotated the signing secret of ${subscription.id}; ${previous}`, "", secret].join("\n"),
      warning: SECRET_WARNING,
    };
  },
};

export const webhooksDeliveries: Command = {
  usage: `webhooks deliveries [--subscription <id>] [--status ${webhookDeliveryStatuses.join("|")}] [--hub <hubId>] [--first 20] [--after <cursor>]`,
  async run(context) {
    const { values } = parseCommandArgs(
      context.args,
      {
        subscription: { type: "string" },
        status: { type: "string" },
        hub: { type: "string" },
        first: { type: "string" },
        after: { type: "string" },
      },
      [],
    );
    const first = parsePositiveInteger(values.first, "--first", 100);
    const input = parseOrThrow(webhookDeliveriesInput, {
      filter: {
        ...(values.subscription !== undefined ? { subscriptionId: values.subscription } : {}),
        ...(values.status !== undefined ? { status: values.status.toUpperCase() } : {}),
        ...(values.hub !== undefined ? { hubId: values.hub } : {}),
      },
      ...(first !== undefined ? { first } : {}),
      ...(values.after !== undefined ? { after: values.after } : {}),
    });
    const page = await withDelivery(context, async ({ subscriptions, deliveries }) => {
      // A mistyped id is an error, not an empty page.
      if (input.filter.subscriptionId) await subscriptions.orgOf(input.filter.subscriptionId);
      return deliveries.list(input.filter, { first: input.first, after: input.after });
    });
    const text =
      page.nodes.length === 0
        ? "No deliveries."
        : [
            ["id", "status", "attempts", "event", "webhook-id", "last", "next attempt", "subscription"].join(
              "\t",
            ),
            ...page.nodes.flatMap((node) => [
              [
                node.id,
                node.status,
                node.attempts,
                node.eventType,
                node.webhookId,
                outcomeText(node.lastStatus, node.lastError),
                nextAttemptText(node),
                node.subscriptionId,
              ].join("\t"),
              // Each attempt under its delivery: what the endpoint answered, and when.
              ...node.attemptLog.map(
                (attempt) =>
                  `  attempt ${attempt.attempt} at ${iso(attempt.attemptedAt)}: ${outcomeText(attempt.status, attempt.error)} in ${attempt.durationMs} ms`,
              ),
            ]),
            ...(page.hasNextPage ? [`more: --after ${page.endCursor}`] : []),
          ].join("\n");
    return {
      data: { nodes: page.nodes.map(deliveryJson), endCursor: page.endCursor, hasNextPage: page.hasNextPage },
      text,
    };
  },
};

export const webhooksReplay: Command = {
  usage: "webhooks replay (<deliveryId ...> | --subscription <id>)",
  async run(context) {
    const { values, positionals } = parseVariadicArgs(context.args, { subscription: { type: "string" } });
    const byIds = positionals.length > 0;
    if (byIds === (values.subscription !== undefined)) {
      throw new UsageError("give either delivery ids or --subscription");
    }
    const input = parseOrThrow(
      replayWebhookDeliveriesInput,
      values.subscription !== undefined
        ? { filter: { subscriptionId: values.subscription } }
        : { ids: positionals },
    );
    const replayed = await withDelivery(context, async ({ subscriptions, deliveries }) => {
      if (input.ids) return deliveries.replay({ ids: input.ids });
      const subscriptionId = input.filter?.subscriptionId ?? "";
      await subscriptions.orgOf(subscriptionId);
      return deliveries.replay({ filter: { subscriptionId } });
    });
    return {
      data: { replayed },
      text:
        replayed === 0
          ? "Nothing to replay (only dead or delivered deliveries are sent again)."
          : `Queued ${replayed} ${replayed === 1 ? "delivery" : "deliveries"} again (same webhook-id, a fresh retry schedule).`,
    };
  },
};

function parseId({ args }: CommandContext) {
  const { positionals } = parseCommandArgs(args, {}, ["id"]);
  return parseOrThrow(webhookByIdInput, { id: positionals[0] });
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

function eventsText(subscription: WebhookSubscriptionView): string {
  return subscription.eventTypes.length === 0 ? "all" : subscription.eventTypes.join(",");
}

function describeSubscription(subscription: WebhookSubscriptionView): string[] {
  return [
    `url: ${subscription.url}`,
    `events: ${eventsText(subscription)}`,
    `status: ${subscription.status}${subscription.pausedReason ? ` (${subscription.pausedReason})` : ""}`,
    ...(subscription.description ? [`description: ${subscription.description}`] : []),
  ];
}

function outcomeText(status: number | null, error: string | null): string {
  if (status !== null) return error ? `HTTP ${status} (${error})` : `HTTP ${status}`;
  return error ?? "-";
}

// JSON for scripts: times as ISO strings, as the other commands print them.
function subscriptionJson(subscription: WebhookSubscriptionView) {
  return {
    ...subscription,
    previousSecretExpiresAt: isoOrNull(subscription.previousSecretExpiresAt),
    failingSince: isoOrNull(subscription.failingSince),
    createdAt: iso(subscription.createdAt),
    updatedAt: iso(subscription.updatedAt),
  };
}

function statsJson(stats: WebhookStats) {
  const { subscriptionId: _, ...rest } = stats;
  return { ...rest, oldestPendingAt: isoOrNull(stats.oldestPendingAt) };
}

/** When a delivery is tried next, or what it waits for. */
function nextAttemptText(delivery: WebhookDeliveryView): string {
  if (delivery.nextAttemptAt !== null) return iso(delivery.nextAttemptAt);
  if (delivery.waitingReason === "SUBSCRIPTION_PAUSED") return "held: subscription paused";
  if (delivery.waitingReason === "QUEUED_BEHIND") return `after delivery ${delivery.waitingFor}`;
  return "-";
}

function deliveryJson(delivery: WebhookDeliveryView) {
  return {
    ...delivery,
    nextAttemptAt: isoOrNull(delivery.nextAttemptAt),
    createdAt: iso(delivery.createdAt),
    deliveredAt: isoOrNull(delivery.deliveredAt),
    deadAt: isoOrNull(delivery.deadAt),
    attemptLog: delivery.attemptLog.map((attempt) => ({ ...attempt, attemptedAt: iso(attempt.attemptedAt) })),
  };
}
