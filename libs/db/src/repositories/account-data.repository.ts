import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { keysetAfter } from '../keyset.js';
import { READ_HORIZON_SQL } from '../read-horizon.js';
import { PgReader } from '../pg-reader.js';

/** An account as the API's views read it, with its consent's permissions (PgReader: dates as text). */
export interface ApiAccountRow {
  id: string;
  consentId: string;
  providerId: string;
  externalId: string;
  type: string;
  subtype: string | null;
  currency: string;
  name: string | null;
  nickname: string | null;
  identifiers: Prisma.JsonValue;
  servicer: Prisma.JsonValue | null;
  status: string;
  openedAt: string | null;
  unavailable: string[];
  createdAt: Date;
  consentPermissions: string[];
}

/** The account's view columns (not the bank's raw JSON nor sync state), joined with its consent's permissions. */
const ACCOUNT_SELECT = `SELECT a.id, a.consent_id AS "consentId", a.provider_id AS "providerId", a.external_id AS "externalId",
       a.type, a.subtype, a.currency, a.name, a.nickname, a.identifiers, a.servicer, a.status,
       a.opened_at AS "openedAt", a.unavailable, a.created_at AS "createdAt", c.permissions AS "consentPermissions"
  FROM accounts a JOIN consents c ON c.id = a.consent_id`;

/**
 * A transaction as the API's views read it (PgReader: node-postgres' own types): dates as the
 * database's `YYYY-MM-DD`, the amount as NUMERIC's exact text, JSON parsed. The columns no view reads
 * (tenant, consent, identity key, pending link, content hash, removal and audit times) are not
 * fetched, and the bank's `raw` (most of a row's bytes) only for ?include=raw.
 */
export interface ApiTransactionRow {
  id: string;
  accountId: string;
  externalId: string | null;
  idSource: string;
  status: string;
  bookingDate: string;
  valueDate: string | null;
  bookedAt: Date | null;
  amount: string;
  currency: string;
  description: string;
  merchantName: string | null;
  merchantCategoryCode: string | null;
  counterparty: Prisma.JsonValue | null;
  bankTransactionCode: Prisma.JsonValue | null;
  reference: string | null;
  runningBalance: Prisma.JsonValue | null;
  currencyExchange: Prisma.JsonValue | null;
  pendingTransactionId: string | null;
  raw?: Prisma.JsonValue | null;
}

const TRANSACTION_COLUMNS = `id, account_id AS "accountId", external_id AS "externalId", id_source::text AS "idSource",
       status::text AS status, booking_date AS "bookingDate", value_date AS "valueDate", booked_at AS "bookedAt",
       amount, currency, description, merchant_name AS "merchantName",
       merchant_category_code AS "merchantCategoryCode", counterparty,
       bank_transaction_code AS "bankTransactionCode", reference, running_balance AS "runningBalance",
       currency_exchange AS "currencyExchange", pending_transaction_id AS "pendingTransactionId"`;
const transactionColumns = (includeRaw: boolean | undefined) =>
  includeRaw ? `${TRANSACTION_COLUMNS}, raw` : TRANSACTION_COLUMNS;

export type ApiBalanceRow = Prisma.BalanceGetPayload<object>;
export type ApiResourceRow = Prisma.AccountResourceGetPayload<object>;

export interface ApiChangeRow {
  id: bigint;
  xid: bigint;
  transactionId: string;
  kind: string;
}

/**
 * Reads of synced account data for the public API, straight from Postgres. Every method takes the
 * tenant id; list queries are keyset-paginated on the indexes named in the schema.
 */
