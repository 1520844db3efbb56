-- DropIndex
DROP INDEX "account_resources_tenant_id_account_id_kind_idx";

-- CreateIndex
CREATE INDEX "providers_status_name_id_idx" ON "providers"("status", "name", "id");

-- CreateIndex
CREATE INDEX "account_resources_tenant_id_account_id_kind_id_idx" ON "account_resources"("tenant_id", "account_id", "kind", "id");
