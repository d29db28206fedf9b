-- Talking to the hub: its live status on the read model, the commands sent to it, and the leases
-- that let one sender at a time write a command id into the hub's Device Shadow.

-- Presence (AWS IoT lifecycle events) and what the hub reported about itself (server_info).
ALTER TABLE "hubs" ADD COLUMN "online" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "hubs" ADD COLUMN "last_seen_at" TIMESTAMPTZ(3);
ALTER TABLE "hubs" ADD COLUMN "firmware_version" TEXT;
ALTER TABLE "hubs" ADD COLUMN "uptime_seconds" BIGINT;
-- The admin list filters by online, newest first (a keyset page, like the other filters).
CREATE INDEX "hubs_online_provisioned_at_id_idx" ON "hubs"("online", "provisioned_at", "id");
CREATE INDEX "hubs_online_serial_idx" ON "hubs"("online", "serial");

-- Read model of the commands sent to hubs, from the HubCommand* events (never their secret
-- arguments: those reach the shadow only).
CREATE TABLE "hub_commands" (
    "command_id" TEXT NOT NULL,
    "hub_id" UUID NOT NULL,
    "command" TEXT NOT NULL,
    "args" JSONB,
    "secret_args" TEXT[] NOT NULL DEFAULT '{}',
    "state" TEXT NOT NULL,
    "result" JSONB,
    "reason" TEXT,
    "sent_at" TIMESTAMPTZ(3) NOT NULL,
    "timeout_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),
    "sent_by_kind" TEXT NOT NULL,
    "sent_by_id" TEXT NOT NULL,
    "sent_by_org_id" TEXT,
    "version" INTEGER NOT NULL,

    CONSTRAINT "hub_commands_pkey" PRIMARY KEY ("command_id")
);
CREATE INDEX "hub_commands_hub_id_sent_at_command_id_idx" ON "hub_commands"("hub_id", "sent_at", "command_id");
CREATE INDEX "hub_commands_hub_id_state_sent_at_command_id_idx" ON "hub_commands"("hub_id", "state", "sent_at", "command_id");
-- The time-out sweep reads only commands still waiting for their hub.
CREATE INDEX "hub_commands_pending_timeout_at_idx" ON "hub_commands"("timeout_at") WHERE "state" = 'SENT';

-- One sender of a command id at a time, across replicas: taken before the shadow write, dropped
-- once the command is recorded (or the write failed). A sender that died leaves it to expire.
CREATE TABLE "hub_command_sends" (
    "command_id" TEXT NOT NULL,
    "hub_id" UUID NOT NULL,
    "payload_digest" TEXT NOT NULL,
    "lease_until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "hub_command_sends_pkey" PRIMARY KEY ("command_id")
);

-- The topic rule's destination confirmations received (AWS IoT sends a token to confirm with).
-- AWS sends them without the rule's secret header, so anyone could post one: each token is kept
-- (never overwritten by a later post), and only confirming it with AWS proves it genuine.
CREATE TABLE "rule_destination_confirmations" (
    "confirmation_token" TEXT NOT NULL,
    "arn" TEXT NOT NULL,
    "enable_url" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "confirmed_at" TIMESTAMPTZ(3),

    CONSTRAINT "rule_destination_confirmations_pkey" PRIMARY KEY ("confirmation_token")
);
CREATE INDEX "rule_destination_confirmations_arn_received_at_idx" ON "rule_destination_confirmations"("arn", "received_at");
