import {
  assignTransactionIdentities,
  isCurrencyCode,
  localDateOf,
  money,
  signedMoney,
  type Account,
  type AccountIdentifier,
  type AccountIdentifierScheme,
  type AccountStatus,
  type Balance,
  type BalanceType,
  type Counterparty,
  type CreditLine,
  type Transaction,
  type TransactionDraft,
} from '@ais/domain';
import type {
  Beneficiary,
  CounterpartyAccount,
  DirectDebit,
  Party,
  ScheduledPayment,
  StandingOrder,
  Statement,
} from '../connector.js';
import { WireViolation } from '../mapping.js';
import type {
  ObAccount6,
  ObBalance,
  ObBeneficiary5,
  ObDirectDebit2,
  ObParty2,
  ObScheduledPayment3,
  ObStandingOrder6,
  ObStatement2,
  ObTransaction6,
} from './obie.wire.js';

/**
 * Pure mapping from OBIE 3.1 wire objects to the normalised domain. Nothing here does I/O; what
 * differs between banks comes in through `ObieMappingRules` (from the bank profile).
 */
export interface ObieMappingRules {
  /** The bank's calendar: booking instants become local dates in this zone. */
  timeZone: string;
  /** Balance type codes the bank uses (the OBIE set, plus a bank's own names). */
  balanceTypes: Readonly<Record<string, BalanceType>>;
  /** The value a pending item and the booked item that replaces it share, if the bank links them. */
  pendingLink: (t: ObTransaction6) => string | null;
}

const SCHEMES: Readonly<Record<string, AccountIdentifierScheme>> = {
  IBAN: 'iban',
  BBAN: 'bban',
  SortCodeAccountNumber: 'sortCodeAccountNumber',
  PAN: 'pan',
  Paym: 'msisdn',
  MSISDN: 'msisdn',
};

/** `UK.OBIE.IBAN`, `BH.OBF.IBAN` and `IBAN` are all `iban`; unknown schemes are `other`. */
export function obieScheme(schemeName: string): AccountIdentifierScheme {
  const last = schemeName.split('.').at(-1) ?? schemeName;
  return SCHEMES[last] ?? 'other';
}

function identifier(a: {
  SchemeName?: string;
  Identification?: string;
  Name?: string;
  SecondaryIdentification?: string;
}): AccountIdentifier | null {
  if (!a.Identification || !a.SchemeName) return null;
  const scheme = obieScheme(a.SchemeName);
  return {
    scheme,
    identification: a.Identification,
    ...(a.Name !== undefined ? { name: a.Name } : {}),
    ...(scheme === 'other' || a.SchemeName !== `UK.OBIE.${a.SchemeName.split('.').at(-1)}`
      ? { schemeName: a.SchemeName }
      : {}),
    ...(a.SecondaryIdentification !== undefined ? { secondaryIdentification: a.SecondaryIdentification } : {}),
  };
}

const STATUS: Readonly<Record<string, AccountStatus>> = {
  Enabled: 'enabled',
  Disabled: 'disabled',
  Deleted: 'deleted',
  Pending: 'pending',
  ProForma: 'proForma',
};

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function mapObieAccount(a: ObAccount6, rules: ObieMappingRules, fallbackCurrency?: string): Account {
  const currency = a.Currency ?? fallbackCurrency;
  if (!currency || !isCurrencyCode(currency)) throw new WireViolation(`account ${a.AccountId} has no currency`);
  const identifiers = (a.Account ?? []).map(identifier).filter((i): i is AccountIdentifier => i !== null);
  const holderName = (a.Account ?? []).find((i) => i.Name)?.Name ?? null;
  return {
    externalId: a.AccountId,
    type: a.AccountType === 'Business' ? 'business' : a.AccountType === 'Personal' ? 'personal' : 'unknown',
    subtype: a.AccountSubType ? lowerFirst(a.AccountSubType) : null,
    currency,
    name: a.Description ?? null,
    nickname: a.Nickname ?? null,
    identifiers,
    servicer: a.Servicer ? { scheme: a.Servicer.SchemeName, identification: a.Servicer.Identification } : null,
    status: a.Status ? (STATUS[a.Status] ?? 'unknown') : 'enabled',
    openedAt: a.OpeningDate ? localDateOf(a.OpeningDate, rules.timeZone) : null,
    ownerName: holderName,
    product: null,
    raw: a,
  };
}

function balanceType(code: string, rules: ObieMappingRules): BalanceType {
  const type = rules.balanceTypes[code];
  if (!type) throw new WireViolation(`unknown balance type "${code}"`);
  return type;
}

function creditLines(lines: ObBalance['CreditLine']): CreditLine[] {
  return (lines ?? []).map((l) => ({
    included: l.Included,
    type: l.Type ?? null,
    amount: l.Amount ? money(l.Amount.Amount, l.Amount.Currency) : null,
  }));
}

