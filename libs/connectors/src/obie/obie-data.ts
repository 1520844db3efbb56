import { addDays, AppError, type Account, type Transaction, type TransactionDraft } from '@ais/domain';
import type {
  AccountBalances,
  AccountTransactions,
  Beneficiary,
  DataCallContext,
  DirectDebit,
  Party,
  ScheduledPayment,
  StandingOrder,
  Statement,
  TransactionsPage,
  TransactionsPageQuery,
  TransactionsQuery,
} from '../connector.js';
import { decodePageCursor, nextPageCursor, pageLoopError, readAllTransactionPages, resumePageUrl } from '../paging.js';
import { mapOrInvalid } from '../mapping.js';
import type { ObieConsents } from './obie-consents.js';
import type { ObieContext } from './obie-context.js';
import { ObiePages } from './obie-pages.js';
import {
  mapObieAccount,
  mapObieBalances,
  mapObieBeneficiary,
  mapObieDirectDebit,
  mapObieParty,
  mapObieScheduledPayment,
  mapObieStandingOrder,
  mapObieStatement,
  mapObieTransactionDrafts,
  mapObieTransactions,
} from './obie.mapper.js';
import {
  ObReadAccount6,
  ObReadBalance1,
  ObReadBeneficiary5,
  ObReadDirectDebit2,
  ObReadParty2,
  ObReadScheduledPayment3,
  ObReadStandingOrder6,
  ObReadStatement2,
  ObReadTransaction6,
} from './obie.wire.js';

/**
 * Every OBIE AIS resource, mapped to the normalised model: bulk endpoints where the profile lists
 * them, per account otherwise; the pages are read by ObiePages.
 */
export class ObieData {
  private readonly pages: ObiePages;

  constructor(
    private readonly ctx: ObieContext,
    consents: ObieConsents,
  ) {
    this.pages = new ObiePages(ctx, consents);
  }

  private bulk(kind: 'balances' | 'transactions'): boolean {
    return this.ctx.capabilities.bulkEndpoints.includes(kind);
  }

  async listAccounts(ctx: DataCallContext): Promise<Account[]> {
    const pages = await this.pages.fetchAll(ctx, '/accounts', ObReadAccount6, 'OBReadAccount6', {
      resource: 'accounts',
      scope: '*',
    });
    return mapOrInvalid(this.ctx.providerId, 'obie.accounts', () =>
      pages.flatMap((p) =>
        (p.Data.Account ?? []).map((a) => mapObieAccount(a, this.ctx.rules, this.ctx.capabilities.currencies[0])),
      ),
    );
  }

  async getBalances(ctx: DataCallContext, input: { accountIds: string[] }): Promise<AccountBalances[]> {
    const wanted = new Set(input.accountIds);
    const calls = this.bulk('balances')
      ? [{ path: '/balances', scope: '*' }]
      : input.accountIds.map((id) => ({ path: `/accounts/${encodeURIComponent(id)}/balances`, scope: id }));
    const pages = (
      await Promise.all(
        calls.map((c) =>
          this.pages.fetchAll(ctx, c.path, ObReadBalance1, 'OBReadBalance1', { resource: 'balances', scope: c.scope }),
        ),
      )
    ).flat();
    const byAccount = mapOrInvalid(this.ctx.providerId, 'obie.balances', () =>
      mapObieBalances(
        pages.flatMap((p) => p.Data.Balance),
        this.ctx.rules,
      ),
    );
    return input.accountIds
      .filter((id) => wanted.has(id))
      .map((accountId) => ({ accountId, balances: byAccount.get(accountId) ?? [] }));
  }

  async getTransactions(ctx: DataCallContext, input: TransactionsQuery): Promise<AccountTransactions[]> {
    return readAllTransactionPages(input, (cursor) => this.getTransactionsPage(ctx, { ...input, cursor }));
  }

  /**
   * One bank page of the window: the bulk endpoint's, or the current account's (accounts one after
   * another, each in the bank's page order, which the identities' numbering follows).
   */
  async getTransactionsPage(ctx: DataCallContext, input: TransactionsPageQuery): Promise<TransactionsPage> {
    const pad = this.ctx.profile.transactionWindowPaddingDays;
    // OBIE: "the UTC ISO 8601 Date Time … if it contains a timezone, the ASPSP must ignore [it]".
    // Booking dates are local: the window is widened by a day each side, then cut to local dates.
    const query = new URLSearchParams({
      fromBookingDateTime: `${addDays(input.from, -pad)}T00:00:00Z`,
      toBookingDateTime: `${addDays(input.to, pad)}T23:59:59Z`,
    }).toString();
    const calls = this.bulk('transactions')
      ? [{ path: `/transactions?${query}`, scope: '*' }]
      : input.accountIds.map((id) => ({
          path: `/accounts/${encodeURIComponent(id)}/transactions?${query}`,
          scope: id,
        }));
    const at = decodePageCursor(input.cursor);
    const call = calls[at.call];
    if (!call) throw new AppError('validation_failed', 'The page cursor does not fit this query.');
    const url = at.next
      ? resumePageUrl(at.next, this.ctx.resourceUrl('/'), this.ctx.providerId)
      : this.ctx.resourceUrl(call.path);
    const { page, next } = await this.pages.fetchPage(ctx, url, ObReadTransaction6, 'OBReadTransaction6', {
      resource: 'transactions',
      scope: call.scope,
    });
    const byAccount = mapOrInvalid(this.ctx.providerId, 'obie.transactions', () =>
      mapObieTransactionDrafts(page.Data.Transaction ?? [], this.ctx.rules),
    );
    const status = input.status ?? 'both';
    const keep = (t: TransactionDraft) =>
      t.bookingDate >= input.from && t.bookingDate <= input.to && (status === 'both' || t.status === status);
    return {
      accounts: input.accountIds
        .map((accountId) => ({ accountId, transactions: (byAccount.get(accountId) ?? []).filter(keep) }))
        .filter((a) => a.transactions.length > 0),
      order: 'bank',
      nextCursor: nextPageCursor(at, calls.length, next, url, () =>
        pageLoopError(this.ctx.providerId, 'obie.transactions'),
      ),
    };
  }

