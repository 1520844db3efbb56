-- AlterTable
ALTER TABLE "consents" ADD COLUMN     "named_accounts" JSONB;
