// The SQL the gateway sends for the benchmarked routes, statement for statement, as Prisma 7 (query
// compiler + @prisma/adapter-pg) generates it today: the bare server sends exactly these texts, and
// bench.ts checks before measuring that the gateway's own repositories still generate them (it runs
// them with a query-logging PrismaClient over the seeded data) — a change in Prisma or in a repository
// fails the benchmark instead of comparing against other SQL.
//
// Prisma loads a relation (`include` / nested `select`) with a second statement, `… WHERE id IN (…)`,
// rather than a join: two statements for a credential and its tenant (sent on a credential-cache miss
// only, at most once per key per 750 ms: see bare-server.ts), two for the accounts page and its
// consents' permissions. A single account and its consent's permissions are one raw statement with a
// join (AccountDataRepository.findAccount). Transaction rows leave out the columns no view reads
// (`omit`); the bank's `raw` is fetched only for ?include=raw, which no row of the benchmark asks for.
// A findUnique (ProviderRepository.findById) shares one statement with the other findUnique calls of
// its tick (Prisma's DataLoader): providersByIds.

const placeholders = (from: number, count: number) => Array.from({ length: count }, (_, i) => `$${from + i}`).join(',');

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

/** ProviderRepository.findById (a findUnique alone in its tick): params [id, 1, 0]. */
export const PROVIDER_BY_ID = `SELECT "public"."providers"."id", "public"."providers"."name", "public"."providers"."country", "public"."providers"."standard", "public"."providers"."profile", "public"."providers"."status"::text, "public"."providers"."endpoints", "public"."providers"."capabilities", "public"."providers"."sort_code_ranges", "public"."providers"."created_at", "public"."providers"."updated_at" FROM "public"."providers" WHERE ("public"."providers"."id" = $1 AND 1=1) LIMIT $2 OFFSET $3`;

/**
 * ProviderRepository.findById when several requests call it in the same tick: Prisma batches findUnique
 * calls made before its next process.nextTick (its DataLoader) into one statement, every call's id
 * listed (repeats included): params [...ids, 0]. Under load the gateway's provider route sends this
 * (requests whose rate-limit replies arrive in one read from Redis reach the lookup in one tick).
 */
export const providersByIds = (ids: number) =>
  `SELECT "public"."providers"."id", "public"."providers"."name", "public"."providers"."country", "public"."providers"."standard", "public"."providers"."profile", "public"."providers"."status"::text, "public"."providers"."endpoints", "public"."providers"."capabilities", "public"."providers"."sort_code_ranges", "public"."providers"."created_at", "public"."providers"."updated_at" FROM "public"."providers" WHERE "public"."providers"."id" IN (${placeholders(1, ids)}) OFFSET $${ids + 1}`;

const ACCOUNT_COLUMNS = [
  'id',
  'tenant_id',
  'consent_id',
  'provider_id',
  'external_id',
  'identity_key',
  'type',
  'subtype',
  'currency',
  'name',
  'nickname',
  'identifiers',
  'servicer',
  'status',
  'opened_at',
  'raw',
  'content_hash',
  'backfilled_from',
  'unavailable',
  'created_at',
  'updated_at',
]
  .map((c) => `"public"."accounts"."${c}"`)
  .join(', ');

/**
 * AccountDataRepository.findAccount ($queryRaw, the account joined with its consent's permissions):
 * params [accountId, tenantId]. Compared whitespace-insensitively, like every statement here.
 */
export const ACCOUNT_WITH_PERMISSIONS = `
      SELECT a.id, a.tenant_id AS "tenantId", a.consent_id AS "consentId", a.provider_id AS "providerId",
             a.external_id AS "externalId", a.identity_key AS "identityKey", a.type, a.subtype, a.currency,
             a.name, a.nickname, a.identifiers, a.servicer, a.status, a.opened_at AS "openedAt", a.raw,
             a.content_hash AS "contentHash", a.backfilled_from AS "backfilledFrom", a.unavailable,
             a.created_at AS "createdAt", a.updated_at AS "updatedAt", c.permissions AS "consentPermissions"
        FROM accounts a JOIN consents c ON c.id = a.consent_id
       WHERE a.id = $1 AND a.tenant_id = $2`;

/** AccountDataRepository.listAccounts (first page, no consent filter): params [tenantId, limit + 1, 0]. */
export const ACCOUNTS_OF_TENANT = `SELECT ${ACCOUNT_COLUMNS} FROM "public"."accounts" WHERE "public"."accounts"."tenant_id" = $1 ORDER BY "public"."accounts"."created_at" ASC, "public"."accounts"."id" ASC LIMIT $2 OFFSET $3`;

/** …and their consents' permissions (the include): params [the consent id of every row, repeats included, 0]. */
export const consentPermissions = (consents: number) =>
  `SELECT "public"."consents"."id", "public"."consents"."permissions" FROM "public"."consents" WHERE "public"."consents"."id" IN (${placeholders(1, consents)}) OFFSET $${consents + 1}`;

/**
 * The transaction columns the views read, in the schema's order: AccountDataRepository omits tenant_id,
 * consent_id, identity_key, pending_link, content_hash, removed_at, created_at, updated_at and (without
 * ?include=raw) raw.
 */
const TRANSACTION_COLUMNS = [
  'id',
  'account_id',
  'external_id',
  'id_source"::text',
  'status"::text',
  'booking_date',
  'value_date',
  'booked_at',
  'amount',
  'currency',
  'description',
  'merchant_name',
  'merchant_category_code',
  'counterparty',
  'bank_transaction_code',
  'reference',
  'running_balance',
  'currency_exchange',
  'pending_transaction_id',
]
  .map((c) => (c.endsWith('::text') ? `"public"."transactions"."${c}` : `"public"."transactions"."${c}"`))
  .join(', ');

/** AccountDataRepository.listTransactions (first page, no filter, no raw): params [accountId, tenantId, limit + 1, 0]. */
export const TRANSACTIONS_OF_ACCOUNT = `SELECT ${TRANSACTION_COLUMNS} FROM "public"."transactions" WHERE ("public"."transactions"."account_id" = $1 AND "public"."transactions"."tenant_id" = $2 AND "public"."transactions"."removed_at" IS NULL) ORDER BY "public"."transactions"."booking_date" DESC, "public"."transactions"."id" DESC LIMIT $3 OFFSET $4`;

/** AccountDataRepository.consentOwned: params [consentId, tenantId, 0]. */
export const CONSENT_OWNED = `SELECT COUNT(*) AS "_count$_all" FROM (SELECT "public"."consents"."id" FROM "public"."consents" WHERE ("public"."consents"."id" = $1 AND "public"."consents"."tenant_id" = $2) OFFSET $3) AS "sub"`;

/** AccountDataRepository.changesAfter for a consent ($queryRawUnsafe, READ_HORIZON_SQL inlined): params [tenantId, consentId, xid, id, limit + 1]. */
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

/** AccountDataRepository.transactionsByIds (no raw): params [tenantId, ...ids, 0]. */
export const transactionsByIds = (ids: number) =>
  `SELECT ${TRANSACTION_COLUMNS} FROM "public"."transactions" WHERE ("public"."transactions"."tenant_id" = $1 AND "public"."transactions"."id" IN (${placeholders(2, ids)})) OFFSET $${ids + 2}`;

/** Whitespace-insensitive form of a statement, to compare the texts. */
export const normaliseSql = (sql: string) => sql.replace(/\s+/g, ' ').trim();
