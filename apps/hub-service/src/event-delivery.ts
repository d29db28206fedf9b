import type { LogCursor, LogEvent } from "@hub/shared";
import type { Database } from "./db/client.ts";
import {
  acquireLease,
  type ConsumerState,
  listConsumers,
  releaseLease,
  saveCheckpoint,
} from "./log/checkpoints.ts";
import { type LogConsumer, startLogConsumer } from "./log/log-consumer.ts";
import { cursorAtPosition, headPosition, type LogReadOptions, readLog } from "./log/log-reader.ts";
import { createDeliveryAdmin, type DeliveryAdmin } from "./webhooks/delivery-admin.ts";
import { createDeliveryReports, type DeliveryReports } from "./webhooks/delivery-reports.ts";
import { FAN_OUT_CONSUMER, fanOut } from "./webhooks/fan-out.ts";
import { createRelayClaims, type RelayClaims } from "./webhooks/relay-claims.ts";
import { createSecretBox } from "./webhooks/secrets.ts";
import { createSubscriptionStore, type SubscriptionStore } from "./webhooks/subscriptions.ts";

/** What the event log offers its consumers: reads by cursor, and durable checkpoints with leases. */
export type EventLog = {
  read(options: LogReadOptions): Promise<LogEvent[]>;
  cursorAtPosition(position: string): Promise<LogCursor>;
  head(): Promise<bigint>;
  /** A remote consumer's lease (the relay's JetStream publisher): its checkpoint, or null when another instance holds it. */
  lease(name: string, owner: string, leaseMs: number): Promise<LogCursor | null>;
  /** Moves a remote consumer's checkpoint (compare-and-set under its lease). */
  commit(name: string, owner: string, from: LogCursor, to: LogCursor): Promise<boolean>;
  /** Gives a remote consumer's lease up (a clean stop); false when `owner` did not hold it. */
  release(name: string, owner: string): Promise<boolean>;
  consumers(): Promise<ConsumerState[]>;
};

/** The deliveries: claimed and signed by the relay, reported back by it, listed and replayed by admins. */
export type DeliveryStore = RelayClaims & DeliveryReports & DeliveryAdmin;

export type EventDelivery = {
  readonly log: EventLog;
  readonly subscriptions: SubscriptionStore;
  readonly deliveries: DeliveryStore;
};

export type EventDeliveryOptions = {
  readonly db: Database;
  /** Key material for the signing secrets at rest. */
  readonly secretKey: string;
  /** Development and tests: http and local hosts in subscription URLs. */
  readonly allowPrivateUrls: boolean;
};

/** The settings that decide the key material and the URL rule (hub-service's, the CLI's). */
export type WebhookSettings = {
  readonly NODE_ENV?: string | undefined;
  readonly WEBHOOK_SECRET_KEY?: string | undefined;
  readonly WEBHOOK_ALLOW_PRIVATE_URLS?: boolean | undefined;
  readonly SERVICE_JWT_SECRET?: string | undefined;
};

/**
 * The key material that encrypts signing secrets at rest. hub-service and the operator CLI both
 * seal secrets and the service opens them to sign, so both must derive it here: a secret sealed
 * under another key cannot be opened, and its subscription's deliveries could not be signed.
 * Production sets its own key; elsewhere one is derived from the service secret.
 */
export function webhookSecretKey(env: WebhookSettings): string {
  if (env.WEBHOOK_SECRET_KEY) return env.WEBHOOK_SECRET_KEY;
  if (env.NODE_ENV === "production") {
    throw new Error("WEBHOOK_SECRET_KEY is required in production (it encrypts webhook secrets)");
  }
  if (!env.SERVICE_JWT_SECRET) {
    throw new Error("WEBHOOK_SECRET_KEY or SERVICE_JWT_SECRET is required (webhook secrets are encrypted)");
  }
  return `derived-from-service-secret:${env.SERVICE_JWT_SECRET}`;
}

/** Whether subscription URLs may be http or name local hosts: outside production, unless set. */
export function allowPrivateWebhookUrls(env: WebhookSettings): boolean {
  // Only when set: a service deployed without it never accepts internal endpoints.
  if (env.WEBHOOK_ALLOW_PRIVATE_URLS && env.NODE_ENV === "production") {
    throw new Error(
      "WEBHOOK_ALLOW_PRIVATE_URLS must not be set in production (webhooks would reach internal addresses)",
    );
  }
  return env.WEBHOOK_ALLOW_PRIVATE_URLS ?? false;
}

export function createEventDelivery(options: EventDeliveryOptions): EventDelivery {
  const { prisma } = options.db;
  const box = createSecretBox(options.secretKey);
  return {
    log: {
      read: (read) => readLog(prisma, read),
      cursorAtPosition: (position) => cursorAtPosition(prisma, position),
      head: () => headPosition(prisma),
      lease: (name, owner, leaseMs) => acquireLease(prisma, name, owner, leaseMs),
      commit: (name, owner, from, to) => saveCheckpoint(prisma, name, owner, from, to),
      release: (name, owner) => releaseLease(prisma, name, owner),
      consumers: () => listConsumers(prisma),
    },
    subscriptions: createSubscriptionStore(prisma, box, { allowPrivate: options.allowPrivateUrls }),
    deliveries: {
      ...createRelayClaims(prisma, box),
      ...createDeliveryReports(prisma),
      ...createDeliveryAdmin(prisma),
    },
  };
}

/** The consumer that turns the log into webhook deliveries; one instance active across replicas. */
export function startWebhookFanOut(
  db: Database,
  options: { leaseMs: number; onError: (error: unknown) => void },
): LogConsumer {
  return startLogConsumer({
    prisma: db.prisma,
    name: FAN_OUT_CONSUMER,
    leaseMs: options.leaseMs,
    handle: (tx, events) => fanOut(tx, events),
    onError: options.onError,
  });
}
