-- AlterTable
ALTER TABLE "transactions" ADD COLUMN     "pending_link" TEXT;
