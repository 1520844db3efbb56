-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "TenantStatus" AS ENUM ('active', 'suspended');

-- CreateEnum
CREATE TYPE "CredentialKind" AS ENUM ('api_key', 'oauth_client');

-- CreateEnum
CREATE TYPE "CredentialStatus" AS ENUM ('active', 'revoked');

-- CreateEnum
CREATE TYPE "SigningKeyStatus" AS ENUM ('active', 'retiring', 'retired');

-- CreateEnum
CREATE TYPE "ProviderStatus" AS ENUM ('active', 'inactive');

-- CreateEnum
CREATE TYPE "ConsentStatus" AS ENUM ('awaiting_authorisation', 'authorised', 'rejected', 'revoked', 'expired', 'failed');

-- CreateEnum
CREATE TYPE "TransactionStatus" AS ENUM ('booked', 'pending');

-- CreateEnum
CREATE TYPE "IdSource" AS ENUM ('bank', 'fingerprint');

-- CreateEnum
CREATE TYPE "AccountResourceKind" AS ENUM ('statement', 'party', 'beneficiary', 'standing_order', 'direct_debit', 'scheduled_payment');

-- CreateEnum
CREATE TYPE "SyncTrigger" AS ENUM ('initial', 'scheduled', 'psu_present', 'manual');

-- CreateEnum
CREATE TYPE "SyncRunStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'deferred');

-- CreateEnum
CREATE TYPE "WebhookEndpointStatus" AS ENUM ('enabled', 'disabled');

-- CreateEnum
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('pending', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "tenants" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "TenantStatus" NOT NULL DEFAULT 'active',
    "rate_limit_per_minute" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tenant_redirect_uris" (
    "tenant_id" TEXT NOT NULL,
    "uri" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenant_redirect_uris_pkey" PRIMARY KEY ("tenant_id","uri")
);

-- CreateTable
CREATE TABLE "credentials" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "kind" "CredentialKind" NOT NULL,
    "status" "CredentialStatus" NOT NULL DEFAULT 'active',
    "public_id" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "label" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "replaced_by" TEXT,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credentials_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "kid" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "status" "SigningKeyStatus" NOT NULL DEFAULT 'active',
    "public_jwk" JSONB NOT NULL,
    "private_jwk_encrypted" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rotated_at" TIMESTAMPTZ(3),

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateTable
CREATE TABLE "providers" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "country" CHAR(2) NOT NULL,
    "standard" TEXT NOT NULL,
    "profile" TEXT NOT NULL,
    "status" "ProviderStatus" NOT NULL DEFAULT 'inactive',
    "endpoints" JSONB NOT NULL DEFAULT '{}',
    "capabilities" JSONB NOT NULL,
    "sort_code_ranges" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "providers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_registrations" (
    "provider_id" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "token_endpoint_auth_method" TEXT NOT NULL,
    "secrets_encrypted" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "registered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "provider_registrations_pkey" PRIMARY KEY ("provider_id")
);

-- CreateTable
CREATE TABLE "consents" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "end_user_id" TEXT,
    "status" "ConsentStatus" NOT NULL DEFAULT 'awaiting_authorisation',
    "permissions" TEXT[],
    "transactions_from" DATE,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "frequency_per_day" INTEGER NOT NULL,
    "redirect_uri" TEXT NOT NULL,
    "tenant_state" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "external_id" TEXT,
    "authorised_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_synced_at" TIMESTAMPTZ(3),
    "next_sync_at" TIMESTAMPTZ(3),
    "expiring_notified_at" TIMESTAMPTZ(3),
    "failure_code" TEXT,
    "failure_detail" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "consents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "authorisation_sessions" (
    "id" TEXT NOT NULL,
    "consent_id" TEXT NOT NULL,
    "state_hash" TEXT NOT NULL,
    "secrets_encrypted" TEXT NOT NULL,
    "purpose" TEXT NOT NULL DEFAULT 'authorise',
    "psu_ip_address" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "consumed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "authorisation_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consent_token_sets" (
    "consent_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "access_token_expires_at" TIMESTAMPTZ(3),
    "refresh_token_expires_at" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "consent_token_sets_pkey" PRIMARY KEY ("consent_id")
);

