-- DropIndex
DROP INDEX "consents_tenant_id_status_created_at_idx";

-- DropIndex
DROP INDEX "consents_tenant_id_provider_id_created_at_idx";

-- DropIndex
DROP INDEX "consents_tenant_id_end_user_id_created_at_idx";

-- CreateIndex
CREATE INDEX "consents_tenant_id_status_created_at_id_idx" ON "consents"("tenant_id", "status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "consents_tenant_id_provider_id_created_at_id_idx" ON "consents"("tenant_id", "provider_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "consents_tenant_id_end_user_id_created_at_id_idx" ON "consents"("tenant_id", "end_user_id", "created_at" DESC, "id" DESC);
