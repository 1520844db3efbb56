import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONSENT_SCOPE } from '../core/access-limiter.js';
import { bearer, clientCertificate, header, MalformedBody, UnsupportedBody } from '../core/http.js';
import { Decimal, formatAmount } from '../core/money.js';
import type { ConsentRecord, TokenRecord } from '../core/store.js';
import { dateToDayNumber, dayNumberToDate, localDate, localDayNumber } from '../core/time.js';
import { isValidIban } from '../data/identifiers.js';
import type { Account, TxnView } from '../data/model.js';
import { OAuthService } from '../oauth/oauth.service.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';
import { BgError } from './bg-error.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_VALID_DAYS = 180;
export const HISTORY_LIMIT_DAYS = 90;
export const FULL_HISTORY_WINDOW_MS = 10 * 60_000;
const ONE_OFF_WINDOW_MS = 10 * 60_000;
const ACCESS_KEYS = [
  'accounts',
  'balances',
  'transactions',
  'additionalInformation',
  'availableAccounts',
  'availableAccountsWithBalance',
  'allPsd2',
  'restrictedTo',
];
const REF_KEYS = ['iban', 'bban', 'pan', 'maskedPan', 'msisdn', 'other', 'currency', 'cashAccountType'];

/**
 * What the access counters count per account (or per consent, for the lists) and day: each kind of
 * access apart. Standing orders (bookingStatus=information) and the card account list are accesses
 * of their own.
 */
export type BgResource =
  'accounts' | 'cardAccounts' | 'balances' | 'transactions' | 'transactionDetails' | 'standingOrders';

/** Account references in an access list: the account they name at this bank, if any. */
function refersTo(ref: Record<string, unknown>, a: Account): boolean {
  if (typeof ref.iban === 'string') return a.iban === ref.iban;
  if (typeof ref.maskedPan === 'string') return a.maskedPan === ref.maskedPan;
  if (typeof ref.pan === 'string') return a.pan === ref.pan;
  if (typeof ref.bban === 'string') return a.bban === ref.bban;
  return false;
}

export interface BgContext {
  bank: BankRuntime;
  consent: ConsentRecord;
  token: TokenRecord;
  now: number;
}

