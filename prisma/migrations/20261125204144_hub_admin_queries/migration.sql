-- Serials sort and compare byte-wise ("C" collation) on every server and on PGlite: the order of
-- `ORDER BY serial` and of keyset cursors does not depend on the server's locale, and the planner
-- turns `serial LIKE 'prefix%'` into an index range (it only does so for C-collated indexes).
-- Equality is unchanged (both collations are deterministic), so hubs_serial_key stays valid; the
-- ALTER rebuilds it. Prisma's schema cannot express a column collation: keep it in migrations.
ALTER TABLE "hubs" ALTER COLUMN "serial" SET DATA TYPE TEXT COLLATE "C";

-- CreateIndex
CREATE INDEX "hubs_status_provisioned_at_id_idx" ON "hubs"("status", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_model_provisioned_at_id_idx" ON "hubs"("model", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_vendor_name_provisioned_at_id_idx" ON "hubs"("vendor_name", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_status_serial_idx" ON "hubs"("status", "serial");

-- CreateIndex
CREATE INDEX "hubs_model_serial_idx" ON "hubs"("model", "serial");

-- CreateIndex
CREATE INDEX "hubs_vendor_name_serial_idx" ON "hubs"("vendor_name", "serial");
