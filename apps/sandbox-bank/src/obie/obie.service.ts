import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONSENT_SCOPE } from '../core/access-limiter.js';
import { bearer, header, MalformedBody, peerCertificate, UnsupportedBody } from '../core/http.js';
import { certThumbprint } from '../core/keys.js';
import { Decimal, absAmount, formatAmount, trimmedAmount } from '../core/money.js';
import { stableId } from '../core/random.js';
import type { ConsentRecord, TokenRecord } from '../core/store.js';
import {
  DAY_MS,
  isoCompactOffset,
  isoOffset,
  localDayNumber,
  localInstant,
  monthDay,
  dayNumberToDate,
} from '../core/time.js';
import type { Account, TxnView } from '../data/model.js';
import { OAuthService } from '../oauth/oauth.service.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';
import { ALSALAM_PLACEHOLDER_BOOKING_DATE_TIME } from './alsalam-quirks.js';
import { ObieError } from './obie-error.js';
import { OBIE_PERMISSIONS, permissionProblem, permits, type ObieResource } from './permissions.js';

/** What differs between the two OBIE-shaped banks: paths, date and amount formats, seed quirks. */
export interface ObieFlavour {
  /** Allstar: OBIE 3.1 to the letter. Al Salam: the seed-003 wire quirks (see README). */
  quirks: boolean;
  resourceBase: string;
  consentBase: string;
  maxConsentDays: number | null;
}

export interface ResourceContext {
  bank: BankRuntime;
  consent: ConsentRecord;
  token: TokenRecord;
  now: number;
}

