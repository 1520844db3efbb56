-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "unavailable" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "sync_runs" ADD COLUMN     "unavailable" TEXT[] DEFAULT ARRAY[]::TEXT[];
