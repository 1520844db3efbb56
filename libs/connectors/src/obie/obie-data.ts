import { addDays, type AppError, type Account, type Transaction } from '@ais/domain';
import type { z, ZodType } from 'zod';
import { bankError, type BankErrorDetail } from '../bank-error.js';
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
  TransactionsQuery,
} from '../connector.js';
import type { BankResponse } from '../http/bank-http-client.js';
import { advertisedOrigins, configuredOrigins, nextPageUrl } from '../http/bank-origins.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import type { AccessResource } from '../ports.js';
import type { ObieConsents } from './obie-consents.js';
import type { ObieContext } from './obie-context.js';
import { parseObieError } from './obie.errors.js';
import {
  mapObieAccount,
  mapObieBalances,
  mapObieBeneficiary,
  mapObieDirectDebit,
  mapObieParty,
  mapObieScheduledPayment,
  mapObieStandingOrder,
  mapObieStatement,
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

type ObReadTransaction6Page = z.infer<typeof ObReadTransaction6>;

/** Bounds pagination against a bank that links pages in a loop. */
const MAX_PAGES = 500;

interface Paged {
  Links?: { Next?: string };
}

/**
 * Every OBIE AIS resource with a consent's access token: each page reserved with the access guard,
 * followed only on the bank's own origins, validated against the spec, bulk endpoints where the
 * profile lists them; a refused call reads the consent to say revoked or expired.
 */
export class ObieData {
  constructor(
    private readonly ctx: ObieContext,
    private readonly consents: ObieConsents,
  ) {}

  /**
   * GETs a resource and every following page. Each page is one bank call: the guard reserves it
   * first (per attempt), so an unattended sync never goes past the consent's budget.
   */
  private async fetchAll<T extends Paged>(
    ctx: DataCallContext,
    path: string,
    schema: ZodType<T>,
    what: string,
    access: { resource: AccessResource; scope: string },
  ): Promise<T[]> {
    const operation = `obie.${access.resource}`;
    const pages: T[] = [];
    let url: string | undefined = this.ctx.resourceUrl(path);
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url) || pages.length >= MAX_PAGES)
        throw bankError('bank_invalid_response', 'The bank links its pages in a loop.', {
          providerId: this.ctx.providerId,
          detail: { operation },
        });
      seen.add(url);
      const token = await this.ctx.deps.tokenSource.getAccessToken(ctx.consentId);
      const res = await this.ctx.http.send({
        method: 'GET',
        url,
        headers: { ...this.ctx.fapiHeaders(ctx.psu), authorization: `Bearer ${token.accessToken}` },
        idempotent: true,
        mtls: this.ctx.resourceMtls,
        operation,
        throttleKey: `consent:${ctx.consentId}`,
        beforeAttempt: this.ctx.reserveEachAttempt(ctx, access),
      });
      if (res.status !== 200) throw await this.dataCallError(res, operation, token.externalConsentId);
      const page = mapOrInvalid(
        this.ctx.providerId,
        operation,
        () => validateWire(schema, this.ctx.profile.normaliseWire(parseJson(res.text)), what),
        res.text,
      );
      pages.push(page);
      url = page.Links?.Next ? await this.nextPage(page.Links.Next, url) : undefined;
    }
    return pages;
  }

  /**
   * A refused data call. OBIE gives a 401 no body and leaves "revoked" and "expired" to prose, and
   * a bank that invalidates tokens with the consent answers 401 for both: the consent resource is the
   * authority, so on 401 / 403 the connector asks for it (client-credentials, not an AIS access) and
   * reports consent_revoked / consent_expired when that is what happened.
   */
  private async dataCallError(res: BankResponse, operation: string, externalConsentId: string): Promise<AppError> {
    const error = parseObieError(this.ctx.providerId, operation, res, this.ctx.now());
    if (res.status !== 401 && res.status !== 403) return error;
    const consent = await this.consents.getConsentStatus({ externalConsentId }).catch(() => undefined);
    if (!consent) return error;
    const bank = {
      ...(error.extensions.bank as BankErrorDetail),
      consentStatus: consent.bankStatus,
      consentExpiresAt: consent.expiresAt,
    };
    if (consent.status === 'revoked' || consent.status === 'rejected') {
      return bankError('consent_revoked', 'The consent is no longer authorised at the bank.', {
        providerId: this.ctx.providerId,
        detail: bank,
      });
    }
    if (
      consent.status === 'expired' ||
      (consent.expiresAt !== null && Date.parse(consent.expiresAt) <= this.ctx.now().getTime())
    ) {
      return bankError('consent_expired', 'The consent has expired at the bank.', {
        providerId: this.ctx.providerId,
        detail: bank,
      });
    }
    if (res.status === 403)
      return bankError('bank_forbidden_permission', 'The consent does not grant the permission this call needs.', {
        providerId: this.ctx.providerId,
        detail: bank,
      });
    return bankError('bank_unauthorised', 'The bank did not accept the access token.', {
      providerId: this.ctx.providerId,
      detail: bank,
    });
  }

  /**
   * Where to fetch a Links.Next: on the bank's own origins (configured, or advertised in its
   * discovery: issuer, endpoints, mTLS aliases) it is followed on the API base we use, so a
   * certificate-bound token stays on mutual TLS whatever host name the bank wrote into the link.
   * Any other host is refused: our token does not go there.
   */
  private async nextPage(next: string, current: string): Promise<string> {
    const where = {
      current,
      bases: [this.ctx.endpoints.resourceBaseUrl, this.ctx.endpoints.mtlsResourceBaseUrl],
      use: this.ctx.resourceUrl(''),
    };
    const configured = configuredOrigins(this.ctx.endpoints);
    const url =
      nextPageUrl(next, { ...where, origins: configured }) ??
      nextPageUrl(next, {
        ...where,
        origins: new Set([...configured, ...advertisedOrigins(await this.ctx.as.getMetadata())]),
      });
    if (!url)
      throw bankError('bank_invalid_response', 'The bank links a next page on another host.', {
        providerId: this.ctx.providerId,
        detail: { cause: next },
      });
    return url;
  }

  private bulk(kind: 'balances' | 'transactions'): boolean {
    return this.ctx.capabilities.bulkEndpoints.includes(kind);
  }

  async listAccounts(ctx: DataCallContext): Promise<Account[]> {
    const pages = await this.fetchAll(ctx, '/accounts', ObReadAccount6, 'OBReadAccount6', {
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
          this.fetchAll(ctx, c.path, ObReadBalance1, 'OBReadBalance1', { resource: 'balances', scope: c.scope }),
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
    // Sequential: pages of one account must stay in the bank's order for occurrence numbering.
    const pages: ObReadTransaction6Page[] = [];
    for (const c of calls)
      pages.push(
        ...(await this.fetchAll(ctx, c.path, ObReadTransaction6, 'OBReadTransaction6', {
          resource: 'transactions',
          scope: c.scope,
        })),
      );
    const byAccount = mapOrInvalid(this.ctx.providerId, 'obie.transactions', () =>
      mapObieTransactions(
        pages.flatMap((p) => p.Data.Transaction ?? []),
        this.ctx.rules,
      ),
    );
    const status = input.status ?? 'both';
    const keep = (t: Transaction) =>
      t.bookingDate >= input.from && t.bookingDate <= input.to && (status === 'both' || t.status === status);
    return input.accountIds.map((accountId) => ({
      accountId,
      transactions: (byAccount.get(accountId) ?? []).filter(keep),
    }));
  }

  async listStatements(
    ctx: DataCallContext,
    input: { accountId: string; from?: string; to?: string },
  ): Promise<Statement[]> {
    const q = new URLSearchParams({
      ...(input.from ? { fromStatementDateTime: `${addDays(input.from, -1)}T00:00:00Z` } : {}),
      ...(input.to ? { toStatementDateTime: `${addDays(input.to, 1)}T23:59:59Z` } : {}),
    }).toString();
    const pages = await this.fetchAll(
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
    const pages = await this.fetchAll(ctx, path, ObReadTransaction6, 'OBReadTransaction6', {
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
    const pages = await this.fetchAll(ctx, path, ObReadParty2, 'OBReadParty2', {
      resource: 'party',
      scope: input.accountId ?? '*',
    });
    return mapOrInvalid(this.ctx.providerId, 'obie.party', () =>
      pages.flatMap((p) => (p.Data.Party ? [mapObieParty(p.Data.Party)] : [])),
    );
  }

  async listBeneficiaries(ctx: DataCallContext, input: { accountId: string }): Promise<Beneficiary[]> {
    const pages = await this.fetchAll(
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
    const pages = await this.fetchAll(
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
    const pages = await this.fetchAll(
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
    const pages = await this.fetchAll(
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
