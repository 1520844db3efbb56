import { AppError, addDays, localDateOf, type Account, type TransactionDraft } from '@ais/domain';
import type { z, ZodType } from 'zod';
import { bankError, type BankErrorDetail } from '../bank-error.js';
import type {
  AccountBalances,
  AccountTransactions,
  DataCallContext,
  StandingOrder,
  TransactionsPage,
  TransactionsPageQuery,
  TransactionsQuery,
} from '../connector.js';
import { decodePageCursor, nextPageCursor, pageLoopError, readAllTransactionPages, resumePageUrl } from '../paging.js';
import type { BankResponse } from '../http/bank-http-client.js';
import { advertisedOrigins, configuredOrigins, nextPageUrl } from '../http/bank-origins.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import type { AccessResource } from '../ports.js';
import type { BgConsents } from './bg-consents.js';
import type { BgContext } from './bg-context.js';
import { parseBgError } from './bg.errors.js';
import {
  bgCardResourceId,
  mapBgAccount,
  mapBgBalance,
  mapBgCardAccount,
  mapBgCardTransactionDrafts,
  mapBgStandingOrder,
  mapBgTransactionDrafts,
} from './bg.mapper.js';
import {
  BgAccountList,
  BgCardAccountList,
  BgCardTransactionsResponse,
  BgReadAccountBalance,
  BgReadCardAccountBalance,
  BgStandingOrdersResponse,
  BgTransactionsResponse,
} from './bg.wire.js';

type BgTransactionsPage = z.infer<typeof BgTransactionsResponse>;
type BgCardTransactionsPage = z.infer<typeof BgCardTransactionsResponse>;

/**
 * Berlin Group accounts, balances and transactions with a consent's access token: each call
 * reserved with the access guard, every page followed on the bank's own origins; a refused call
 * reads the consent status to say revoked or expired. Card accounts (where the bank serves them)
 * are read on /card-accounts, standing orders (where offered) from the transactions endpoint with
 * bookingStatus=information. The rest of the AIS contract is not offered.
 */
export class BgData {
  constructor(
    private readonly ctx: BgContext,
    private readonly consents: BgConsents,
  ) {}

  private async get<T>(
    ctx: DataCallContext,
    url: string,
    schema: ZodType<T>,
    what: string,
    access: { resource: AccessResource; scope: string },
  ): Promise<T> {
    const operation = `bg.${access.resource}`;
    const token = await this.ctx.deps.tokenSource.getAccessToken(ctx.consentId);
    const res = await this.ctx.http.send({
      method: 'GET',
      url,
      headers: this.ctx.headers(ctx.psu, {
        authorization: `Bearer ${token.accessToken}`,
        'consent-id': token.externalConsentId,
      }),
      idempotent: true,
      mtls: this.ctx.mtls,
      operation,
      throttleKey: `consent:${ctx.consentId}`,
      beforeAttempt: this.ctx.reserveEachAttempt(ctx, access),
    });
    if (res.status !== 200) throw await this.dataCallError(res, operation, token.externalConsentId);
    return mapOrInvalid(
      this.ctx.providerId,
      operation,
      () => validateWire(schema, parseJson(res.text), what),
      res.text,
    );
  }

  /**
   * A refused data call. A bank that invalidates the consent's tokens with it answers 401
   * TOKEN_INVALID to a revoked, terminated or expired consent: the consent status (which needs no
   * token) is the authority, so on 401 / 403 the connector asks for it.
   */
  private async dataCallError(res: BankResponse, operation: string, externalConsentId: string): Promise<AppError> {
    const error = parseBgError(this.ctx.providerId, operation, res, this.ctx.now());
    if (res.status !== 401 && res.status !== 403) return error;
    const status = await this.consents.getConsentStatusOnly({ externalConsentId }).catch(() => undefined);
    if (status === undefined) return error;
    const detail = { ...(error.extensions.bank as BankErrorDetail), consentStatus: status };
    if (status === 'revoked' || status === 'rejected')
      return bankError('consent_revoked', 'The consent is no longer valid at the bank.', {
        providerId: this.ctx.providerId,
        detail,
      });
    if (status === 'expired')
      return bankError('consent_expired', 'The consent has expired at the bank.', {
        providerId: this.ctx.providerId,
        detail,
      });
    if (error.code === 'consent_revoked' || error.code === 'consent_expired') {
      // The bank says the consent is valid: what it refused is this account or resource.
      return bankError('bank_forbidden_permission', 'The consent does not cover this account or resource.', {
        providerId: this.ctx.providerId,
        detail,
      });
    }
    return error;
  }