@Injectable()
export class AccountDataRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PgReader) private readonly reader: PgReader,
  ) {}

  /** The account with its consent's permissions, in one statement (every data read starts here). */
  async findAccount(tenantId: string, accountId: string): Promise<ApiAccountRow | null> {
    const [row] = await this.reader.rows<ApiAccountRow>(`${ACCOUNT_SELECT} WHERE a.id = $1 AND a.tenant_id = $2`, [
      accountId,
      tenantId,
    ]);
    return row ?? null;
  }

  /** Oldest first on (created_at, id): accounts_tenant_id_created_at_id_idx / …consent_id… */
  async listAccounts(
    tenantId: string,
    filter: { consentId?: string; after?: { createdAt: Date; id: string }; limit: number },
  ): Promise<ApiAccountRow[]> {
    const values: unknown[] = [tenantId];
    const where = ['a.tenant_id = $1'];
    const param = (value: unknown) => `$${values.push(value)}`;
    if (filter.consentId) where.push(`a.consent_id = ${param(filter.consentId)}`);
    if (filter.after)
      where.push(`(a.created_at, a.id) > (${param(filter.after.createdAt)}::timestamptz, ${param(filter.after.id)})`);
    return this.reader.rows<ApiAccountRow>(
      `${ACCOUNT_SELECT} WHERE ${where.join(' AND ')} ORDER BY a.created_at, a.id LIMIT ${param(filter.limit)}`,
      values,
    );
  }

  /** By (type, original_type) after `after`: the primary key (account_id, type, original_type). */
  async balances(
    tenantId: string,
    accountId: string,
    page: { after?: { type: string; originalType: string }; limit: number },
  ): Promise<ApiBalanceRow[]> {
    return this.prisma.balance.findMany({
      where: {
        tenantId,
        accountId,
        ...(page.after ? keysetAfter('type', page.after.type, 'originalType', page.after.originalType, 'asc') : {}),
      },
      orderBy: [{ type: 'asc' }, { originalType: 'asc' }],
      take: page.limit,
    });
  }

  /**
   * Newest first on (booking_date, id) — transactions_account_id_booking_date_id_idx (or the status
   * variant). New rows land before the cursor or after it, never inside a page already served.
   * Through PgReader: a page is the API's hottest read (see pg-reader.ts).
   */
  async listTransactions(
    tenantId: string,
    accountId: string,
    filter: {
      from?: string;
      to?: string;
      status?: 'booked' | 'pending';
      before?: { bookingDate: string; id: string };
      limit: number;
      includeRaw?: boolean;
    },
  ): Promise<ApiTransactionRow[]> {
    const values: unknown[] = [accountId, tenantId];
    const where = ['account_id = $1', 'tenant_id = $2', 'removed_at IS NULL'];
    const param = (value: unknown) => `$${values.push(value)}`;
    if (filter.status) where.push(`status = ${param(filter.status)}::"TransactionStatus"`);
    if (filter.from) where.push(`booking_date >= ${param(filter.from)}::date`);
    if (filter.to) where.push(`booking_date <= ${param(filter.to)}::date`);
    if (filter.before)
      where.push(`(booking_date, id) < (${param(filter.before.bookingDate)}::date, ${param(filter.before.id)})`);
    return this.reader.rows<ApiTransactionRow>(
      `SELECT ${transactionColumns(filter.includeRaw)} FROM transactions WHERE ${where.join(' AND ')} ` +
        `ORDER BY booking_date DESC, id DESC LIMIT ${param(filter.limit)}`,
      values,
    );
  }

  /**
   * The change log after a position, up to the oldest transaction still running in this database (rows
   * of a transaction that commits late are never skipped: they stay past the horizon until it commits).
   * transaction_changes_tenant_id_{consent,account}_id_xid_id_idx.
   */
  async changesAfter(
    tenantId: string,
    scope: { consentId: string } | { accountId: string },
    after: { xid: bigint; id: bigint },
    limit: number,
  ): Promise<ApiChangeRow[]> {
    const column = 'consentId' in scope ? 'consent_id' : 'account_id';
    const value = 'consentId' in scope ? scope.consentId : scope.accountId;
    const rows = await this.reader.rows<{ id: string; xid: string; transactionId: string; kind: string }>(
      `SELECT id, xid, transaction_id AS "transactionId", kind
         FROM transaction_changes
        WHERE tenant_id = $1 AND ${column} = $2
          AND (xid, id) > ($3::bigint, $4::bigint)
          AND xid < ${READ_HORIZON_SQL}
        ORDER BY xid, id
        LIMIT $5`,
      [tenantId, value, after.xid.toString(), after.id.toString(), limit],
    );
    return rows.map((r) => ({ id: BigInt(r.id), xid: BigInt(r.xid), transactionId: r.transactionId, kind: r.kind }));
  }

  /** The change feed's transactions (primary key lookups), through PgReader like the list. */
  async transactionsByIds(tenantId: string, ids: string[], includeRaw = false): Promise<ApiTransactionRow[]> {
    if (ids.length === 0) return [];
    return this.reader.rows<ApiTransactionRow>(
      `SELECT ${transactionColumns(includeRaw)} FROM transactions WHERE tenant_id = $1 AND id = ANY($2::text[])`,
      [tenantId, ids],
    );
  }

  async consentOwned(tenantId: string, consentId: string): Promise<boolean> {
    const [{ owned }] = await this.reader.rows<{ owned: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM consents WHERE id = $1 AND tenant_id = $2) AS owned',
      [consentId, tenantId],
    );
    return owned;
  }

  /**
   * One kind of optional resource of an account, in the order stored, after the id `afterId`: ids are
   * time-ordered, so an item the bank adds later lands after every cursor already handed out.
   * account_resources_tenant_id_account_id_kind_id_idx.
   */
  async resources(
    tenantId: string,
    accountId: string,
    kind: ApiResourceRow['kind'],
    page: { afterId?: string; limit: number },
  ): Promise<ApiResourceRow[]> {
    return this.prisma.accountResource.findMany({
      where: { tenantId, accountId, kind, ...(page.afterId ? { id: { gt: page.afterId } } : {}) },
      orderBy: [{ id: 'asc' }],
      take: page.limit,
    });
  }

  /**
   * A statement's transactions in the bank's order, after position `afterPosition` (the primary key
   * (statement_id, position)); null when the account has no such statement, `pending` while its
   * transactions have not been fetched from the bank.
   */
  async statementTransactions(
    tenantId: string,
    accountId: string,
    statementId: string,
    page: { afterPosition?: number; limit: number },
  ) {
    const statement = await this.prisma.accountResource.findFirst({
      where: { id: statementId, tenantId, accountId, kind: 'statement' },
      select: { id: true, transactionsFetchedAt: true },
    });
    if (!statement) return null;
    if (!statement.transactionsFetchedAt) return 'pending' as const;
    return this.prisma.statementTransaction.findMany({
      where: { statementId, ...(page.afterPosition !== undefined ? { position: { gt: page.afterPosition } } : {}) },
      orderBy: { position: 'asc' },
      take: page.limit,
    });
  }
}
