-- DropIndex
DROP INDEX "webhook_deliveries_endpoint_id_created_at_id_idx";

-- DropIndex
DROP INDEX "webhook_deliveries_endpoint_id_status_event_seq_idx";

-- DropIndex
DROP INDEX "webhook_deliveries_status_next_attempt_at_idx";

-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "leased_by" TEXT,
ADD COLUMN     "manual_retry" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_status_next_attempt_at_id_idx" ON "webhook_deliveries"("endpoint_id", "status", "next_attempt_at", "id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_leased_by_idx" ON "webhook_deliveries"("endpoint_id", "leased_by");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_id_idx" ON "webhook_deliveries"("status", "id");
