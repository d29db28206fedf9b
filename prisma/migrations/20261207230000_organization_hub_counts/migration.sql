-- Organization.hubCount: the hubs an organization owns are those claimed into it (the
-- hubs (org_id, …) indexes) and those its key provisioned that nobody has claimed yet (this one).
CREATE INDEX "hubs_provisioned_by_org_id_idx" ON "hubs"("provisioned_by_org_id");