export function mapObieBalance(b: ObBalance, rules: ObieMappingRules): Balance {
  return {
    type: balanceType(b.Type, rules),
    originalType: b.Type,
    amount: signedMoney(b.Amount.Amount, b.Amount.Currency, b.CreditDebitIndicator === 'Debit' ? 'debit' : 'credit'),
    creditLines: creditLines(b.CreditLine),
    referenceDate: localDateOf(b.DateTime, rules.timeZone),
    referenceAt: new Date(b.DateTime).toISOString(),
  };
}

/** Balances grouped by account, in the bank's order. */
export function mapObieBalances(items: readonly ObBalance[], rules: ObieMappingRules): Map<string, Balance[]> {
  const out = new Map<string, Balance[]>();
  for (const b of items) {
    const list = out.get(b.AccountId) ?? [];
    list.push(mapObieBalance(b, rules));
    out.set(b.AccountId, list);
  }
  return out;
}

function counterparty(t: ObTransaction6, credit: boolean): Counterparty | null {
  // Money in: the counterparty is the debtor; money out: the creditor.
  const account = credit ? t.DebtorAccount : t.CreditorAccount;
  const agent = credit ? t.DebtorAgent : t.CreditorAgent;
  const id = account ? identifier(account) : null;
  const name = account?.Name ?? null;
  if (!id && name === null) return null;
  return { name, identifiers: id ? [id] : [], agent: agent?.Identification ?? null };
}

/**
 * Booking instants before this are placeholders, not dates (Al Salam sends 0001-01-02T21:00:00.000+0000,
 * seed 003; 1753-01-01 and 1970-01-01 are the other usual "no date" values). Such an item cannot be
 * placed on a booking date, so it would silently fall outside every window: the response is refused.
 */
const EARLIEST_BOOKING_MS = Date.UTC(1970, 0, 2);

export function mapObieTransactionDraft(t: ObTransaction6, rules: ObieMappingRules): TransactionDraft | null {
  if (t.Status === 'Rejected') return null;
  if (Date.parse(t.BookingDateTime) < EARLIEST_BOOKING_MS)
    throw new WireViolation(`transaction BookingDateTime ${t.BookingDateTime} is a placeholder, not a booking date`);
  const credit = t.CreditDebitIndicator === 'Credit';
  const fx = t.CurrencyExchange;
  return {
    externalId: t.TransactionId ?? null,
    status: t.Status === 'Booked' ? 'booked' : 'pending',
    bookingDate: localDateOf(t.BookingDateTime, rules.timeZone),
    valueDate: t.ValueDateTime ? localDateOf(t.ValueDateTime, rules.timeZone) : null,
    bookedAt: new Date(t.BookingDateTime).toISOString(),
    amount: signedMoney(t.Amount.Amount, t.Amount.Currency, credit ? 'credit' : 'debit'),
    description: t.TransactionInformation ?? '',
    merchant: t.MerchantDetails
      ? { name: t.MerchantDetails.MerchantName ?? null, categoryCode: t.MerchantDetails.MerchantCategoryCode ?? null }
      : null,
    counterparty: counterparty(t, credit),
    bankTransactionCode:
      t.BankTransactionCode || t.ProprietaryBankTransactionCode
        ? {
            code: t.BankTransactionCode?.Code ?? null,
            subCode: t.BankTransactionCode?.SubCode ?? null,
            proprietaryCode: t.ProprietaryBankTransactionCode?.Code ?? null,
            proprietaryIssuer: t.ProprietaryBankTransactionCode?.Issuer ?? null,
          }
        : null,
    reference: t.TransactionReference ?? null,
    runningBalance: t.Balance
      ? {
          amount: signedMoney(
            t.Balance.Amount.Amount,
            t.Balance.Amount.Currency,
            t.Balance.CreditDebitIndicator === 'Debit' ? 'debit' : 'credit',
          ),
          type: rules.balanceTypes[t.Balance.Type] ?? null,
          originalType: t.Balance.Type,
        }
      : null,
    currencyExchange: fx
      ? {
          sourceCurrency: fx.SourceCurrency,
          targetCurrency: fx.TargetCurrency ?? null,
          unitCurrency: fx.UnitCurrency ?? null,
          // The spec types ExchangeRate as a JSON number: keep its shortest exact decimal text.
          exchangeRate: String(fx.ExchangeRate),
          instructedAmount: fx.InstructedAmount
            ? money(fx.InstructedAmount.Amount, fx.InstructedAmount.Currency)
            : null,
          quotationDate: fx.QuotationDate ? localDateOf(fx.QuotationDate, rules.timeZone) : null,
          contractIdentification: fx.ContractIdentification ?? null,
        }
      : null,
    pendingLink: rules.pendingLink(t),
    raw: t,
  };
}

/** Transactions grouped by account with identities assigned per account, in the bank's order. */
export function mapObieTransactions(
  items: readonly ObTransaction6[],
  rules: ObieMappingRules,
): Map<string, Transaction[]> {
  const drafts = mapObieTransactionDrafts(items, rules);
  return new Map([...drafts].map(([accountId, list]) => [accountId, assignTransactionIdentities(list)]));
}