  /** Payment accounts, then (where the bank serves them) card accounts. */
  async listAccounts(ctx: DataCallContext): Promise<Account[]> {
    const body = await this.get(ctx, this.ctx.url('/accounts'), BgAccountList, 'accountList', {
      resource: 'accounts',
      scope: '*',
    });
    const accounts = mapOrInvalid(this.ctx.providerId, 'bg.accounts', () => body.accounts.map(mapBgAccount));
    if (!this.ctx.capabilities.cardAccounts) return accounts;
    const cards = await this.get(ctx, this.ctx.url('/card-accounts'), BgCardAccountList, 'cardAccountList', {
      resource: 'cardAccounts',
      scope: '*',
    });
    return [
      ...accounts,
      ...mapOrInvalid(this.ctx.providerId, 'bg.cardAccounts', () => cards.cardAccounts.map(mapBgCardAccount)),
    ];
  }

  async getBalances(ctx: DataCallContext, input: { accountIds: string[] }): Promise<AccountBalances[]> {
    const out: AccountBalances[] = [];
    for (const accountId of input.accountIds) {
      const card = bgCardResourceId(accountId);
      if (card !== null) {
        const body = await this.get(
          ctx,
          this.ctx.url(`/card-accounts/${encodeURIComponent(card)}/balances`),
          BgReadCardAccountBalance,
          'readCardAccountBalanceResponse-200',
          { resource: 'balances', scope: accountId },
        );
        out.push({
          accountId,
          balances: mapOrInvalid(this.ctx.providerId, 'bg.balances', () =>
            body.balances.map((b) => mapBgBalance(b, body.debitAccounting === true)),
          ),
        });
        continue;
      }
      const body = await this.get(
        ctx,
        this.ctx.url(`/accounts/${encodeURIComponent(accountId)}/balances`),
        BgReadAccountBalance,
        'readAccountBalance',
        { resource: 'balances', scope: accountId },
      );
      out.push({
        accountId,
        balances: mapOrInvalid(this.ctx.providerId, 'bg.balances', () => body.balances.map((b) => mapBgBalance(b))),
      });
    }
    return out;
  }

  /**
   * Outside the first-access window the bank serves at most `transactionHistoryLimitDays`: the
   * window is clipped to it rather than failing the whole read.
   */
  private effectiveFrom(ctx: DataCallContext, from: string): string {
    const limit = this.ctx.capabilities.transactionHistoryLimitDays;
    if (limit === null) return from;
    const windowMin = this.ctx.capabilities.firstAccessWindowMinutes ?? 0;
    const inFirstWindow =
      ctx.authorisedAt !== undefined && this.ctx.now().getTime() - Date.parse(ctx.authorisedAt) < windowMin * 60_000;
    if (inFirstWindow) return from;
    const earliest = addDays(localDateOf(this.ctx.now(), this.ctx.capabilities.timeZone), -limit);
    return from < earliest ? earliest : from;
  }

  async getTransactions(ctx: DataCallContext, input: TransactionsQuery): Promise<AccountTransactions[]> {
    return readAllTransactionPages(input, (cursor) => this.getTransactionsPage(ctx, { ...input, cursor }));
  }

  /**
   * One bank page of one account's transactions (accounts one after another). Berlin Group lists
   * booked and pending apart on each page, so the window's identities number every booked one first.
   * A card account (where the bank serves them) is read on /card-accounts, whose cardTransactions have
   * their own shape and sign convention (debitAccounting).
   */
  async getTransactionsPage(ctx: DataCallContext, input: TransactionsPageQuery): Promise<TransactionsPage> {
    const at = decodePageCursor(input.cursor);
    const accountId = input.accountIds[at.call];
    if (accountId === undefined) throw new AppError('validation_failed', 'The page cursor does not fit this query.');
    const access = { resource: 'transactions', scope: accountId } as const;
    const card = bgCardResourceId(accountId);
    if (card === null)
      return this.transactionsPage(
        ctx,
        input,
        at,
        accountId,
        `/accounts/${encodeURIComponent(accountId)}/transactions`,
        'bg.transactions',
        async (url) => {
          const body: BgTransactionsPage = await this.get(
            ctx,
            url,
            BgTransactionsResponse,
            'transactionsResponse-200',
            access,
          );
          return {
            next: body.transactions?._links?.next?.href ?? body._links?.next?.href,
            drafts: (asOf) =>
              mapBgTransactionDrafts(
                { booked: body.transactions?.booked ?? [], pending: body.transactions?.pending ?? [] },
                this.ctx.rules,
                asOf,
              ),
          };
        },
      );
    return this.transactionsPage(
      ctx,
      input,
      at,
      accountId,
      `/card-accounts/${encodeURIComponent(card)}/transactions`,
      'bg.cardTransactions',
      async (url) => {
        const body: BgCardTransactionsPage = await this.get(
          ctx,
          url,
          BgCardTransactionsResponse,
          'cardAccountsTransactionsResponse200',
          access,
        );
        return {
          next: body.cardTransactions?._links?.next?.href ?? body._links?.next?.href,
          drafts: (asOf) =>
            mapBgCardTransactionDrafts(
              { booked: body.cardTransactions?.booked ?? [], pending: body.cardTransactions?.pending ?? [] },
              body.debitAccounting === true,
              asOf,
            ),
        };
      },
    );
  }

