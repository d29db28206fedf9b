-- The operators' API: API keys with "last used" and rotation, and the audit trail.

-- Last used: written by key verification at most once a minute per key (never once per request).
ALTER TABLE "api_keys" ADD COLUMN "last_used_at" TIMESTAMPTZ(3);
-- Rotation: the old key keeps working until its (shortened) expiry; it names its successor.
ALTER TABLE "api_keys" ADD COLUMN "rotated_at" TIMESTAMPTZ(3);
ALTER TABLE "api_keys" ADD COLUMN "replaced_by_id" UUID;

-- What operators did: keys issued, rotated and revoked, organizations created, hubs deleted.
-- Never updated, never deleted (the trigger below refuses both, whoever asks).
CREATE TABLE "audit_records" (
    "id" UUID NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "actor_org_id" TEXT,
    "actor_api_key_id" UUID,
    "request_id" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_records_pkey" PRIMARY KEY ("id")
);
-- Newest first, over all records or one target's (keyset pages).
CREATE INDEX "audit_records_recorded_at_id_idx" ON "audit_records"("recorded_at", "id");
CREATE INDEX "audit_records_target_id_recorded_at_id_idx" ON "audit_records"("target_id", "recorded_at", "id");
CREATE INDEX "audit_records_action_recorded_at_id_idx" ON "audit_records"("action", "recorded_at", "id");

CREATE FUNCTION "audit_records_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are never changed or deleted';
END
$$;
CREATE TRIGGER "audit_records_append_only" BEFORE UPDATE OR DELETE ON "audit_records"
  FOR EACH ROW EXECUTE FUNCTION "audit_records_append_only"();
CREATE TRIGGER "audit_records_no_truncate" BEFORE TRUNCATE ON "audit_records"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_records_append_only"();