-- CreateTable
CREATE TABLE "access_ledger" (
    "id" BIGSERIAL NOT NULL,
    "consent_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "psu_present" BOOLEAN NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "access_ledger_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "consent_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "identity_key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "subtype" TEXT,
    "currency" CHAR(3) NOT NULL,
    "name" TEXT,
    "nickname" TEXT,
    "identifiers" JSONB NOT NULL DEFAULT '[]',
    "servicer" JSONB,
    "status" TEXT NOT NULL DEFAULT 'enabled',
    "opened_at" DATE,
    "raw" JSONB,
    "content_hash" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "balances" (
    "account_id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "original_type" TEXT NOT NULL,
    "amount" DECIMAL(28,8) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "credit_lines" JSONB NOT NULL DEFAULT '[]',
    "reference_date" DATE,
    "reference_at" TIMESTAMPTZ(3),
    "synced_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "balances_pkey" PRIMARY KEY ("account_id","type","original_type")
);

-- CreateTable
CREATE TABLE "balance_history" (
    "id" BIGSERIAL NOT NULL,
    "account_id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "original_type" TEXT NOT NULL,
    "amount" DECIMAL(28,8) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "reference_date" DATE,
    "reference_at" TIMESTAMPTZ(3),
    "sync_run_id" TEXT,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balance_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transactions" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "consent_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "external_id" TEXT,
    "id_source" "IdSource" NOT NULL,
    "identity_key" TEXT NOT NULL,
    "status" "TransactionStatus" NOT NULL,
    "booking_date" DATE NOT NULL,
    "value_date" DATE,
    "booked_at" TIMESTAMPTZ(3),
    "amount" DECIMAL(28,8) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "merchant_name" TEXT,
    "merchant_category_code" TEXT,
    "counterparty" JSONB,
    "bank_transaction_code" JSONB,
    "reference" TEXT,
    "running_balance" JSONB,
    "currency_exchange" JSONB,
    "pending_transaction_id" TEXT,
    "raw" JSONB,
    "content_hash" TEXT NOT NULL,
    "removed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transaction_changes" (
    "id" BIGSERIAL NOT NULL,
    "xid" BIGINT NOT NULL DEFAULT ((pg_current_xact_id())::text)::bigint,
    "tenant_id" TEXT NOT NULL,
    "consent_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transaction_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account_resources" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "kind" "AccountResourceKind" NOT NULL,
    "external_id" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "synced_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "account_resources_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "statement_transactions" (
    "statement_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "statement_transactions_pkey" PRIMARY KEY ("statement_id","position")
);

-- CreateTable
CREATE TABLE "sync_runs" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "consent_id" TEXT NOT NULL,
    "trigger" "SyncTrigger" NOT NULL,
    "status" "SyncRunStatus" NOT NULL DEFAULT 'queued',
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "accounts" INTEGER NOT NULL DEFAULT 0,
    "transactions_added" INTEGER NOT NULL DEFAULT 0,
    "transactions_modified" INTEGER NOT NULL DEFAULT 0,
    "transactions_removed" INTEGER NOT NULL DEFAULT 0,
    "error_code" TEXT,
    "error_detail" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "xid" BIGINT NOT NULL DEFAULT ((pg_current_xact_id())::text)::bigint,
    "tenant_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox_cursors" (
    "name" TEXT NOT NULL,
    "xid" BIGINT NOT NULL DEFAULT 0,
    "seq" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "outbox_cursors_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT,
    "events" TEXT[],
    "status" "WebhookEndpointStatus" NOT NULL DEFAULT 'enabled',
    "disabled_reason" TEXT,
    "disabled_at" TIMESTAMPTZ(3),
    "secret_encrypted" TEXT NOT NULL,
    "previous_secret_encrypted" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "failing_since" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_seq" BIGINT NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_response_status" INTEGER,
    "last_error" TEXT,
    "last_latency_ms" INTEGER,
    "succeeded_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_attempts" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "latency_ms" INTEGER NOT NULL,
    "response_status" INTEGER,
    "error" TEXT,

    CONSTRAINT "webhook_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "tenant_id" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" TEXT,
    "response_headers" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("scope","key")
);

-- CreateIndex
CREATE INDEX "tenants_created_at_id_idx" ON "tenants"("created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "credentials_public_id_key" ON "credentials"("public_id");

-- CreateIndex
CREATE UNIQUE INDEX "credentials_secret_hash_key" ON "credentials"("secret_hash");

-- CreateIndex
CREATE INDEX "credentials_tenant_id_created_at_idx" ON "credentials"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "signing_keys_status_created_at_idx" ON "signing_keys"("status", "created_at");

-- CreateIndex
CREATE INDEX "providers_country_standard_idx" ON "providers"("country", "standard");

-- CreateIndex
CREATE INDEX "providers_standard_idx" ON "providers"("standard");

-- CreateIndex
CREATE INDEX "consents_tenant_id_created_at_id_idx" ON "consents"("tenant_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "consents_tenant_id_status_created_at_idx" ON "consents"("tenant_id", "status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "consents_tenant_id_provider_id_created_at_idx" ON "consents"("tenant_id", "provider_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "consents_tenant_id_end_user_id_created_at_idx" ON "consents"("tenant_id", "end_user_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "consents_status_next_sync_at_idx" ON "consents"("status", "next_sync_at");

-- CreateIndex
CREATE INDEX "consents_status_expires_at_idx" ON "consents"("status", "expires_at");

-- CreateIndex
CREATE INDEX "consents_provider_id_external_id_idx" ON "consents"("provider_id", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "authorisation_sessions_state_hash_key" ON "authorisation_sessions"("state_hash");

-- CreateIndex
CREATE INDEX "authorisation_sessions_consent_id_idx" ON "authorisation_sessions"("consent_id");

-- CreateIndex
CREATE INDEX "authorisation_sessions_expires_at_idx" ON "authorisation_sessions"("expires_at");

-- CreateIndex
CREATE INDEX "consent_token_sets_key_id_idx" ON "consent_token_sets"("key_id");

-- CreateIndex
CREATE INDEX "consent_token_sets_access_token_expires_at_idx" ON "consent_token_sets"("access_token_expires_at");

-- CreateIndex
CREATE INDEX "access_ledger_consent_id_psu_present_at_idx" ON "access_ledger"("consent_id", "psu_present", "at");

-- CreateIndex
CREATE INDEX "access_ledger_at_idx" ON "access_ledger"("at");

-- CreateIndex
CREATE INDEX "accounts_consent_id_external_id_idx" ON "accounts"("consent_id", "external_id");

-- CreateIndex
CREATE INDEX "accounts_tenant_id_created_at_id_idx" ON "accounts"("tenant_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "accounts_tenant_id_consent_id_created_at_id_idx" ON "accounts"("tenant_id", "consent_id", "created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "accounts_consent_id_identity_key_key" ON "accounts"("consent_id", "identity_key");

-- CreateIndex
CREATE INDEX "balances_tenant_id_idx" ON "balances"("tenant_id");

-- CreateIndex
CREATE INDEX "balance_history_account_id_recorded_at_idx" ON "balance_history"("account_id", "recorded_at" DESC);

-- CreateIndex
CREATE INDEX "transactions_account_id_booking_date_id_idx" ON "transactions"("account_id", "booking_date" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "transactions_account_id_status_booking_date_id_idx" ON "transactions"("account_id", "status", "booking_date" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "transactions_tenant_id_account_id_idx" ON "transactions"("tenant_id", "account_id");

-- CreateIndex
CREATE INDEX "transactions_consent_id_idx" ON "transactions"("consent_id");

-- CreateIndex
CREATE UNIQUE INDEX "transactions_account_id_identity_key_key" ON "transactions"("account_id", "identity_key");

-- CreateIndex
CREATE INDEX "transaction_changes_tenant_id_consent_id_xid_id_idx" ON "transaction_changes"("tenant_id", "consent_id", "xid", "id");

-- CreateIndex
CREATE INDEX "transaction_changes_tenant_id_account_id_xid_id_idx" ON "transaction_changes"("tenant_id", "account_id", "xid", "id");

-- CreateIndex
CREATE INDEX "account_resources_tenant_id_account_id_kind_idx" ON "account_resources"("tenant_id", "account_id", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "account_resources_account_id_kind_external_id_key" ON "account_resources"("account_id", "kind", "external_id");

-- CreateIndex
CREATE INDEX "sync_runs_tenant_id_consent_id_queued_at_id_idx" ON "sync_runs"("tenant_id", "consent_id", "queued_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "sync_runs_status_queued_at_idx" ON "sync_runs"("status", "queued_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "events_seq_key" ON "events"("seq");

-- CreateIndex
CREATE INDEX "events_tenant_id_xid_seq_idx" ON "events"("tenant_id", "xid", "seq");

-- CreateIndex
CREATE INDEX "events_tenant_id_type_xid_seq_idx" ON "events"("tenant_id", "type", "xid", "seq");

-- CreateIndex
CREATE INDEX "events_xid_seq_idx" ON "events"("xid", "seq");

-- CreateIndex
CREATE INDEX "events_created_at_idx" ON "events"("created_at");

-- CreateIndex
CREATE INDEX "webhook_endpoints_tenant_id_created_at_id_idx" ON "webhook_endpoints"("tenant_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "webhook_endpoints_status_idx" ON "webhook_endpoints"("status");

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_created_at_id_idx" ON "webhook_deliveries"("endpoint_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_status_event_seq_idx" ON "webhook_deliveries"("endpoint_id", "status", "event_seq");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_id_event_id_key" ON "webhook_deliveries"("endpoint_id", "event_id");

-- CreateIndex
CREATE INDEX "webhook_attempts_delivery_id_attempt_idx" ON "webhook_attempts"("delivery_id", "attempt");

-- CreateIndex
CREATE INDEX "audit_log_tenant_id_created_at_idx" ON "audit_log"("tenant_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at" DESC);

-- CreateIndex
CREATE INDEX "idempotency_records_expires_at_idx" ON "idempotency_records"("expires_at");

-- AddForeignKey
ALTER TABLE "tenant_redirect_uris" ADD CONSTRAINT "tenant_redirect_uris_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credentials" ADD CONSTRAINT "credentials_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "provider_registrations" ADD CONSTRAINT "provider_registrations_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "authorisation_sessions" ADD CONSTRAINT "authorisation_sessions_consent_id_fkey" FOREIGN KEY ("consent_id") REFERENCES "consents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent_token_sets" ADD CONSTRAINT "consent_token_sets_consent_id_fkey" FOREIGN KEY ("consent_id") REFERENCES "consents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_consent_id_fkey" FOREIGN KEY ("consent_id") REFERENCES "consents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "statement_transactions" ADD CONSTRAINT "statement_transactions_statement_id_fkey" FOREIGN KEY ("statement_id") REFERENCES "account_resources"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_consent_id_fkey" FOREIGN KEY ("consent_id") REFERENCES "consents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;
