-- CreateTable
CREATE TABLE "transaction_fingerprints" (
    "account_id" TEXT NOT NULL,
    "window_from" DATE NOT NULL,
    "window_to" DATE NOT NULL,
    "days" BYTEA NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transaction_fingerprints_pkey" PRIMARY KEY ("account_id")
);

-- AddForeignKey
ALTER TABLE "transaction_fingerprints" ADD CONSTRAINT "transaction_fingerprints_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
