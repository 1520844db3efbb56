-- CreateTable
CREATE TABLE "provider_operations" (
    "id" BIGSERIAL NOT NULL,
    "provider_id" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "error_code" TEXT,
    "rejected" TEXT,
    "detail" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_operations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "provider_operations_provider_id_at_idx" ON "provider_operations"("provider_id", "at" DESC);

-- CreateIndex
CREATE INDEX "provider_operations_at_idx" ON "provider_operations"("at");
