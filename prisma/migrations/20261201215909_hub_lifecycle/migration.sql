-- AlterTable
ALTER TABLE "hubs" ADD COLUMN     "claimed_at" TIMESTAMPTZ(3),
ADD COLUMN     "is_primary" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "org_id" TEXT,
ADD COLUMN     "provisioned_by_org_id" TEXT,
ADD COLUMN     "site_id" TEXT;

-- CreateIndex
CREATE INDEX "hubs_org_id_provisioned_at_id_idx" ON "hubs"("org_id", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_org_id_serial_idx" ON "hubs"("org_id", "serial");

-- CreateIndex
CREATE INDEX "hubs_site_id_provisioned_at_id_idx" ON "hubs"("site_id", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_site_id_serial_idx" ON "hubs"("site_id", "serial");

-- CreateIndex
CREATE INDEX "hubs_is_primary_provisioned_at_id_idx" ON "hubs"("is_primary", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_is_primary_serial_idx" ON "hubs"("is_primary", "serial");

-- At most one primary hub per site (DESIGN: "Hub lifecycle"), enforced in the same transaction
-- as the HubRoleSet event. Decommissioning clears is_primary, which frees the slot.
CREATE UNIQUE INDEX "hubs_one_primary_per_site" ON "hubs"("org_id", "site_id") WHERE "is_primary";