/** A page's transactions by account, in the bank's order, before identities (see assembleTransactionPages). */
export function mapObieTransactionDrafts(
  items: readonly ObTransaction6[],
  rules: ObieMappingRules,
): Map<string, TransactionDraft[]> {
  const drafts = new Map<string, TransactionDraft[]>();
  for (const t of items) {
    const d = mapObieTransactionDraft(t, rules);
    if (!d) continue;
    const list = drafts.get(t.AccountId) ?? [];
    list.push(d);
    drafts.set(t.AccountId, list);
  }
  return drafts;
}

function counterpartyAccount(
  a: { SchemeName: string; Identification: string; Name?: string } | undefined,
): CounterpartyAccount | null {
  return a ? { scheme: obieScheme(a.SchemeName), identification: a.Identification, name: a.Name ?? null } : null;
}

const optMoney = (a: { Amount: string; Currency: string } | undefined) => (a ? money(a.Amount, a.Currency) : null);
const instant = (s: string | undefined) => (s ? new Date(s).toISOString() : null);

export function mapObieStatement(s: ObStatement2): Statement {
  return {
    externalId: s.StatementId ?? null,
    accountId: s.AccountId,
    type: s.Type,
    reference: s.StatementReference ?? null,
    startAt: new Date(s.StartDateTime).toISOString(),
    endAt: new Date(s.EndDateTime).toISOString(),
    createdAt: new Date(s.CreationDateTime).toISOString(),
    description: s.StatementDescription ?? [],
    amounts: (s.StatementAmount ?? []).map((a) => ({
      type: a.Type,
      amount: signedMoney(a.Amount.Amount, a.Amount.Currency, a.CreditDebitIndicator === 'Debit' ? 'debit' : 'credit'),
    })),
    raw: s,
  };
}

export function mapObieParty(p: ObParty2): Party {
  return {
    externalId: p.PartyId,
    number: p.PartyNumber ?? null,
    type: p.PartyType ?? null,
    name: p.Name ?? null,
    fullLegalName: p.FullLegalName ?? null,
    email: p.EmailAddress ?? null,
    phone: p.Phone ?? null,
    mobile: p.Mobile ?? null,
    addresses: (p.Address ?? []).map((a) => ({
      type: a.AddressType ?? null,
      lines: a.AddressLine ?? [],
      street: a.StreetName ?? null,
      buildingNumber: a.BuildingNumber ?? null,
      postCode: a.PostCode ?? null,
      town: a.TownName ?? null,
      countrySubDivision: a.CountrySubDivision ?? null,
      country: a.Country,
    })),
    raw: p,
  };
}

export function mapObieBeneficiary(b: ObBeneficiary5): Beneficiary {
  return {
    externalId: b.BeneficiaryId ?? null,
    accountId: b.AccountId ?? null,
    type: b.BeneficiaryType ?? null,
    reference: b.Reference ?? null,
    creditorAccount: counterpartyAccount(b.CreditorAccount),
    creditorAgent: b.CreditorAgent?.Identification ?? null,
    raw: b,
  };
}

export function mapObieStandingOrder(s: ObStandingOrder6): StandingOrder {
  return {
    externalId: s.StandingOrderId ?? null,
    accountId: s.AccountId,
    frequency: s.Frequency,
    reference: s.Reference ?? null,
    status: s.StandingOrderStatusCode ?? null,
    firstPaymentAt: instant(s.FirstPaymentDateTime),
    nextPaymentAt: instant(s.NextPaymentDateTime),
    lastPaymentAt: instant(s.LastPaymentDateTime),
    finalPaymentAt: instant(s.FinalPaymentDateTime),
    numberOfPayments: s.NumberOfPayments ?? null,
    firstPaymentAmount: optMoney(s.FirstPaymentAmount),
    nextPaymentAmount: optMoney(s.NextPaymentAmount),
    lastPaymentAmount: optMoney(s.LastPaymentAmount),
    finalPaymentAmount: optMoney(s.FinalPaymentAmount),
    creditorAccount: counterpartyAccount(s.CreditorAccount),
    raw: s,
  };
}

export function mapObieDirectDebit(d: ObDirectDebit2): DirectDebit {
  return {
    externalId: d.DirectDebitId ?? null,
    accountId: d.AccountId,
    mandateIdentification: d.MandateIdentification,
    name: d.Name,
    status: d.DirectDebitStatusCode ?? null,
    frequency: d.Frequency ?? null,
    previousPaymentAt: instant(d.PreviousPaymentDateTime),
    previousPaymentAmount: optMoney(d.PreviousPaymentAmount),
    raw: d,
  };
}

export function mapObieScheduledPayment(s: ObScheduledPayment3): ScheduledPayment {
  return {
    externalId: s.ScheduledPaymentId ?? null,
    accountId: s.AccountId,
    scheduledAt: new Date(s.ScheduledPaymentDateTime).toISOString(),
    scheduledType: s.ScheduledType,
    reference: s.Reference ?? null,
    debtorReference: s.DebtorReference ?? null,
    amount: money(s.InstructedAmount.Amount, s.InstructedAmount.Currency),
    creditorAccount: counterpartyAccount(s.CreditorAccount),
    raw: s,
  };
}