  async listStatements(
    ctx: DataCallContext,
    input: { accountId: string; from?: string; to?: string },
  ): Promise<Statement[]> {
    const q = new URLSearchParams({
      ...(input.from ? { fromStatementDateTime: `${addDays(input.from, -1)}T00:00:00Z` } : {}),
      ...(input.to ? { toStatementDateTime: `${addDays(input.to, 1)}T23:59:59Z` } : {}),
    }).toString();
    const pages = await this.pages.fetchAll(
      ctx,
      `/accounts/${encodeURIComponent(input.accountId)}/statements${q ? `?${q}` : ''}`,
      ObReadStatement2,
      'OBReadStatement2',
      { resource: 'statements', scope: input.accountId },
    );
    return mapOrInvalid(this.ctx.providerId, 'obie.statements', () =>
      pages.flatMap((p) => (p.Data.Statement ?? []).map(mapObieStatement)),
    );
  }

  async getStatementTransactions(
    ctx: DataCallContext,
    input: { accountId: string; statementId: string },
  ): Promise<Transaction[]> {
    const path = `/accounts/${encodeURIComponent(input.accountId)}/statements/${encodeURIComponent(input.statementId)}/transactions`;
    const pages = await this.pages.fetchAll(ctx, path, ObReadTransaction6, 'OBReadTransaction6', {
      resource: 'statementTransactions',
      scope: input.accountId,
    });
    return mapOrInvalid(
      this.ctx.providerId,
      'obie.statementTransactions',
      () =>
        mapObieTransactions(
          pages.flatMap((p) => p.Data.Transaction ?? []),
          this.ctx.rules,
        ).get(input.accountId) ?? [],
    );
  }

  async getParties(ctx: DataCallContext, input: { accountId?: string }): Promise<Party[]> {
    const path = input.accountId ? `/accounts/${encodeURIComponent(input.accountId)}/party` : '/party';
    const pages = await this.pages.fetchAll(ctx, path, ObReadParty2, 'OBReadParty2', {
      resource: 'party',
      scope: input.accountId ?? '*',
    });
    return mapOrInvalid(this.ctx.providerId, 'obie.party', () =>
      pages.flatMap((p) => (p.Data.Party ? [mapObieParty(p.Data.Party)] : [])),
    );
  }

  async listBeneficiaries(ctx: DataCallContext, input: { accountId: string }): Promise<Beneficiary[]> {
    const pages = await this.pages.fetchAll(
      ctx,
      `/accounts/${encodeURIComponent(input.accountId)}/beneficiaries`,
      ObReadBeneficiary5,
      'OBReadBeneficiary5',
      { resource: 'beneficiaries', scope: input.accountId },
    );
    return mapOrInvalid(this.ctx.providerId, 'obie.beneficiaries', () =>
      pages.flatMap((p) => (p.Data.Beneficiary ?? []).map(mapObieBeneficiary)),
    );
  }

  async listStandingOrders(ctx: DataCallContext, input: { accountId: string }): Promise<StandingOrder[]> {
    const pages = await this.pages.fetchAll(
      ctx,
      `/accounts/${encodeURIComponent(input.accountId)}/standing-orders`,
      ObReadStandingOrder6,
      'OBReadStandingOrder6',
      { resource: 'standingOrders', scope: input.accountId },
    );
    return mapOrInvalid(this.ctx.providerId, 'obie.standingOrders', () =>
      pages.flatMap((p) => (p.Data.StandingOrder ?? []).map(mapObieStandingOrder)),
    );
  }

  async listDirectDebits(ctx: DataCallContext, input: { accountId: string }): Promise<DirectDebit[]> {
    const pages = await this.pages.fetchAll(
      ctx,
      `/accounts/${encodeURIComponent(input.accountId)}/direct-debits`,
      ObReadDirectDebit2,
      'OBReadDirectDebit2',
      { resource: 'directDebits', scope: input.accountId },
    );
    return mapOrInvalid(this.ctx.providerId, 'obie.directDebits', () =>
      pages.flatMap((p) => (p.Data.DirectDebit ?? []).map(mapObieDirectDebit)),
    );
  }

  async listScheduledPayments(ctx: DataCallContext, input: { accountId: string }): Promise<ScheduledPayment[]> {
    const pages = await this.pages.fetchAll(
      ctx,
      `/accounts/${encodeURIComponent(input.accountId)}/scheduled-payments`,
      ObReadScheduledPayment3,
      'OBReadScheduledPayment3',
      {
        resource: 'scheduledPayments',
        scope: input.accountId,
      },
    );
    return mapOrInvalid(this.ctx.providerId, 'obie.scheduledPayments', () =>
      pages.flatMap((p) => (p.Data.ScheduledPayment ?? []).map(mapObieScheduledPayment)),
    );
  }
}
