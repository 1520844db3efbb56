import { Injectable } from '@nestjs/common';
import { AccountDataRepository, type ApiAccountRow } from '@ais/db';
import { AppError, type Permission } from '@ais/domain';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, toPage } from '@ais/http-kit';
import { accountView, balanceView, transactionView } from './data.views.js';
import type { AccountListQueryDto, SyncFeedQueryDto, TransactionListQueryDto } from './data.dto.js';

type ResourceKind = 'statement' | 'party' | 'beneficiary' | 'standing_order' | 'direct_debit' | 'scheduled_payment';

export const RESOURCE_PERMISSION: Record<ResourceKind, Permission> = {
  statement: 'statements',
  party: 'party',
  beneficiary: 'beneficiaries',
  standing_order: 'standingOrders',
  direct_debit: 'directDebits',
  scheduled_payment: 'scheduledPayments',
};

const ACCOUNTS = defineCursor('accounts', { c: cursorFields.instant, i: cursorFields.id('acc') });
const TRANSACTIONS = defineCursor('transactions', { d: cursorFields.calendarDate, i: cursorFields.id('txn') });
const CHANGES = defineCursor('changes', { x: cursorFields.bigint, n: cursorFields.bigint });

/** The public data API: accounts, balances, transactions, the change feed and optional resources. */
@Injectable()
export class AccountDataService {
  constructor(
    private readonly data: AccountDataRepository,
    private readonly cursors: CursorCodec,
  ) {}

  async listAccounts(tenantId: string, query: AccountListQueryDto) {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(ACCOUNTS, query.cursor);
    const rows = await this.data.listAccounts(tenantId, {
      consentId: query.consentId,
      limit: limit + 1,
      after: after && { createdAt: after.c, id: after.i },
    });
    return toPage(rows, limit, accountView, (a) => this.cursors.encode(ACCOUNTS, { c: a.createdAt, i: a.id }));
  }

  async getAccount(tenantId: string, accountId: string) {
    return accountView(await this.requireAccount(tenantId, accountId));
  }

  async balances(tenantId: string, accountId: string) {
    const account = await this.requireAccount(tenantId, accountId);
    this.requirePermission(account, 'balances');
    return { data: (await this.data.balances(tenantId, accountId)).map(balanceView) };
  }

  async transactions(tenantId: string, accountId: string, query: TransactionListQueryDto) {
    const account = await this.requireAccount(tenantId, accountId);
    this.requirePermission(account, 'transactions');
    if (query.from && query.to && query.from > query.to)
      throw AppError.validation([{ field: 'from', message: 'from must not be after to' }]);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = this.cursors.decode(TRANSACTIONS, query.cursor);
    const rows = await this.data.listTransactions(tenantId, accountId, {
      from: query.from,
      to: query.to,
      status: query.status,
      before: before && { bookingDate: before.d, id: before.i },
      limit: limit + 1,
    });
    return toPage(
      rows,
      limit,
      (t) => transactionView(t, query.include === 'raw'),
      (t) => this.cursors.encode(TRANSACTIONS, { d: t.bookingDate.toISOString().slice(0, 10), i: t.id }),
    );
  }

  /**
   * The change feed: pages of the append-only change log. A page reports each transaction once (added
   * wins over modified within a page; removed wins over both); replaying a cursor returns the same
   * page of changes, with the transactions' current content.
   */
  async changes(tenantId: string, query: SyncFeedQueryDto) {
    if (Boolean(query.consentId) === Boolean(query.accountId)) {
      throw AppError.validation([
        { field: query.consentId ? 'accountId' : 'consentId', message: 'send exactly one of consentId or accountId' },
      ]);
    }
    if (query.consentId && !(await this.data.consentOwned(tenantId, query.consentId)))
      throw AppError.notFound('Consent');
    if (query.accountId) await this.requireAccount(tenantId, query.accountId);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(CHANGES, query.cursor) ?? { x: 0n, n: 0n };
    const scope = query.consentId ? { consentId: query.consentId } : { accountId: query.accountId! };
    const rows = await this.data.changesAfter(tenantId, scope, { xid: after.x, id: after.n }, limit + 1);
    const page = rows.slice(0, limit);
    const kinds = new Map<string, 'added' | 'modified' | 'removed'>();
    for (const row of page) {
      const kind = row.kind as 'added' | 'modified' | 'removed';
      // Added then modified within one page is still news: report it once, as added.
      if (kind === 'modified' && kinds.get(row.transactionId) === 'added') continue;
      kinds.set(row.transactionId, kind);
    }
    const live = await this.data.transactionsByIds(
      tenantId,
      [...kinds].filter(([, k]) => k !== 'removed').map(([id]) => id),
    );
    const byId = new Map(live.map((t) => [t.id, t]));
    const added: ReturnType<typeof transactionView>[] = [];
    const modified: ReturnType<typeof transactionView>[] = [];
    const removed: Array<{ id: string }> = [];
    for (const [id, kind] of kinds) {
      const t = byId.get(id);
      if (kind === 'removed' || !t) removed.push({ id });
      else (kind === 'added' ? added : modified).push(transactionView(t, query.include === 'raw'));
    }
    const last = page.at(-1);
    return {
      added,
      modified,
      removed,
      nextCursor: this.cursors.encode(CHANGES, last ? { x: last.xid, n: last.id } : after),
      hasMore: rows.length > limit,
    };
  }

  async resources(tenantId: string, accountId: string, kind: ResourceKind) {
    const account = await this.requireAccount(tenantId, accountId);
    this.requirePermission(account, RESOURCE_PERMISSION[kind]);
    const rows = await this.data.resources(tenantId, accountId, kind);
    return {
      data: rows.map((r) => ({
        id: r.id,
        externalId: r.externalId,
        ...(r.data as Record<string, unknown>),
        syncedAt: r.syncedAt.toISOString(),
      })),
      nextCursor: null,
    };
  }

  async statementTransactions(tenantId: string, accountId: string, statementId: string) {
    const account = await this.requireAccount(tenantId, accountId);
    this.requirePermission(account, 'statements');
    const rows = await this.data.statementTransactions(tenantId, accountId, statementId);
    if (!rows) throw AppError.notFound('Statement');
    return { data: rows.map((r) => r.data), nextCursor: null };
  }

  private async requireAccount(tenantId: string, accountId: string): Promise<ApiAccountRow> {
    const account = await this.data.findAccount(tenantId, accountId);
    if (!account) throw AppError.notFound('Account');
    return account;
  }

  private requirePermission(account: ApiAccountRow, permission: Permission): void {
    if (!account.consentPermissions.includes(permission)) {
      throw new AppError(
        'permission_not_granted',
        `The consent of this account does not include the "${permission}" permission.`,
      );
    }
  }
}