/** Salt Bank: Berlin Group NextGenPSD2 1.3.12 consents and AIS resources. */
@Injectable()
export class BgService {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly oauth: OAuthService,
  ) {}

  /**
   * Seed 002: "Your QWAC certificate must also be provided when calling any Accounts endpoints";
   * Berlin Group identifies the TPP by its eIDAS QWAC at the TLS layer, so every XS2A call (consents
   * included) must come over mutual TLS with a certificate the sandbox CA issued. Codes and status
   * from the Berlin Group message codes for 401 (CERTIFICATE_MISSING / _INVALID / _EXPIRED).
   */
  requireQwac(req: FastifyRequest): void {
    const cert = clientCertificate(req);
    if (cert.state === 'verified') return;
    if (cert.state === 'missing') {
      throw new BgError(
        401,
        'CERTIFICATE_MISSING',
        `The TPP's QWAC is required on the XS2A API (${cert.reason}): call over mutual TLS (SANDBOX_MTLS_PORT) with a certificate from the sandbox CA (POST /directory/certificates)`,
      );
    }
    if (cert.state === 'expired') throw new BgError(401, 'CERTIFICATE_EXPIRED', 'The TPP certificate has expired');
    throw new BgError(
      401,
      'CERTIFICATE_INVALID',
      `The TPP certificate is not issued by the sandbox CA (${cert.reason})`,
    );
  }

  requestId(req: FastifyRequest): string {
    const id = header(req, 'x-request-id');
    if (!id) throw BgError.format('X-Request-ID is required', 'X-Request-ID');
    if (!UUID.test(id)) throw BgError.format('X-Request-ID must be a UUID', 'X-Request-ID');
    return id;
  }

  today(bank: BankRuntime, now = bank.now()): string {
    return localDate(now, bank.profile.timeZone);
  }

  /** The consent with its status brought up to date on the bank clock (valid → expired). */
  status(bank: BankRuntime, c: ConsentRecord): ConsentRecord {
    const now = bank.now();
    if (c.status === 'valid') {
      const pastValidity = c.validUntil !== undefined && c.validUntil < this.today(bank, now);
      const oneOffUsedUp =
        c.recurringIndicator === false && c.authorisedAt !== undefined && now > c.authorisedAt + ONE_OFF_WINDOW_MS;
      if (pastValidity || oneOffUsedUp) {
        c.status = 'expired';
        c.statusUpdatedAt = now;
        this.oauth.revokeConsentTokens(c.id);
        this.ctx.store.changed();
      }
    }
    return c;
  }

  createConsent(bank: BankRuntime, req: FastifyRequest): ConsentRecord {
    const psuIp = header(req, 'psu-ip-address');
    if (!psuIp) throw BgError.format('PSU-IP-Address is required when creating a consent', 'PSU-IP-Address');
    if (!IPV4.test(psuIp)) throw BgError.format('PSU-IP-Address must be an IPv4 address', 'PSU-IP-Address');
    const redirect = header(req, 'tpp-redirect-uri');
    if (redirect !== undefined && !URL.canParse(redirect))
      throw BgError.format('TPP-Redirect-URI must be an absolute URI', 'TPP-Redirect-URI');
    const body = req.body;
    if (body instanceof UnsupportedBody) throw new BgError(415, 'FORMAT_ERROR', 'Send application/json');
    if (body instanceof MalformedBody || !body || typeof body !== 'object' || Array.isArray(body))
      throw BgError.format('The body must be a JSON consents object');
    const b = body as Record<string, unknown>;
    const access = b.access;
    if (!access || typeof access !== 'object' || Array.isArray(access))
      throw BgError.format('access is required', 'access');
    const a = access as Record<string, unknown>;
    for (const k of Object.keys(a))
      if (!ACCESS_KEYS.includes(k)) throw BgError.format(`access.${k} is not a known access attribute`, `access.${k}`);
    for (const list of ['accounts', 'balances', 'transactions'] as const) {
      if (a[list] === undefined) continue;
      if (!Array.isArray(a[list]))
        throw BgError.format(`access.${list} must be an array of account references`, `access.${list}`);
      for (const ref of a[list] as unknown[]) {
        if (!ref || typeof ref !== 'object')
          throw BgError.format(`access.${list} holds a non-object`, `access.${list}`);
        const r = ref as Record<string, unknown>;
        for (const k of Object.keys(r))
          if (!REF_KEYS.includes(k)) throw BgError.format(`Unknown account reference field ${k}`, `access.${list}`);
        if (
          r.iban !== undefined &&
          (typeof r.iban !== 'string' || !/^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/.test(r.iban) || !isValidIban(r.iban))
        )
          throw BgError.format('Invalid IBAN', `access.${list}`);
        if (r.currency !== undefined && (typeof r.currency !== 'string' || !/^[A-Z]{3}$/.test(r.currency)))
          throw BgError.format('Invalid currency', `access.${list}`);
        if (
          r.iban === undefined &&
          r.bban === undefined &&
          r.pan === undefined &&
          r.maskedPan === undefined &&
          r.msisdn === undefined &&
          r.other === undefined
        ) {
          throw BgError.format('An account reference needs an identifier', `access.${list}`);
        }
      }
    }
    this.requireKnownAccounts(bank, req, a);
    for (const k of ['availableAccounts', 'availableAccountsWithBalance', 'allPsd2'] as const) {
      if (a[k] !== undefined && a[k] !== 'allAccounts' && a[k] !== 'allAccountsWithOwnerName')
        throw BgError.format(`access.${k} must be allAccounts or allAccountsWithOwnerName`, `access.${k}`);
    }
    const global = ['availableAccounts', 'availableAccountsWithBalance', 'allPsd2'].filter((k) => a[k] !== undefined);
    if (
      global.length > 1 ||
      (global.length === 1 && (a.accounts !== undefined || a.balances !== undefined || a.transactions !== undefined))
    ) {
      throw BgError.format(
        'Use one of availableAccounts, availableAccountsWithBalance, allPsd2, or account lists',
        'access',
      );
    }
    if (global.length === 0 && a.accounts === undefined && a.balances === undefined && a.transactions === undefined)
      throw BgError.format('access names nothing', 'access');
    if (typeof b.recurringIndicator !== 'boolean')
      throw BgError.format('recurringIndicator (boolean) is required', 'recurringIndicator');
    if (typeof b.combinedServiceIndicator !== 'boolean')
      throw BgError.format('combinedServiceIndicator (boolean) is required', 'combinedServiceIndicator');
    if (b.combinedServiceIndicator)
      throw new BgError(
        400,
        'SERVICE_INVALID',
        'Combined AIS and PIS sessions are not supported',
        'combinedServiceIndicator',
      );
    if (typeof b.frequencyPerDay !== 'number' || !Number.isInteger(b.frequencyPerDay))
      throw BgError.format('frequencyPerDay (integer) is required', 'frequencyPerDay');
    if (b.frequencyPerDay < 1 || b.frequencyPerDay > 4)
      throw BgError.format('frequencyPerDay must be between 1 and 4', 'frequencyPerDay');
    if (typeof b.validUntil !== 'string' || !DATE.test(b.validUntil) || Number.isNaN(Date.parse(b.validUntil)))
      throw BgError.format('validUntil (YYYY-MM-DD) is required', 'validUntil');
    const now = bank.now();
    const today = this.today(bank, now);
    const maxDate = dayNumberToDate(dateToDayNumber(today) + MAX_VALID_DAYS);
    let validUntil = b.validUntil;
    if (validUntil === '9999-12-31') validUntil = maxDate;
    if (validUntil < today) throw BgError.format('validUntil is in the past', 'validUntil');
    if (validUntil > maxDate)
      throw BgError.format(`validUntil may be at most ${MAX_VALID_DAYS} days ahead (${maxDate})`, 'validUntil');
    if (!b.recurringIndicator) {
      if (b.frequencyPerDay !== 1)
        throw BgError.format(
          'A one-off consent (recurringIndicator false) must have frequencyPerDay 1',
          'frequencyPerDay',
        );
      if (validUntil !== today)
        throw BgError.format(`A one-off consent must be valid until today (${today})`, 'validUntil');
    }
    const consent: ConsentRecord = {
      id: `cns-${randomBytes(12).toString('base64url')}`,
      bank: bank.id,
      status: 'received',
      createdAt: now,
      statusUpdatedAt: now,
      accountIds: [],
      access: a,
      recurringIndicator: b.recurringIndicator,
      validUntil,
      frequencyPerDay: b.frequencyPerDay,
      lastActionDate: today,
      tppRedirectUri: redirect,
      tppNokRedirectUri: header(req, 'tpp-nok-redirect-uri'),
    };
    this.ctx.store.consents.set(consent.id, consent);
    this.ctx.store.changed();
    return consent;
  }

  /**
   * A dedicated-account consent names accounts: each must be an account of this bank (and, when the
   * TPP says who the PSU is with PSU-ID, one of theirs). Berlin Group: RESOURCE_UNKNOWN, 400 when the
   * resource is addressed in the payload.
   */
  private requireKnownAccounts(bank: BankRuntime, req: FastifyRequest, access: Record<string, unknown>): void {
    const psuId = header(req, 'psu-id');
    const psu = psuId === undefined ? undefined : bank.data.psu(psuId);
    if (psuId !== undefined && !psu)
      throw new BgError(401, 'PSU_CREDENTIALS_INVALID', 'PSU-ID is not a customer of this bank', 'PSU-ID');
    const candidates = psu ? bank.data.accountsOf(psu.username) : bank.data.accounts;
    for (const list of ['accounts', 'balances', 'transactions'] as const) {
      if (!Array.isArray(access[list])) continue;
      for (const ref of access[list] as Record<string, unknown>[]) {
        if (ref.msisdn !== undefined || ref.other !== undefined) continue;
        if (!candidates.some((a) => refersTo(ref, a)))
          throw new BgError(
            400,
            'RESOURCE_UNKNOWN',
            psu
              ? `access.${list} names an account that is not the PSU's`
              : `access.${list} names an account unknown to this bank`,
            `access.${list}`,
          );
      }
    }
  }

  consent(bank: BankRuntime, id: string): ConsentRecord {
    const c = this.ctx.store.consents.get(id);
    if (!c || c.bank !== bank.id)
      throw new BgError(403, 'CONSENT_UNKNOWN', 'No consent with this consentId', 'consentId');
    return this.status(bank, c);
  }

  deleteConsent(bank: BankRuntime, id: string): void {
    const c = this.consent(bank, id);
    c.status = 'terminatedByTpp';
    c.statusUpdatedAt = bank.now();
    this.oauth.revokeConsentTokens(c.id);
    this.ctx.store.changed();
  }

  consentInformation(bank: BankRuntime, c: ConsentRecord) {
    return {
      access: c.access,
      recurringIndicator: c.recurringIndicator,
      validUntil: c.validUntil,
      frequencyPerDay: c.frequencyPerDay,
      lastActionDate: c.lastActionDate,
      consentStatus: c.status,
      _links: { account: { href: `/${bank.id}/v1/accounts` } },
    };
  }

  /**
   * Which accounts a consent covers per resource, from its access and the PSU's selection. Seed 002:
   * "Card Accounts with balance" is not offered by availableAccountsWithBalance.
   */
  granted(c: ConsentRecord, bank: BankRuntime, resource: 'accounts' | 'balances' | 'transactions'): Set<string> {
    const a = c.access ?? {};
    const chosen = c.accountIds;
    if (a.allPsd2) return new Set(chosen);
    if (a.availableAccountsWithBalance)
      return new Set(
        resource === 'transactions'
          ? []
          : resource === 'balances'
            ? chosen.filter((id) => !bank.data.account(id)?.maskedPan)
            : chosen,
      );
    if (a.availableAccounts) return new Set(resource === 'accounts' ? chosen : []);
    const refs: Record<string, unknown>[] = [];
    const lists = resource === 'accounts' ? ['accounts', 'balances', 'transactions'] : [resource];
    for (const l of lists) if (Array.isArray(a[l])) refs.push(...(a[l] as Record<string, unknown>[]));
    return new Set(
      chosen.filter((id) => {
        const account = bank.data.account(id);
        return account !== undefined && refs.some((r) => refersTo(r, account));
      }),
    );
  }

  /** A consent's accounts of one kind: payment accounts (/v1/accounts) or card accounts (/v1/card-accounts). */
  grantedOfKind(c: ConsentRecord, bank: BankRuntime, card: boolean): Account[] {
    return [...this.granted(c, bank, 'accounts')]
      .map((id) => bank.data.account(id)!)
      .filter((a) => Boolean(a.maskedPan) === card);
  }

  /**
   * Token, consent, coverage and frequency checks for a data call. The consent's state is decided
   * before the token's: ending a consent (DELETE, the PSU at the bank, validUntil) also revokes its
   * tokens, and answering TOKEN_INVALID then would hide why. A token this bank issued for the
   * Consent-ID, even revoked or expired, proves the caller may learn that the consent is over:
   * CONSENT_EXPIRED or CONSENT_INVALID (Berlin Group 401 codes). Any other token is TOKEN_INVALID.
   */
  authorise(
    bank: BankRuntime,
    req: FastifyRequest,
    resource: BgResource,
    accountId: string | null,
    card = false,
  ): BgContext {
    const consentId = header(req, 'consent-id');
    if (!consentId) throw BgError.format('Consent-ID is required', 'Consent-ID');
    const psuIp = header(req, 'psu-ip-address');
    if (psuIp !== undefined && !IPV4.test(psuIp))
      throw BgError.format('PSU-IP-Address must be an IPv4 address', 'PSU-IP-Address');
    const raw = bearer(req);
    const stored = raw ? this.ctx.store.tokens.get(raw) : undefined;
    if (!stored || stored.bank !== bank.id || stored.kind !== 'access')
      throw new BgError(401, 'TOKEN_INVALID', 'Missing or invalid access token', undefined, {
        'www-authenticate': 'Bearer',
      });
    const c = this.ctx.store.consents.get(consentId);
    if (!c || c.bank !== bank.id) throw new BgError(400, 'CONSENT_UNKNOWN', 'Unknown Consent-ID', 'Consent-ID');
    if (stored.consentId !== c.id)
      throw new BgError(401, 'TOKEN_INVALID', 'The token was not issued for this consent', undefined, {
        'www-authenticate': 'Bearer',
      });
    this.status(bank, c);
    if (c.status === 'expired') throw new BgError(401, 'CONSENT_EXPIRED', 'The consent has expired');
    if (c.status !== 'valid') throw new BgError(401, 'CONSENT_INVALID', `The consent is ${c.status}`);
    if (stored.expiresAt <= bank.now() && !stored.revoked)
      throw new BgError(401, 'TOKEN_EXPIRED', 'The access token has expired', undefined, {
        'www-authenticate': 'Bearer',
      });
    const token = this.oauth.accessToken(bank, raw);
    if (!token)
      throw new BgError(401, 'TOKEN_INVALID', 'The access token has been revoked', undefined, {
        'www-authenticate': 'Bearer',
      });
    const now = bank.now();
    const coverage =
      resource === 'transactionDetails' || resource === 'standingOrders'
        ? 'transactions'
        : resource === 'cardAccounts'
          ? 'accounts'
          : resource;
    if (accountId !== null) {
      const account = bank.data.account(accountId);
      // Payment accounts and card accounts each answer on their own endpoints only.
      if (!account || !c.accountIds.includes(accountId) || Boolean(account.maskedPan) !== card)
        throw new BgError(404, 'RESOURCE_UNKNOWN', 'No account with this account-id under the consent', 'account-id');
      if (!this.granted(c, bank, coverage).has(accountId))
        throw new BgError(401, 'CONSENT_INVALID', `The consent does not cover ${coverage} of this account`);
    }
    const decision = bank.limiter.record(
      c.id,
      accountId ?? CONSENT_SCOPE,
      resource,
      psuIp !== undefined,
      c.frequencyPerDay ?? 4,
      now,
    );
    if (!decision.allowed) {
      throw new BgError(
        429,
        'ACCESS_EXCEEDED',
        `The consent allows ${c.frequencyPerDay} unattended calls per day for this account and resource`,
        undefined,
        {
          'retry-after': String(bank.clock.realSecondsUntil(decision.retryAtBankMs)),
        },
      );
    }
    c.lastActionDate = this.today(bank, now);
    return { bank, consent: c, token, now };
  }

  accountBody(ctx: BgContext, a: Account, withOwner: boolean) {
    const granted = (r: 'balances' | 'transactions') => this.granted(ctx.consent, ctx.bank, r).has(a.id);
    const links: Record<string, { href: string }> = {};
    if (granted('balances')) links.balances = { href: `/${ctx.bank.id}/v1/accounts/${a.id}/balances` };
    if (granted('transactions')) links.transactions = { href: `/${ctx.bank.id}/v1/accounts/${a.id}/transactions` };
    return {
      resourceId: a.id,
      iban: a.iban,
      bban: a.bban,
      currency: a.currency,
      name: a.nickname,
      product: a.product,
      cashAccountType: a.kind === 'savings' ? 'SVGS' : 'CACC',
      status: 'enabled',
      bic: ctx.bank.profile.bic,
      usage: a.kind === 'business' ? 'ORGA' : 'PRIV',
      ...(withOwner ? { ownerName: a.ownerName } : {}),
      _links: links,
    };
  }

  /** A card account (cardAccountDetails): the masked PAN, no balances in the list (seed 002). */
  cardAccountBody(ctx: BgContext, a: Account, withOwner: boolean) {
    const granted = (r: 'balances' | 'transactions') => this.granted(ctx.consent, ctx.bank, r).has(a.id);
    const links: Record<string, { href: string }> = {};
    if (granted('balances')) links.balances = { href: `/${ctx.bank.id}/v1/card-accounts/${a.id}/balances` };
    if (granted('transactions')) links.transactions = { href: `/${ctx.bank.id}/v1/card-accounts/${a.id}/transactions` };
    return {
      resourceId: a.id,
      maskedPan: a.maskedPan,
      currency: a.currency,
      name: a.nickname,
      product: a.product,
      debitAccounting: false,
      status: 'enabled',
      usage: 'PRIV',
      ...(a.creditLimit
        ? { creditLimit: { currency: a.currency, amount: formatAmount(a.creditLimit, a.currency) } }
        : {}),
      ...(withOwner ? { ownerName: a.ownerName } : {}),
      _links: links,
    };
  }

  /** A card account's balances: what is owed (negative) and the credit still available (limit included). */
  cardBalances(ctx: BgContext, a: Account) {
    const ledger = ctx.bank.data.ledger(a.id);
    const today = localDayNumber(ctx.now, ctx.bank.profile.timeZone);
    const booked = ledger.bookedBalance(ctx.now);
    const pending = ledger.pendingSum(ctx.now);
    const amount = (d: Decimal) => ({ currency: a.currency, amount: formatAmount(d, a.currency) });
    return {
      cardAccount: { maskedPan: a.maskedPan, currency: a.currency },
      debitAccounting: false,
      balances: [
        {
          balanceAmount: amount(ledger.balanceAtEndOfDay(today - 1)),
          balanceType: 'closingBooked',
          referenceDate: dayNumberToDate(today - 1),
        },
        {
          balanceAmount: amount(booked),
          balanceType: 'interimBooked',
          referenceDate: dayNumberToDate(today),
          lastChangeDateTime: new Date(ctx.now).toISOString(),
        },
        {
          balanceAmount: amount((a.creditLimit ?? new Decimal(0)).plus(booked).plus(pending)),
          balanceType: 'interimAvailable',
          creditLimitIncluded: true,
          referenceDate: dayNumberToDate(today),
          lastChangeDateTime: new Date(ctx.now).toISOString(),
        },
      ],
    };
  }

  /** A card transaction (cardTransaction): the card acceptor, its category code, the card's masked PAN. */
  cardTransactionBody(bank: BankRuntime, a: Account, t: TxnView): Record<string, unknown> {
    const tz = bank.profile.timeZone;
    const id = t.status === 'booked' ? t.bookedId : t.pendingId;
    const out: Record<string, unknown> = {};
    if (id) out.cardTransactionId = id;
    out.transactionDate = localDate(t.originMs, tz);
    if (t.kind === 'card' || t.kind === 'card_refund')
      out.acceptorTransactionDateTime = new Date(t.originMs).toISOString();
    if (t.status === 'booked') out.bookingDate = localDate(t.bookingMs, tz);
    out.transactionAmount = { currency: a.currency, amount: formatAmount(t.amount, a.currency) };
    if (t.fx) {
      out.originalAmount = {
        currency: t.fx.currency,
        amount: formatAmount(
          t.amount.isNegative() ? t.fx.instructedAmount.neg() : t.fx.instructedAmount,
          t.fx.currency,
        ),
      };
      out.currencyExchange = [
        {
          sourceCurrency: t.fx.currency,
          exchangeRate: t.fx.rate.toString(),
          unitCurrency: t.fx.currency,
          targetCurrency: a.currency,
          quotationDate: localDate(t.originMs, tz),
        },
      ];
    }
    if (t.merchant) out.merchantCategoryCode = t.merchant.mcc;
    out.maskedPAN = a.maskedPan;
    out.transactionDetails = (t.merchant?.name ?? t.description).slice(0, 1000);
    if (t.status === 'booked') out.invoiced = false;
    out.proprietaryBankTransactionCode = t.kind.toUpperCase().slice(0, 35);
    return out;
  }

  withOwnerName(c: ConsentRecord): boolean {
    const a = c.access ?? {};
    return (
      [a.allPsd2, a.availableAccounts, a.availableAccountsWithBalance].includes('allAccountsWithOwnerName') ||
      Array.isArray((a.additionalInformation as { ownerName?: unknown } | undefined)?.ownerName)
    );
  }

  balances(ctx: BgContext, a: Account) {
    const ledger = ctx.bank.data.ledger(a.id);
    const tz = ctx.bank.profile.timeZone;
    const today = localDayNumber(ctx.now, tz);
    const booked = ledger.bookedBalance(ctx.now);
    const pending = ledger.pendingSum(ctx.now);
    const amount = (d: Decimal) => ({ currency: a.currency, amount: formatAmount(d, a.currency) });
    const last = ledger.booked(ctx.now, ctx.now - 3 * 86_400_000).pop();
    return {
      account: { iban: a.iban, currency: a.currency },
      balances: [
        {
          balanceAmount: amount(ledger.balanceAtEndOfDay(today - 1)),
          balanceType: 'closingBooked',
          referenceDate: dayNumberToDate(today - 1),
        },
        {
          balanceAmount: amount(booked),
          balanceType: 'interimBooked',
          referenceDate: dayNumberToDate(today),
          lastChangeDateTime: new Date(ctx.now).toISOString(),
          ...(last?.bookedId ? { lastCommittedTransaction: last.bookedId } : {}),
        },
        {
          balanceAmount: amount(booked.plus(pending)),
          balanceType: 'interimAvailable',
          referenceDate: dayNumberToDate(today),
          lastChangeDateTime: new Date(ctx.now).toISOString(),
        },
        { balanceAmount: amount(booked.plus(pending)), balanceType: 'expected', referenceDate: dayNumberToDate(today) },
      ],
    };
  }

  transactionBody(bank: BankRuntime, a: Account, t: TxnView): Record<string, unknown> {
    const tz = bank.profile.timeZone;
    const id = t.status === 'booked' ? t.bookedId : t.pendingId;
    const out: Record<string, unknown> = {};
    if (id) out.transactionId = id;
    if (t.reference) out.entryReference = t.reference.slice(0, 35);
    if (t.endToEndId) out.endToEndId = t.endToEndId;
    if (t.mandateId) out.mandateId = t.mandateId;
    if (t.status === 'booked') out.bookingDate = localDate(t.bookingMs, tz);
    out.valueDate = localDate(t.originMs, tz);
    out.transactionAmount = { currency: a.currency, amount: formatAmount(t.amount, a.currency) };
    if (t.fx) {
      out.currencyExchange = [
        {
          sourceCurrency: t.fx.currency,
          exchangeRate: t.fx.rate.toString(),
          unitCurrency: t.fx.currency,
          targetCurrency: a.currency,
          quotationDate: localDate(t.originMs, tz),
        },
      ];
    }
    const party = t.counterparty?.name ?? t.merchant?.name;
    if (t.amount.isNegative()) {
      if (party) out.creditorName = party.slice(0, 70);
      if (t.counterparty?.iban) out.creditorAccount = { iban: t.counterparty.iban };
    } else {
      if (party) out.debtorName = party.slice(0, 70);
      if (t.counterparty?.iban) out.debtorAccount = { iban: t.counterparty.iban };
    }
    out.remittanceInformationUnstructured = (
      t.kind === 'card' || t.kind === 'card_refund'
        ? `${t.description} ${localDate(t.originMs, tz)}`
        : (t.reference ?? t.description)
    ).slice(0, 140);
    if (t.merchant) out.additionalInformation = `MCC ${t.merchant.mcc}`;
    out.bankTransactionCode = bgCode(t);
    out.proprietaryBankTransactionCode = t.kind.toUpperCase().slice(0, 35);
    if (id) out._links = { transactionDetails: { href: `/${bank.id}/v1/accounts/${a.id}/transactions/${id}` } };
    return out;
  }

  standingOrders(bank: BankRuntime, a: Account) {
    return a.recurring
      .filter((r) => r.instrument === 'standing_order' && r.amount)
      .map((r) => ({
        transactionId: r.id,
        transactionAmount: { currency: a.currency, amount: formatAmount(r.amount!, a.currency) },
        creditorName: r.counterparty.slice(0, 70),
        ...(r.counterpartyIban ? { creditorAccount: { iban: r.counterpartyIban } } : {}),
        remittanceInformationUnstructured: r.reference,
        bankTransactionCode: 'PMNT-ICDT-STDO',
        additionalInformationStructured: {
          standingOrderDetails: {
            startDate: dayNumberToDate(r.startDay),
            frequency: 'Monthly',
            dayOfExecution: String(r.dayOfMonth),
          },
        },
      }));
  }
}

function bgCode(t: TxnView): string {
  switch (t.kind) {
    case 'card':
      return 'PMNT-CCRD-POSD';
    case 'card_refund':
      return 'PMNT-CCRD-RIMB';
    case 'salary':
    case 'savings_in':
    case 'invoice_in':
      return 'PMNT-RCDT-ESCT';
    case 'rent':
    case 'savings_out':
      return 'PMNT-ICDT-STDO';
    case 'bill':
    case 'supplier':
    case 'card_repayment':
      return 'PMNT-RDDT-ESDD';
    case 'interest':
      return 'ACMT-MCOP-INTR';
  }
}
