import { Injectable } from '@nestjs/common';
import { AccountDataRepository, type ApiAccountRow } from '@ais/db';
import { AppError, type Permission } from '@ais/domain';
import {
  CursorCodec,
  DEFAULT_PAGE_LIMIT,
  cursorFields,
  defineCursor,
  toPage,
  type CursorField,
  type PageQueryDto,
} from '@ais/http-kit';
import { accountView, balanceView, resourceView, transactionView } from './data.views.js';
import type { AccountListQueryDto, SyncFeedQueryDto, TransactionListQueryDto } from './data.dto.js';

export type ResourceKind =
  'statement' | 'party' | 'beneficiary' | 'standing_order' | 'direct_debit' | 'scheduled_payment';

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

/** A balance type in a cursor: the normalised type or the bank's (each from a fixed table per standard). */
const balanceType: CursorField<string> = {
  write: (value) => value,
  read: (wire) => (typeof wire === 'string' && /^[A-Za-z0-9_.-]{1,100}$/.test(wire) ? wire : undefined),
};
const BALANCES = defineCursor('balances', { t: balanceType, o: balanceType });

/** Each optional resource is its own list, in the order stored (ids are time-ordered). */
const RESOURCES = {
  statement: defineCursor('statements', { i: cursorFields.id('res') }),
  party: defineCursor('party', { i: cursorFields.id('res') }),
  beneficiary: defineCursor('beneficiaries', { i: cursorFields.id('res') }),
  standing_order: defineCursor('standing-orders', { i: cursorFields.id('res') }),
  direct_debit: defineCursor('direct-debits', { i: cursorFields.id('res') }),
  scheduled_payment: defineCursor('scheduled-payments', { i: cursorFields.id('res') }),
} satisfies Record<ResourceKind, unknown>;

/** A position on a statement (a Postgres integer). */
const position: CursorField<number> = {
  write: (value) => value,
  read: (wire) =>
    typeof wire === 'number' && Number.isInteger(wire) && wire >= 0 && wire <= 2_147_483_647 ? wire : undefined,
};
/** One list per statement: another statement's cursor is a cursor of another list. */
const statementTransactionsCursor = (statementId: string) =>
  defineCursor(`statements/${statementId}/transactions`, { p: position });

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

  async balances(tenantId: string, accountId: string, query: PageQueryDto) {
    const account = await this.requireAccount(tenantId, accountId);
    this.requirePermission(account, 'balances');
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(BALANCES, query.cursor);
    const rows = await this.data.balances(tenantId, accountId, {
      after: after && { type: after.t, originalType: after.o },
      limit: limit + 1,
    });
    return toPage(rows, limit, balanceView, (b) => this.cursors.encode(BALANCES, { t: b.type, o: b.originalType }));
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
      includeRaw: query.include === 'raw',
    });
    return toPage(
      rows,
      limit,
      (t) => transactionView(t, query.include === 'raw'),
      (t) => this.cursors.encode(TRANSACTIONS, { d: t.bookingDate, i: t.id }),
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
      query.include === 'raw',
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

  /** An optional resource of the account (statements, party, beneficiaries…), in the order stored. */
  async resources(tenantId: string, accountId: string, kind: ResourceKind, query: PageQueryDto) {
    const account = await this.requireAccount(tenantId, accountId);
    this.requirePermission(account, RESOURCE_PERMISSION[kind]);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(RESOURCES[kind], query.cursor);
    const rows = await this.data.resources(tenantId, accountId, kind, { afterId: after?.i, limit: limit + 1 });
    return toPage(rows, limit, resourceView, (r) => this.cursors.encode(RESOURCES[kind], { i: r.id }));
  }

  /** A statement's transactions in the bank's order. */
  async statementTransactions(tenantId: string, accountId: string, statementId: string, query: PageQueryDto) {
    const account = await this.requireAccount(tenantId, accountId);
    this.requirePermission(account, 'statements');
    const cursor = statementTransactionsCursor(statementId);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(cursor, query.cursor);
    const rows = await this.data.statementTransactions(tenantId, accountId, statementId, {
      afterPosition: after?.p,
      limit: limit + 1,
    });
    if (!rows) throw AppError.notFound('Statement');
    if (rows === 'pending')
      throw new AppError(
        'conflict',
        'The statement’s transactions have not been fetched from the bank yet: a later sync fetches them within the consent’s budget (the statement’s transactionsStatus says when they are available).',
        { transactionsStatus: 'pending' },
      );
    return toPage(
      rows,
      limit,
      (r) => r.data,
      (r) => this.cursors.encode(cursor, { p: r.position }),
    );
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
