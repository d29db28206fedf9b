-- Event delivery (webhooks, the live feed, JetStream) reads the event log as its outbox.

-- Positions are taken at insert time, so a transaction holding position 11 can commit after one
-- holding 12. Each event records the id of the transaction that wrote it; readers take only events
-- of transactions older than every transaction still running (pg_snapshot_xmin), in
-- (transaction_id, position) order, and checkpoint that pair: nothing committed late is skipped.
-- Existing rows take this migration's transaction id (all of them are committed by now).
ALTER TABLE "hub_events" ADD COLUMN "transaction_id" xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX "hub_events_transaction_id_position_idx" ON "hub_events"("transaction_id", "position");

-- The organizations that own the hub just before and just after the event (lower-case ids): who
-- receives it (webhooks, an organization's live feed). Written with the event, never changed.
ALTER TABLE "hub_events" ADD COLUMN "org_ids" TEXT[] NOT NULL DEFAULT '{}';
-- Events written before this column existed get the hub's owner now: the best that is known.
UPDATE "hub_events" e SET "org_ids" = ARRAY[lower(coalesce(h."org_id", h."provisioned_by_org_id"))]
FROM "hubs" h
WHERE h."id" = e."stream_id" AND coalesce(h."org_id", h."provisioned_by_org_id") IS NOT NULL;

-- One row per log consumer: its checkpoint (the last event handled, as a (transaction_id, position)
-- pair) and the lease that makes one instance of it active across replicas.
CREATE TABLE "log_consumers" (
    "name" TEXT NOT NULL,
    "transaction_id" xid8 NOT NULL DEFAULT '0',
    "position" BIGINT NOT NULL DEFAULT 0,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_consumers_pkey" PRIMARY KEY ("name")
);

-- A partner's endpoint. Secrets are stored encrypted (AES-256-GCM), never in clear: the service
-- signs with them, so they cannot be hashed. During a rotation the previous one still signs until
-- previous_secret_expires_at.
CREATE TABLE "webhook_subscriptions" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "event_types" TEXT[] NOT NULL DEFAULT '{}',
    "description" TEXT,
    "status" TEXT NOT NULL DEFAULT 'active',
    "paused_reason" TEXT,
    "secret" TEXT NOT NULL,
    "previous_secret" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "failing_since" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_subscriptions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_subscriptions_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "webhook_subscriptions_org_id_idx" ON "webhook_subscriptions"("org_id");

-- One event for one subscription: pending until delivered, or dead after its last attempt.
CREATE TABLE "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "subscription_id" UUID NOT NULL,
    "hub_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "position" BIGINT NOT NULL,
    "event_type" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    -- Attempts made before the last replay: the retry schedule starts again after a replay.
    "schedule_base" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ(3),
    "last_status" INTEGER,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    "dead_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_deliveries_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscriptions"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "webhook_deliveries_subscription_hub_version_key" ON "webhook_deliveries"("subscription_id", "hub_id", "version");
-- What is due, and (for a hub's order) whether an earlier event of the hub is still pending.
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries"("next_attempt_at", "id") WHERE "status" = 'pending';
CREATE INDEX "webhook_deliveries_pending_hub_idx" ON "webhook_deliveries"("subscription_id", "hub_id", "version") WHERE "status" = 'pending';
CREATE INDEX "webhook_deliveries_subscription_status_id_idx" ON "webhook_deliveries"("subscription_id", "status", "id");
CREATE INDEX "webhook_deliveries_status_id_idx" ON "webhook_deliveries"("status", "id");

CREATE TABLE "webhook_delivery_attempts" (
    "delivery_id" BIGINT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL,
    "status" INTEGER,
    "error" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "response_prefix" TEXT,

    CONSTRAINT "webhook_delivery_attempts_pkey" PRIMARY KEY ("delivery_id", "attempt"),
    CONSTRAINT "webhook_delivery_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
