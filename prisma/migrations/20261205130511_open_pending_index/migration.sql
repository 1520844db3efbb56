-- CreateIndex
CREATE INDEX "transactions_open_pending_idx" ON "transactions"("account_id", "booking_date") WHERE (status = 'pending' AND removed_at IS NULL);
