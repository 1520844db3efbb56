-- AlterTable
ALTER TABLE "consents" ADD COLUMN     "next_status_check_at" TIMESTAMPTZ(3),
ADD COLUMN     "status_checked_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "webhook_endpoints" ADD COLUMN     "consent_id" TEXT;

-- CreateIndex
CREATE INDEX "consents_status_next_status_check_at_idx" ON "consents"("status", "next_status_check_at");

-- CreateIndex
CREATE INDEX "webhook_endpoints_tenant_id_consent_id_idx" ON "webhook_endpoints"("tenant_id", "consent_id");

-- AddForeignKey
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_consent_id_fkey" FOREIGN KEY ("consent_id") REFERENCES "consents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Consents authorised before this version get their first bank status check spread over the next hour.
UPDATE "consents" SET "next_status_check_at" = now() + random() * interval '1 hour' WHERE "status" = 'authorised';
