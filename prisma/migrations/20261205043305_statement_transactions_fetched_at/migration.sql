-- AlterTable
ALTER TABLE "account_resources" ADD COLUMN     "transactions_fetched_at" TIMESTAMPTZ(3);

-- Statements whose transactions are already stored were fetched when they were last synced.
UPDATE "account_resources" r SET "transactions_fetched_at" = r."synced_at"
 WHERE r."kind" = 'statement' AND EXISTS (SELECT 1 FROM "statement_transactions" st WHERE st."statement_id" = r."id");
