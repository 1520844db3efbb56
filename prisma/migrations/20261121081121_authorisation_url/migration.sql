-- AlterTable
ALTER TABLE "authorisation_sessions" ADD COLUMN     "authorisation_url" TEXT NOT NULL;
