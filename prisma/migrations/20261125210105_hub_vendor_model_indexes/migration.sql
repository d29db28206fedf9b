-- CreateIndex
CREATE INDEX "hubs_vendor_name_model_provisioned_at_id_idx" ON "hubs"("vendor_name", "model", "provisioned_at", "id");

-- CreateIndex
CREATE INDEX "hubs_vendor_name_model_serial_idx" ON "hubs"("vendor_name", "model", "serial");
