-- CreateIndex
CREATE INDEX "webhook_deliveries_last_attempt_at_idx" ON "webhook_deliveries"("last_attempt_at");

-- CreateIndex
CREATE INDEX "webhook_attempts_started_at_idx" ON "webhook_attempts"("started_at");
