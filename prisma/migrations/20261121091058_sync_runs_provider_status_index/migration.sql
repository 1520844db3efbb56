-- DropIndex
DROP INDEX "sync_runs_provider_id_queued_at_id_idx";

-- CreateIndex
CREATE INDEX "sync_runs_provider_id_status_queued_at_id_idx" ON "sync_runs"("provider_id", "status", "queued_at" DESC, "id" DESC);
