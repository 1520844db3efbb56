import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { keysetAfter } from '../keyset.js';
import { READ_HORIZON_SQL } from '../read-horizon.js';

export type ApiAccountRow = Prisma.AccountGetPayload<object> & { consentPermissions: string[] };
/**
 * Transaction columns the API's views never read, not fetched: with the bank's `raw` (most of a row's
 * bytes, parsed for nothing) fetched only for ?include=raw, a page costs about half the row building.
 */
const NOT_SERVED = {
  tenantId: true,
  consentId: true,
  identityKey: true,
  pendingLink: true,
  contentHash: true,
  removedAt: true,
  createdAt: true,
  updatedAt: true,
} as const;
export type ApiTransactionRow = Omit<Prisma.TransactionGetPayload<object>, keyof typeof NOT_SERVED | 'raw'> & {
  raw?: Prisma.TransactionGetPayload<object>['raw'];
};
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
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** The account with its consent's permissions, in one statement (every data read starts here). */
  async findAccount(tenantId: string, accountId: string): Promise<ApiAccountRow | null> {
    const [row] = await this.prisma.$queryRaw<ApiAccountRow[]>`
      SELECT a.id, a.tenant_id AS "tenantId", a.consent_id AS "consentId", a.provider_id AS "providerId",
             a.external_id AS "externalId", a.identity_key AS "identityKey", a.type, a.subtype, a.currency,
             a.name, a.nickname, a.identifiers, a.servicer, a.status, a.opened_at AS "openedAt", a.raw,
             a.content_hash AS "contentHash", a.backfilled_from AS "backfilledFrom", a.unavailable,
             a.created_at AS "createdAt", a.updated_at AS "updatedAt", c.permissions AS "consentPermissions"
        FROM accounts a JOIN consents c ON c.id = a.consent_id
       WHERE a.id = ${accountId} AND a.tenant_id = ${tenantId}`;
    return row ?? null;
  }

  /** Oldest first on (created_at, id): accounts_tenant_id_created_at_id_idx / …consent_id… */
  async listAccounts(
    tenantId: string,
    filter: { consentId?: string; after?: { createdAt: Date; id: string }; limit: number },
  ): Promise<ApiAccountRow[]> {
    const rows = await this.prisma.account.findMany({
      where: {
        tenantId,
        ...(filter.consentId ? { consentId: filter.consentId } : {}),
        ...(filter.after ? keysetAfter('createdAt', filter.after.createdAt, 'id', filter.after.id, 'asc') : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: filter.limit,
      include: { consent: { select: { permissions: true } } },
    });
    return rows.map(({ consent, ...account }) => ({ ...account, consentPermissions: consent.permissions }));
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
    const date = (d: string) => new Date(`${d}T00:00:00Z`);
    return this.prisma.transaction.findMany({
      omit: { ...NOT_SERVED, raw: !filter.includeRaw },
      where: {
        accountId,
        tenantId,
        removedAt: null,
        ...(filter.status ? { status: filter.status } : {}),
        AND: [
          ...(filter.from ? [{ bookingDate: { gte: date(filter.from) } }] : []),
          ...(filter.to ? [{ bookingDate: { lte: date(filter.to) } }] : []),
          ...(filter.before
            ? [keysetAfter('bookingDate', date(filter.before.bookingDate), 'id', filter.before.id, 'desc')]
            : []),
        ],
      },
      orderBy: [{ bookingDate: 'desc' }, { id: 'desc' }],
      take: filter.limit,
    });
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
    return this.prisma.$queryRawUnsafe<ApiChangeRow[]>(
      `SELECT id, xid, transaction_id AS "transactionId", kind
         FROM transaction_changes
        WHERE tenant_id = $1 AND ${column} = $2
          AND (xid, id) > ($3::bigint, $4::bigint)
          AND xid < ${READ_HORIZON_SQL}
        ORDER BY xid, id
        LIMIT $5`,
      tenantId,
      value,
      after.xid,
      after.id,
      limit,
    );
  }

  async transactionsByIds(tenantId: string, ids: string[], includeRaw = false): Promise<ApiTransactionRow[]> {
    if (ids.length === 0) return [];
    return this.prisma.transaction.findMany({
      omit: { ...NOT_SERVED, raw: !includeRaw },
      where: { tenantId, id: { in: ids } },
    });
  }

  async consentOwned(tenantId: string, consentId: string): Promise<boolean> {
    return (await this.prisma.consent.count({ where: { id: consentId, tenantId } })) > 0;
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