/** OBIE account-access-consents and account information resources for Allstar and Al Salam. */
@Injectable()
export class ObieService {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly oauth: OAuthService,
  ) {}

  dt(f: ObieFlavour, ms: number): string {
    return f.quirks ? isoCompactOffset(ms) : isoOffset(ms);
  }

  amount(f: ObieFlavour, amount: Decimal, currency: string): { Amount: string; Currency: string } {
    return { Amount: f.quirks ? trimmedAmount(amount, currency) : absAmount(amount, currency), Currency: currency };
  }

  /** A client-credentials token of this bank (consent endpoints). */
  clientToken(bank: BankRuntime, req: FastifyRequest): TokenRecord {
    const token = this.oauth.accessToken(bank, bearer(req));
    if (!token || token.grant !== 'client_credentials') throw ObieError.unauthorized();
    this.checkBinding(req, token);
    return token;
  }

  private checkBinding(req: FastifyRequest, token: TokenRecord): void {
    if (!token.certThumbprint) return;
    const cert = peerCertificate(req);
    if (!cert || certThumbprint(cert) !== token.certThumbprint)
      throw ObieError.unauthorized(
        'This token is bound to a client certificate: call over mutual TLS with the same certificate',
      );
  }

  createConsent(bank: BankRuntime, f: ObieFlavour, req: FastifyRequest): ConsentRecord {
    const token = this.clientToken(bank, req);
    const body = req.body;
    if (body instanceof UnsupportedBody) throw new ObieError(415, 'UK.OBIE.Header.Invalid', 'Send application/json');
    if (body instanceof MalformedBody || body === undefined)
      throw ObieError.field('The body is not valid JSON', undefined, 'UK.OBIE.Resource.InvalidFormat');
    const now = bank.now();
    const input = validateConsentRequest(body, now);
    let expiresAt = input.expiresAt ?? null;
    if (f.maxConsentDays !== null) {
      const cap = now + f.maxConsentDays * DAY_MS;
      expiresAt = expiresAt === null ? cap : Math.min(expiresAt, cap);
    }
    const id = f.quirks
      ? randomBytes(16).toString('base64url')
      : `aac-${stableId(12, bank.id, now, randomBytes(8).toString('hex'))}`;
    const consent: ConsentRecord = {
      id,
      bank: bank.id,
      clientId: token.clientId,
      status: 'AwaitingAuthorisation',
      createdAt: now,
      statusUpdatedAt: now,
      accountIds: [],
      permissions: input.permissions,
      expiresAt,
      transactionFrom: input.transactionFrom,
      transactionTo: input.transactionTo,
    };
    this.ctx.store.consents.set(id, consent);
    this.ctx.store.changed();
    return consent;
  }

  ownConsent(bank: BankRuntime, req: FastifyRequest, id: string): ConsentRecord {
    const token = this.clientToken(bank, req);
    const consent = this.ctx.store.consents.get(id);
    if (!consent || consent.bank !== bank.id || consent.clientId !== token.clientId)
      throw ObieError.notFound('No account-access-consent with this ConsentId');
    return consent;
  }

  deleteConsent(bank: BankRuntime, req: FastifyRequest, id: string): void {
    const consent = this.ownConsent(bank, req, id);
    consent.status = 'Revoked';
    consent.statusUpdatedAt = bank.now();
    this.oauth.revokeConsentTokens(consent.id);
    this.ctx.store.changed();
  }

  consentBody(bank: BankRuntime, f: ObieFlavour, c: ConsentRecord, selfUrl: string) {
    const data: Record<string, unknown> = {
      ConsentId: c.id,
      Status: c.status,
      StatusUpdateDateTime: this.dt(f, c.statusUpdatedAt),
      CreationDateTime: this.dt(f, c.createdAt),
      Permissions: c.permissions,
    };
    if (c.expiresAt) data.ExpirationDateTime = this.dt(f, c.expiresAt);
    if (c.transactionFrom !== undefined) data.TransactionFromDateTime = this.dt(f, c.transactionFrom);
    if (c.transactionTo !== undefined) data.TransactionToDateTime = this.dt(f, c.transactionTo);
    return { Data: data, Risk: {}, Links: { Self: selfUrl }, Meta: { TotalPages: 1 } };
  }

  /**
   * Authenticates a resource call and enforces consent, permission and access limits. Account-list
   * and bulk calls count under the consent-level scope '*'.
   */
  authorise(
    bank: BankRuntime,
    req: FastifyRequest,
    resource: ObieResource,
    accountId: string | null,
    counterResource: string,
  ): ResourceContext {
    const token = this.oauth.accessToken(bank, bearer(req));
    if (!token || token.grant !== 'authorization_code' || !token.consentId) throw ObieError.unauthorized();
    this.checkBinding(req, token);
    const consent = this.ctx.store.consents.get(token.consentId);
    const now = bank.now();
    if (!consent) throw ObieError.unauthorized();
    if (consent.status !== 'Authorised') throw ObieError.forbidden(`The consent is ${consent.status}`);
    // OBIE error codes: InvalidConsentStatus is "the consent is not in a state that allows the call";
    // ConsentMismatch is for what the consent does not grant (a permission), below.
    if (consent.expiresAt && consent.expiresAt <= now)
      throw ObieError.forbidden(
        'The consent has expired (ExpirationDateTime has passed)',
        'UK.OBIE.Resource.InvalidConsentStatus',
      );
    if (!permits(consent.permissions ?? [], resource))
      throw ObieError.forbidden(
        `The consent does not grant the permission for ${resource}`,
        'UK.OBIE.Resource.ConsentMismatch',
      );
    if (accountId !== null && !consent.accountIds.includes(accountId))
      throw ObieError.notFound('No account with this AccountId under this consent');
    const psuPresent = header(req, 'x-fapi-customer-ip-address') !== undefined;
    const decision = bank.limiter.record(
      consent.id,
      accountId ?? CONSENT_SCOPE,
      counterResource,
      psuPresent,
      bank.faults.faults.unattendedPerDay,
      now,
    );
    if (!decision.allowed) {
      throw new ObieError(429, 'UK.OBIE.Rules.AccessLimitExceeded', 'Unattended access limit reached', undefined, {
        'retry-after': String(bank.clock.realSecondsUntil(decision.retryAtBankMs)),
      });
    }
    return { bank, consent, token, now };
  }

  accounts(c: ResourceContext): Account[] {
    return c.consent.accountIds.map((id) => c.bank.data.account(id)).filter((a): a is Account => a !== undefined);
  }

  accountBody(f: ObieFlavour, c: ResourceContext, a: Account): Record<string, unknown> {
    const perms = c.consent.permissions ?? [];
    const detail = perms.includes('ReadAccountsDetail');
    const subType = a.kind === 'credit_card' ? 'CreditCard' : a.kind === 'savings' ? 'Savings' : 'CurrentAccount';
    const out: Record<string, unknown> = {
      AccountId: a.id,
      Status: 'Enabled',
      ...(f.quirks
        ? {}
        : { StatusUpdateDateTime: this.dt(f, localInstant(a.openedDay, 540, c.bank.profile.timeZone)) }),
      Currency: a.currency,
      AccountType: a.kind === 'business' ? 'Business' : 'Personal',
      AccountSubType: subType,
    };
    if (!f.quirks) {
      out.Description = a.product;
      out.Nickname = a.nickname;
      out.OpeningDate = this.dt(f, localInstant(a.openedDay - 400 - a.index * 37, 540, c.bank.profile.timeZone));
    }
    if (detail || f.quirks) {
      out.Account = a.identifiers.map((i) => ({
        SchemeName: i.scheme,
        Identification: i.scheme === 'UK.OBIE.PAN' && !perms.includes('ReadPAN') ? a.maskedPan! : i.identification,
        ...(i.name && !f.quirks ? { Name: i.name } : {}),
      }));
      out.Servicer = { SchemeName: f.quirks ? 'BICFI' : 'UK.OBIE.BICFI', Identification: c.bank.profile.bic };
    }
    return out;
  }

  balances(f: ObieFlavour, c: ResourceContext, a: Account): Record<string, unknown>[] {
    const ledger = c.bank.data.ledger(a.id);
    const booked = ledger.bookedBalance(c.now);
    const available = booked.plus(ledger.pendingSum(c.now));
    const ccy = a.currency;
    const when = this.dt(f, c.now);
    const cd = (d: Decimal) => (d.isNegative() ? 'Debit' : 'Credit');
    if (f.quirks) {
      // Seed 003: Available / Closing / Outstanding, CreditLine as a single object.
      const line = a.creditLimit
        ? { CreditLine: { Included: true, Amount: this.amount(f, a.creditLimit, ccy), Type: 'Credit' } }
        : {};
      const rows: Record<string, unknown>[] = [
        {
          AccountId: a.id,
          Amount: this.amount(f, a.creditLimit ? a.creditLimit.plus(available) : available, ccy),
          CreditDebitIndicator: cd(a.creditLimit ? a.creditLimit.plus(available) : available),
          Type: 'Available',
          DateTime: when,
          ...line,
        },
        {
          AccountId: a.id,
          Amount: this.amount(f, booked, ccy),
          CreditDebitIndicator: cd(booked),
          Type: 'Closing',
          DateTime: when,
          ...line,
        },
      ];
      if (a.creditLimit)
        rows.push({
          AccountId: a.id,
          Amount: this.amount(f, booked, ccy),
          CreditDebitIndicator: 'Debit',
          Type: 'Outstanding',
          DateTime: when,
          ...line,
        });
      return rows;
    }
    const line = a.creditLimit
      ? {
          CreditLine: [
            { Included: true, Type: 'Credit', Amount: { Amount: formatAmount(a.creditLimit, ccy), Currency: ccy } },
          ],
        }
      : {};
    const yesterdayEnd =
      localInstant(localDayNumber(c.now, c.bank.profile.timeZone), 0, c.bank.profile.timeZone) - 1000;
    const closing = ledger.balanceAtEndOfDay(localDayNumber(c.now, c.bank.profile.timeZone) - 1);
    return [
      {
        AccountId: a.id,
        CreditDebitIndicator: cd(available),
        Type: 'InterimAvailable',
        DateTime: when,
        Amount: { Amount: absAmount(available, ccy), Currency: ccy },
        ...line,
      },
      {
        AccountId: a.id,
        CreditDebitIndicator: cd(booked),
        Type: 'InterimBooked',
        DateTime: when,
        Amount: { Amount: absAmount(booked, ccy), Currency: ccy },
      },
      {
        AccountId: a.id,
        CreditDebitIndicator: cd(closing),
        Type: 'ClosingBooked',
        DateTime: this.dt(f, yesterdayEnd),
        Amount: { Amount: absAmount(closing, ccy), Currency: ccy },
      },
    ];
  }

  /** Transactions the consent lets the client see for an account, newest first. */
  transactions(c: ResourceContext, a: Account, fromMs: number, toMs: number, snapshot: number): TxnView[] {
    const perms = c.consent.permissions ?? [];
    const from = Math.max(fromMs, c.consent.transactionFrom ?? -Infinity);
    const to = Math.min(toMs, c.consent.transactionTo ?? Infinity);
    const ledger = c.bank.data.ledger(a.id);
    const all = [
      ...ledger.booked(snapshot, from, to),
      ...ledger.pending(snapshot).filter((t) => t.originMs >= from && t.originMs <= to),
    ];
    return all
      .filter((t) =>
        t.amount.isNegative() ? perms.includes('ReadTransactionsDebits') : perms.includes('ReadTransactionsCredits'),
      )
      .sort((x, y) => when(y) - when(x) || (x.key < y.key ? 1 : -1));
  }

  transactionBody(f: ObieFlavour, c: ResourceContext, a: Account, t: TxnView): Record<string, unknown> {
    const ccy = a.currency;
    const detail = (c.consent.permissions ?? []).includes('ReadTransactionsDetail');
    const credit = !t.amount.isNegative();
    if (f.quirks) {
      const ident = a.maskedPan ?? a.iban!;
      // Seed 003 data quirks (alsalam-quirks.ts): the ledger keeps sign and date, the wire loses them.
      const placeholderDate = t.wireQuirk === 'placeholderBookingDate' && t.status === 'booked';
      return {
        AccountId: a.id,
        Amount: t.fx ? { Amount: trimmedAmount(t.amount, ccy), Currency: ccy } : this.amount(f, t.amount, ccy),
        ...(t.wireQuirk === 'noCreditDebitIndicator' ? {} : { CreditDebitIndicator: credit ? 'Credit' : 'Debit' }),
        Status: t.status === 'booked' ? 'Booked' : 'Pending',
        BookingDateTime: placeholderDate ? ALSALAM_PLACEHOLDER_BOOKING_DATE_TIME : this.dt(f, when(t)),
        ...(detail ? { TransactionInformation: t.kind === 'card' ? 'PURCHASE' : t.description } : {}),
        ProprietaryBankTransactionCode:
          t.kind === 'card' || t.kind === 'card_refund' ? { Code: t.kind === 'card' ? 'PURCHASE' : 'REFUND' } : {},
        DebtorAgent: { SchemeName: ident, Identification: ident },
        DebtorAccount: {},
      };
    }
    const out: Record<string, unknown> = { AccountId: a.id };
    const id = t.status === 'booked' ? t.bookedId : t.pendingId;
    if (id) out.TransactionId = id;
    if (t.reference) out.TransactionReference = t.reference;
    Object.assign(out, {
      CreditDebitIndicator: credit ? 'Credit' : 'Debit',
      Status: t.status === 'booked' ? 'Booked' : 'Pending',
      TransactionMutability: t.status === 'booked' ? 'Immutable' : 'Mutable',
      BookingDateTime: this.dt(f, when(t)),
      ValueDateTime: this.dt(f, t.originMs),
      Amount: { Amount: absAmount(t.amount, ccy), Currency: ccy },
    });
    if (detail) out.TransactionInformation = t.description;
    if (t.fx) {
      out.CurrencyExchange = {
        SourceCurrency: t.fx.currency,
        TargetCurrency: ccy,
        UnitCurrency: t.fx.currency,
        ExchangeRate: t.fx.rate.toNumber(),
        InstructedAmount: { Amount: t.fx.instructedAmount.toFixed(2), Currency: t.fx.currency },
      };
    }
    out.BankTransactionCode = bankCode(t);
    out.ProprietaryBankTransactionCode = { Code: t.kind.toUpperCase(), Issuer: c.bank.profile.name };
    if (detail && t.status === 'booked') {
      const bal = c.bank.data.ledger(a.id).bookedBalance(t.bookingMs);
      out.Balance = {
        CreditDebitIndicator: bal.isNegative() ? 'Debit' : 'Credit',
        Type: 'InterimBooked',
        Amount: { Amount: absAmount(bal, ccy), Currency: ccy },
      };
    }
    if (detail && t.merchant)
      out.MerchantDetails = { MerchantName: t.merchant.name, MerchantCategoryCode: t.merchant.mcc };
    if (detail && t.counterparty) {
      const acct = t.counterparty.sortCodeAccountNumber
        ? {
            SchemeName: 'UK.OBIE.SortCodeAccountNumber',
            Identification: t.counterparty.sortCodeAccountNumber,
            Name: t.counterparty.name.slice(0, 350),
          }
        : t.counterparty.iban
          ? { SchemeName: 'UK.OBIE.IBAN', Identification: t.counterparty.iban, Name: t.counterparty.name }
          : { Name: t.counterparty.name };
      out[credit ? 'DebtorAccount' : 'CreditorAccount'] = acct;
    }
    if (detail && a.pan && (t.kind === 'card' || t.kind === 'card_refund')) {
      out.CardInstrument = {
        CardSchemeName: a.pan.startsWith('4') ? 'VISA' : 'MasterCard',
        AuthorisationType: 'Contactless',
        Identification: a.maskedPan,
      };
    }
    return out;
  }

  /** Monthly statements for complete months of visible history. */
  statements(c: ResourceContext, a: Account): { id: string; startDay: number; endDay: number }[] {
    const ledger = c.bank.data.ledger(a.id);
    const today = localDayNumber(c.now, c.bank.profile.timeZone);
    const out: { id: string; startDay: number; endDay: number }[] = [];
    let day = ledger.visibleStartDay(c.now);
    while (true) {
      const md = monthDay(day);
      const end = day + md.daysInMonth - md.day;
      if (end >= today) break;
      out.push({ id: `st-${stableId(9, a.id, md.year, md.month)}`, startDay: day, endDay: end });
      day = end + 1;
    }
    return out.reverse();
  }

  statementBody(f: ObieFlavour, c: ResourceContext, a: Account, s: { id: string; startDay: number; endDay: number }) {
    const tz = c.bank.profile.timeZone;
    const ledger = c.bank.data.ledger(a.id);
    const opening = ledger.balanceAtEndOfDay(s.startDay - 1);
    const closing = ledger.balanceAtEndOfDay(s.endDay);
    const detail = (c.consent.permissions ?? []).includes('ReadStatementsDetail');
    const amt = (d: Decimal, type: string) => ({
      Amount: { Amount: absAmount(d, a.currency), Currency: a.currency },
      CreditDebitIndicator: d.isNegative() ? 'Debit' : 'Credit',
      Type: type,
    });
    return {
      AccountId: a.id,
      StatementId: s.id,
      StatementReference: `${dayNumberToDate(s.startDay).slice(0, 7)}`,
      Type: 'RegularPeriodic',
      StartDateTime: this.dt(f, localInstant(s.startDay, 0, tz)),
      EndDateTime: this.dt(f, localInstant(s.endDay + 1, 0, tz) - 1000),
      CreationDateTime: this.dt(f, localInstant(s.endDay + 1, 120, tz)),
      StatementDescription: [`${c.bank.profile.name} statement ${dayNumberToDate(s.startDay).slice(0, 7)}`],
      ...(detail
        ? { StatementAmount: [amt(opening, 'UK.OBIE.PreviousClosingBalance'), amt(closing, 'UK.OBIE.ClosingBalance')] }
        : {}),
    };
  }

  partyBody(c: ResourceContext, a: Account | null) {
    const psu = c.bank.data.psu(c.consent.psu ?? '');
    const name = a ? a.ownerName : (psu?.name ?? 'Unknown');
    return {
      PartyId:
        a && a.kind === 'business'
          ? stableId(9, a.id, 'party')
          : (c.bank.data.accountsOf(c.consent.psu ?? '')[0]?.partyId ?? 'unknown'),
      PartyType: 'Sole',
      Name: name,
      ...(a && a.kind === 'business' ? { PartyNumber: stableId(6, a.id, 'number') } : {}),
      EmailAddress: `${(psu?.username ?? 'psu').toLowerCase()}@example.com`,
    };
  }

  beneficiaries(c: ResourceContext, a: Account) {
    const detail = (c.consent.permissions ?? []).includes('ReadBeneficiariesDetail');
    return a.recurring
      .filter((r) => r.amount?.isNegative() && (r.counterpartyIban || r.counterpartySortCodeAccount))
      .map((r) => ({
        AccountId: a.id,
        BeneficiaryId: `bn-${r.id}`,
        BeneficiaryType: 'Ordinary',
        Reference: r.reference.slice(0, 35),
        ...(detail ? { CreditorAccount: creditor(r) } : {}),
      }));
  }

  standingOrders(f: ObieFlavour, c: ResourceContext, a: Account) {
    const detail = (c.consent.permissions ?? []).includes('ReadStandingOrdersDetail');
    const tz = c.bank.profile.timeZone;
    return a.recurring
      .filter((r) => r.instrument === 'standing_order' && r.amount)
      .map((r) => {
        const next = nextOccurrence(localDayNumber(c.now, tz), r.dayOfMonth);
        const amount = { Amount: absAmount(r.amount!, a.currency), Currency: a.currency };
        return {
          AccountId: a.id,
          StandingOrderId: `so-${r.id}`,
          Frequency: `IntrvlMnthDay:01:${String(r.dayOfMonth).padStart(2, '0')}`,
          Reference: r.reference.slice(0, 35),
          FirstPaymentDateTime: this.dt(f, localInstant(nextOccurrence(r.startDay, r.dayOfMonth), 360, tz)),
          NextPaymentDateTime: this.dt(f, localInstant(next, 360, tz)),
          StandingOrderStatusCode: 'Active',
          FirstPaymentAmount: amount,
          NextPaymentAmount: amount,
          ...(detail ? { CreditorAccount: creditor(r) } : {}),
        };
      });
  }

  directDebits(f: ObieFlavour, c: ResourceContext, a: Account) {
    const tz = c.bank.profile.timeZone;
    return a.recurring
      .filter((r) => r.instrument === 'direct_debit' && r.mandateId)
      .map((r) => {
        const last = c.bank.data
          .ledger(a.id)
          .booked(c.now)
          .filter((t) => t.recurringId === r.id)
          .pop();
        return {
          AccountId: a.id,
          DirectDebitId: `dd-${r.id}`,
          MandateIdentification: r.mandateId!,
          DirectDebitStatusCode: 'Active',
          Name: r.counterparty.slice(0, 70),
          ...(last
            ? {
                PreviousPaymentDateTime: this.dt(f, last.bookingMs),
                PreviousPaymentAmount: { Amount: absAmount(last.amount, a.currency), Currency: a.currency },
              }
            : {}),
        };
      })
      .filter(() => tz.length > 0);
  }

  scheduledPayments(f: ObieFlavour, c: ResourceContext, a: Account) {
    const detail = (c.consent.permissions ?? []).includes('ReadScheduledPaymentsDetail');
    const tz = c.bank.profile.timeZone;
    return a.recurring
      .filter((r) => r.instrument === 'standing_order' && r.amount)
      .map((r) => ({
        AccountId: a.id,
        ScheduledPaymentId: `sp-${r.id}`,
        ScheduledPaymentDateTime: this.dt(
          f,
          localInstant(nextOccurrence(localDayNumber(c.now, tz) + 1, r.dayOfMonth), 360, tz),
        ),
        ScheduledType: 'Execution',
        Reference: r.reference.slice(0, 35),
        InstructedAmount: { Amount: absAmount(r.amount!, a.currency), Currency: a.currency },
        ...(detail ? { CreditorAccount: creditor(r) } : {}),
      }));
  }
}

