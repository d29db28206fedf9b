-- Organization + site filters (the dashboard's "one site of one customer"): without these the planner
-- ANDs the org and site bitmaps and sorts, 3× slower at 1M hubs than at 10k (bench:queries).
-- CreateIndex
CREATE INDEX "hubs_org_id_site_id_provisioned_at_id_idx" ON "hubs"("org_id", "site_id", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_org_id_site_id_serial_idx" ON "hubs"("org_id", "site_id", "serial");
