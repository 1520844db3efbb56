// The SQL the gateway sends for the benchmarked routes, statement for statement, as Prisma 7 (query
// compiler + @prisma/adapter-pg) generates it today: the bare server sends exactly these texts, and
// bench.ts checks before measuring that the gateway's own repositories still generate them (it runs
// them with a query-logging PrismaClient over the seeded data) — a change in Prisma or in a repository
// fails the benchmark instead of comparing against other SQL.
//
// Prisma loads a relation (`include` / nested `select`) with a second statement, `… WHERE id IN (…)`,
// rather than a join: two statements for a credential and its tenant (sent on a credential-cache miss
// only, at most once per key per 750 ms: see bare-server.ts). Accounts (one, or a page) with their
// consents' permissions are one statement with a join, and they, transaction pages, the change feed's transactions and the provider route's lookup are
// read through PgReader (node-postgres on Prisma's pool, hand-written SQL): they leave out the columns
// no view reads; the bank's `raw` is fetched only for ?include=raw, which no row of the benchmark asks for.
// The provider route's lookup is PgReader's too (ProviderRepository.findView): the lookups of one tick
// share one statement, as Prisma's findUnique batching did.

const CREDENTIAL_COLUMNS = [
  'id',
  'tenant_id',
  'kind"::text',
  'status"::text',
  'public_id',
  'label',
  'expires_at',
  'replaced_by',
  'last_used_at',
  'revoked_at',
  'created_at',
]
  .map((c) => (c.endsWith('::text') ? `"public"."credentials"."${c}` : `"public"."credentials"."${c}"`))
  .join(', ');

/** CredentialRepository.findBySecretHash('api_key', sha256(key)): params [hash, 'api_key', 1, 0]. */
export const CREDENTIAL_BY_SECRET_HASH = `SELECT ${CREDENTIAL_COLUMNS} FROM "public"."credentials" WHERE ("public"."credentials"."secret_hash" = $1 AND "public"."credentials"."kind" = CAST($2::text AS "public"."CredentialKind")) LIMIT $3 OFFSET $4`;

/** CredentialRepository.findById(claims.cid) (access tokens): params [id, 1, 0]. */
export const CREDENTIAL_BY_ID = `SELECT ${CREDENTIAL_COLUMNS} FROM "public"."credentials" WHERE ("public"."credentials"."id" = $1 AND 1=1) LIMIT $2 OFFSET $3`;

/** …and the credential's tenant (the nested select), after findFirst: params [tenantId, 0]. */
export const TENANT_OF_CREDENTIAL = `SELECT "public"."tenants"."id", "public"."tenants"."status"::text, "public"."tenants"."rate_limit_per_minute" FROM "public"."tenants" WHERE "public"."tenants"."id" IN ($1) OFFSET $2`;

/** …the same after findUnique (Prisma writes `=` there): params [tenantId, 0]. */
export const TENANT_OF_UNIQUE_CREDENTIAL = `SELECT "public"."tenants"."id", "public"."tenants"."status"::text, "public"."tenants"."rate_limit_per_minute" FROM "public"."tenants" WHERE "public"."tenants"."id" = $1 OFFSET $2`;

/**
 * ProviderRepository.findView (PgReader; the view's columns only), the lookups of one tick in one
 * statement: params [distinct ids].
 */
export const PROVIDERS_VIEW_BY_IDS = `SELECT id, name, country, standard, status::text AS status, capabilities, sort_code_ranges AS "sortCodeRanges"
           FROM providers WHERE id = ANY($1::text[])`;

/** The account's view columns joined with its consent's permissions (AccountDataRepository, PgReader). */
const ACCOUNT_SELECT = `SELECT a.id, a.consent_id AS "consentId", a.provider_id AS "providerId", a.external_id AS "externalId",
       a.type, a.subtype, a.currency, a.name, a.nickname, a.identifiers, a.servicer, a.status,
       a.opened_at AS "openedAt", a.unavailable, a.created_at AS "createdAt", c.permissions AS "consentPermissions"
  FROM accounts a JOIN consents c ON c.id = a.consent_id`;

/** AccountDataRepository.findAccount: params [accountId, tenantId]. */
export const ACCOUNT_WITH_PERMISSIONS = `${ACCOUNT_SELECT} WHERE a.id = $1 AND a.tenant_id = $2`;

/** AccountDataRepository.listAccounts (first page, no consent filter): params [tenantId, limit + 1]. */
export const ACCOUNTS_OF_TENANT = `${ACCOUNT_SELECT} WHERE a.tenant_id = $1 ORDER BY a.created_at, a.id LIMIT $2`;

/**
 * The transaction columns the views read (AccountDataRepository through PgReader, camelCase aliases):
 * no tenant_id, consent_id, identity_key, pending_link, content_hash, removed_at, created_at, updated_at,
 * and (without ?include=raw) no raw.
 */
const TRANSACTION_COLUMNS = `id, account_id AS "accountId", external_id AS "externalId", id_source::text AS "idSource",
       status::text AS status, booking_date AS "bookingDate", value_date AS "valueDate", booked_at AS "bookedAt",
       amount, currency, description, merchant_name AS "merchantName",
       merchant_category_code AS "merchantCategoryCode", counterparty,
       bank_transaction_code AS "bankTransactionCode", reference, running_balance AS "runningBalance",
       currency_exchange AS "currencyExchange", pending_transaction_id AS "pendingTransactionId"`;

/** AccountDataRepository.listTransactions (first page, no filter, no raw): params [accountId, tenantId, limit + 1]. */
export const TRANSACTIONS_OF_ACCOUNT = `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE account_id = $1 AND tenant_id = $2 AND removed_at IS NULL ORDER BY booking_date DESC, id DESC LIMIT $3`;

/** AccountDataRepository.consentOwned: params [consentId, tenantId]. */
export const CONSENT_OWNED = 'SELECT EXISTS (SELECT 1 FROM consents WHERE id = $1 AND tenant_id = $2) AS owned';

/** AccountDataRepository.changesAfter for a consent (PgReader, READ_HORIZON_SQL inlined): params [tenantId, consentId, xid, id, limit + 1]. */
export const CHANGES_OF_CONSENT = `SELECT id, xid, transaction_id AS "transactionId", kind
         FROM transaction_changes
        WHERE tenant_id = $1 AND consent_id = $2
          AND (xid, id) > ($3::bigint, $4::bigint)
          AND xid < (
  SELECT coalesce(
           (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s.snap) AS x
             WHERE NOT EXISTS (
               SELECT 1 FROM pg_stat_activity a
                WHERE a.datname IS DISTINCT FROM current_database()
                  AND a.backend_xid::text::bigint = (x::text::bigint & 4294967295))),
           pg_snapshot_xmax(s.snap)::text::bigint)
    FROM (SELECT pg_current_snapshot() AS snap) s)
        ORDER BY xid, id
        LIMIT $5`;

/** AccountDataRepository.transactionsByIds (no raw): params [tenantId, ids]. */
export const TRANSACTIONS_BY_IDS = `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE tenant_id = $1 AND id = ANY($2::text[])`;

/** Whitespace-insensitive form of a statement, to compare the texts. */
export const normaliseSql = (sql: string) => sql.replace(/\s+/g, ' ').trim();
