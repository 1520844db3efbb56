-- DropIndex
DROP INDEX "webhook_deliveries_endpoint_id_leased_by_idx";

-- AlterTable
ALTER TABLE "webhook_deliveries" DROP COLUMN "leased_by";

-- CreateTable
CREATE TABLE "webhook_endpoint_leases" (
    "endpoint_id" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_endpoint_leases_pkey" PRIMARY KEY ("endpoint_id")
);

-- AddForeignKey
ALTER TABLE "webhook_endpoint_leases" ADD CONSTRAINT "webhook_endpoint_leases_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE;