/** The instant an OBIE client sees as BookingDateTime: booking for booked entries, origin for pending ones. */
export function when(t: TxnView): number {
  return t.status === 'booked' ? t.bookingMs : t.originMs;
}

function creditor(r: { counterparty: string; counterpartyIban?: string; counterpartySortCodeAccount?: string }) {
  return r.counterpartySortCodeAccount
    ? {
        SchemeName: 'UK.OBIE.SortCodeAccountNumber',
        Identification: r.counterpartySortCodeAccount,
        Name: r.counterparty,
      }
    : { SchemeName: 'UK.OBIE.IBAN', Identification: r.counterpartyIban ?? 'unknown', Name: r.counterparty };
}

function nextOccurrence(fromDay: number, dayOfMonth: number): number {
  let d = fromDay;
  for (let i = 0; i < 62; i++, d++) {
    const md = monthDay(d);
    if (md.day === Math.min(dayOfMonth, md.daysInMonth)) return d;
  }
  return fromDay;
}

function bankCode(t: TxnView): { Code: string; SubCode: string } {
  switch (t.kind) {
    case 'card':
      return { Code: 'IssuedCardTransactions', SubCode: 'PointOfSaleDebit' };
    case 'card_refund':
      return { Code: 'IssuedCardTransactions', SubCode: 'Reimbursement' };
    case 'salary':
    case 'savings_in':
    case 'invoice_in':
      return { Code: 'ReceivedCreditTransfers', SubCode: 'DomesticCreditTransfer' };
    case 'rent':
    case 'savings_out':
      return { Code: 'IssuedCreditTransfers', SubCode: 'StandingOrder' };
    case 'bill':
    case 'supplier':
    case 'card_repayment':
      return { Code: 'IssuedDirectDebits', SubCode: 'DirectDebitPayment' };
    case 'interest':
      return { Code: 'AccountManagement', SubCode: 'Interest' };
  }
}