  /**
   * One page at `path` (a payment or a card account's transactions): the query on the first page, the
   * bank's next link (on its own origins) after it; the page's drafts within the window, pending ones
   * whatever their date.
   */
  private async transactionsPage(
    ctx: DataCallContext,
    input: TransactionsPageQuery,
    at: ReturnType<typeof decodePageCursor>,
    accountId: string,
    path: string,
    operation: string,
    read: (url: string) => Promise<{ next: string | undefined; drafts: (asOf: string) => TransactionDraft[] }>,
  ): Promise<TransactionsPage> {
    const query = {
      dateFrom: this.effectiveFrom(ctx, input.from),
      dateTo: input.to,
      bookingStatus: input.status ?? 'both',
    };
    const url = at.next
      ? resumePageUrl(at.next, this.ctx.base, this.ctx.providerId)
      : `${this.ctx.url(path)}?${new URLSearchParams(query).toString()}`;
    const page = await read(url);
    const next = page.next ? await this.nextPage(page.next, url) : undefined;
    const asOf = localDateOf(this.ctx.now(), this.ctx.capabilities.timeZone);
    const drafts = mapOrInvalid(this.ctx.providerId, operation, () => page.drafts(asOf));
    const transactions = drafts.filter(
      (t) => t.status === 'pending' || (t.bookingDate >= input.from && t.bookingDate <= input.to),
    );
    return {
      accounts: transactions.length > 0 ? [{ accountId, transactions }] : [],
      order: 'booked-first',
      nextCursor: nextPageCursor(at, input.accountIds.length, next, url, () =>
        pageLoopError(this.ctx.providerId, operation),
      ),
    };
  }

  /**
   * Where to fetch a `_links.next`: on the bank's own origins (configured, or advertised by its
   * authorisation servers: the configured metadata and every scaOAuth one used) it is followed on
   * the XS2A base we use (the mTLS host with the QWAC), whatever host name the bank wrote into it.
   * Any other host is refused: our token does not go there.
   */
  private async nextPage(href: string, current: string): Promise<string> {
    const where = {
      current,
      bases: [this.ctx.endpoints.resourceBaseUrl, this.ctx.endpoints.mtlsResourceBaseUrl],
      use: this.ctx.base,
    };
    const configured = configuredOrigins(this.ctx.endpoints);
    let url = nextPageUrl(href, { ...where, origins: configured });
    if (!url) {
      const servers = [
        ...(this.ctx.endpoints.discoveryUrl ? [this.ctx.server(this.ctx.endpoints.discoveryUrl)] : []),
        ...this.ctx.servers.values(),
      ];
      const advertised = await Promise.all(
        [...new Set(servers)].map(async (s) => advertisedOrigins(await s.getMetadata())),
      );
      url = nextPageUrl(href, { ...where, origins: new Set([...configured, ...advertised.flatMap((o) => [...o])]) });
    }
    if (!url)
      throw bankError('bank_invalid_response', 'The bank links a next page on another host.', {
        providerId: this.ctx.providerId,
        detail: { cause: href },
      });
    return url;
  }

  private unsupported(what: string): never {
    throw new AppError('permission_not_granted', `${this.ctx.profile.name} (Berlin Group) offers no ${what} service.`, {
      providerId: this.ctx.providerId,
    });
  }

  async listStatements(): Promise<never> {
    return this.unsupported('statements');
  }
  async getStatementTransactions(): Promise<never> {
    return this.unsupported('statements');
  }
  async getParties(): Promise<never> {
    return this.unsupported('party');
  }
  async listBeneficiaries(): Promise<never> {
    return this.unsupported('trusted beneficiaries');
  }
  /**
   * The account's active standing orders: the transactions endpoint with bookingStatus=information
   * (one entry per standing order; the bank ignores the dates). A card account has none.
   */
  async listStandingOrders(ctx: DataCallContext, input: { accountId: string }): Promise<StandingOrder[]> {
    if (!this.ctx.capabilities.supportedPermissions.includes('standingOrders'))
      return this.unsupported('standing orders');
    if (bgCardResourceId(input.accountId) !== null) return [];
    const url = `${this.ctx.url(`/accounts/${encodeURIComponent(input.accountId)}/transactions`)}?bookingStatus=information`;
    const body = await this.get(ctx, url, BgStandingOrdersResponse, 'transactionsResponse-200', {
      resource: 'standingOrders',
      scope: input.accountId,
    });
    return mapOrInvalid(this.ctx.providerId, 'bg.standingOrders', () =>
      (body.transactions?.information ?? []).map((t) => mapBgStandingOrder(input.accountId, t)),
    );
  }
  async listDirectDebits(): Promise<never> {
    return this.unsupported('direct debits');
  }
  async listScheduledPayments(): Promise<never> {
    return this.unsupported('scheduled payments');
  }
}
