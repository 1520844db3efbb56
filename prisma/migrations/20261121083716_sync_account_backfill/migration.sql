-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "backfilled_from" DATE;
