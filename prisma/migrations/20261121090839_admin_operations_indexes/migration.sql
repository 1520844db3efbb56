-- DropIndex
DROP INDEX "sync_runs_status_queued_at_idx";

-- AlterTable
ALTER TABLE "sync_runs" ADD COLUMN     "provider_id" TEXT;

-- sync_runs.provider_id is the consent's provider (which never changes): filled in on insert, so every
-- writer (sync-worker, consent-service, gateway refresh) gets it without setting it. Existing rows are
-- backfilled before the index is built.
UPDATE "sync_runs" r SET "provider_id" = c."provider_id" FROM "consents" c WHERE c."id" = r."consent_id" AND r."provider_id" IS NULL;

-- The body is an E'' string with \x3B for its semicolons: the migration runner (Prisma's schema engine
-- over the pg driver adapter) splits scripts at every semicolon, even inside dollar quotes.
CREATE FUNCTION "sync_runs_fill_provider_id"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF NEW.provider_id IS NULL THEN
    SELECT c.provider_id INTO NEW.provider_id FROM consents c WHERE c.id = NEW.consent_id\x3B
  END IF\x3B
  RETURN NEW\x3B
END';

CREATE TRIGGER "sync_runs_provider_id" BEFORE INSERT ON "sync_runs" FOR EACH ROW EXECUTE FUNCTION "sync_runs_fill_provider_id"();

-- CreateIndex
CREATE INDEX "sync_runs_queued_at_id_idx" ON "sync_runs"("queued_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "sync_runs_status_queued_at_id_idx" ON "sync_runs"("status", "queued_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "sync_runs_tenant_id_queued_at_id_idx" ON "sync_runs"("tenant_id", "queued_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "sync_runs_provider_id_queued_at_id_idx" ON "sync_runs"("provider_id", "queued_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_log_tenant_id_id_idx" ON "audit_log"("tenant_id", "id" DESC);