function dateTimeOrThrow(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (
    typeof v !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) ||
    Number.isNaN(Date.parse(v))
  ) {
    throw ObieError.field(`${path} must be an ISO 8601 date-time with a time zone`, path, 'UK.OBIE.Field.InvalidDate');
  }
  return Date.parse(v);
}

/** Validates OBReadConsent1 exactly as the spec says (no unknown fields, known permissions, dates). */
export function validateConsentRequest(
  body: unknown,
  now: number,
): { permissions: string[]; expiresAt?: number; transactionFrom?: number; transactionTo?: number } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw ObieError.field('The body must be an OBReadConsent1 object');
  const root = body as Record<string, unknown>;
  for (const k of Object.keys(root))
    if (k !== 'Data' && k !== 'Risk') throw ObieError.field(`Unexpected field ${k}`, k, 'UK.OBIE.Field.Unexpected');
  const data = root.Data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw ObieError.field('Data is required', 'Data', 'UK.OBIE.Field.Missing');
  if (!root.Risk || typeof root.Risk !== 'object' || Array.isArray(root.Risk))
    throw ObieError.field('Risk is required', 'Risk', 'UK.OBIE.Field.Missing');
  if (Object.keys(root.Risk).length > 0)
    throw ObieError.field('Risk must be empty for account access', 'Risk', 'UK.OBIE.Field.Unexpected');
  const allowed = ['Permissions', 'ExpirationDateTime', 'TransactionFromDateTime', 'TransactionToDateTime'];
  for (const k of Object.keys(data))
    if (!allowed.includes(k))
      throw ObieError.field(`Unexpected field Data.${k}`, `Data.${k}`, 'UK.OBIE.Field.Unexpected');
  const perms = data.Permissions;
  if (!Array.isArray(perms) || perms.length === 0)
    throw ObieError.field(
      'Data.Permissions must list at least one permission',
      'Data.Permissions',
      'UK.OBIE.Field.Missing',
    );
  for (const p of perms)
    if (!(OBIE_PERMISSIONS as readonly unknown[]).includes(p))
      throw ObieError.field(`Unknown permission ${String(p)}`, 'Data.Permissions');
  const problem = permissionProblem(perms as string[]);
  if (problem) throw ObieError.field(problem, 'Data.Permissions', 'UK.OBIE.Field.Invalid');
  const expiresAt = dateTimeOrThrow(data.ExpirationDateTime, 'Data.ExpirationDateTime');
  const transactionFrom = dateTimeOrThrow(data.TransactionFromDateTime, 'Data.TransactionFromDateTime');
  const transactionTo = dateTimeOrThrow(data.TransactionToDateTime, 'Data.TransactionToDateTime');
  if (expiresAt !== undefined && expiresAt <= now)
    throw ObieError.field('ExpirationDateTime is in the past', 'Data.ExpirationDateTime', 'UK.OBIE.Field.InvalidDate');
  if (transactionFrom !== undefined && transactionTo !== undefined && transactionFrom > transactionTo) {
    throw ObieError.field(
      'TransactionFromDateTime is after TransactionToDateTime',
      'Data.TransactionFromDateTime',
      'UK.OBIE.Field.InvalidDate',
    );
  }
  return { permissions: perms as string[], expiresAt, transactionFrom, transactionTo };
}

/** Parses fromBookingDateTime / toBookingDateTime; the spec says any time zone is ignored. */
export function bookingRange(q: Record<string, string | undefined>): { from: number; to: number } {
  const parse = (v: string | undefined, name: string, end: boolean): number => {
    if (v === undefined) return end ? Infinity : -Infinity;
    const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(v);
    if (!m || Number.isNaN(Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}Z`)))
      throw ObieError.field(`${name} must be an ISO 8601 date-time`, name, 'UK.OBIE.Field.InvalidDate');
    return Date.parse(`${m[1]}T${m[2] ?? (end ? '23:59:59.999' : '00:00:00')}Z`);
  };
  const from = parse(q.fromBookingDateTime, 'fromBookingDateTime', false);
  const to = parse(q.toBookingDateTime, 'toBookingDateTime', true);
  if (from > to)
    throw ObieError.field(
      'fromBookingDateTime is after toBookingDateTime',
      'fromBookingDateTime',
      'UK.OBIE.Field.InvalidDate',
    );
  return { from, to };
}
