import {
  assignTransactionIdentities,
  BERLIN_GROUP_BALANCE_TYPES,
  money,
  negateMoney,
  type Account,
  type AccountIdentifier,
  type Balance,
  type Counterparty,
  type Transaction,
  type TransactionDraft,
} from '@ais/domain';
import type { StandingOrder } from '../connector.js';
import { WireViolation } from '../mapping.js';
import type {
  BgAccountDetails,
  BgAccountReference,
  BgBalance,
  BgCardAccountDetails,
  BgCardTransaction,
  BgStandingOrder,
  BgTransaction,
} from './bg.wire.js';

/** What differs between Berlin Group banks when mapping (from the bank profile). */
export interface BgMappingRules {
  timeZone: string;
  /** Merchant category code when the bank puts it somewhere non-standard (Salt Bank: additionalInformation "MCC 5411"). */
  merchantCategoryCode: (t: BgTransaction) => string | null;
  pendingLink: (t: BgTransaction) => string | null;
}

export function bgIdentifiers(ref: BgAccountReference | undefined): AccountIdentifier[] {
  if (!ref) return [];
  const out: AccountIdentifier[] = [];
  if (ref.iban) out.push({ scheme: 'iban', identification: ref.iban });
  if (ref.bban) out.push({ scheme: 'bban', identification: ref.bban });
  if (ref.maskedPan) out.push({ scheme: 'pan', identification: ref.maskedPan });
  if (ref.pan) out.push({ scheme: 'pan', identification: ref.pan });
  if (ref.msisdn) out.push({ scheme: 'msisdn', identification: ref.msisdn });
  if (ref.other)
    out.push({
      scheme: 'other',
      identification: ref.other.identification,
      ...(ref.other.schemeNameCode ? { schemeName: ref.other.schemeNameCode } : {}),
    });
  return out;
}

const SUBTYPE: Readonly<Record<string, string>> = {
  CACC: 'currentAccount',
  SVGS: 'savings',
  CARD: 'creditCard',
  LOAN: 'loan',
  MOMA: 'moneyMarket',
  TRAN: 'transacting',
};

export function mapBgAccount(a: BgAccountDetails): Account {
  if (!a.resourceId) throw new WireViolation('an account has no resourceId: it cannot be read further');
  return {
    externalId: a.resourceId,
    type: a.usage === 'ORGA' ? 'business' : a.usage === 'PRIV' ? 'personal' : 'unknown',
    subtype: a.cashAccountType ? (SUBTYPE[a.cashAccountType] ?? a.cashAccountType) : null,
    currency: a.currency,
    name: a.name ?? a.product ?? null,
    nickname: a.displayName ?? null,
    identifiers: bgIdentifiers(a),
    servicer: a.bic ? { scheme: 'BICFI', identification: a.bic } : null,
    status: a.status ?? 'enabled',
    openedAt: null,
    ownerName: a.ownerName ?? null,
    product: a.product ?? null,
    raw: a,
  };
}

/**
 * Card accounts live under /v1/card-accounts, apart from payment accounts: their external id says so
 * (a resourceId is one path segment, so nothing else starts with this prefix), and every later call
 * for the account goes to the card endpoints.
 */
export const BG_CARD_ACCOUNT_PREFIX = 'card-accounts/';

export function bgCardAccountExternalId(resourceId: string): string {
  return `${BG_CARD_ACCOUNT_PREFIX}${resourceId}`;
}

/** The card account's resourceId, or null for a payment account. */
export function bgCardResourceId(externalId: string): string | null {
  return externalId.startsWith(BG_CARD_ACCOUNT_PREFIX) ? externalId.slice(BG_CARD_ACCOUNT_PREFIX.length) : null;
}

/** A card account: the masked PAN identifies it (`pan` scheme, masked as the bank sends it). */
export function mapBgCardAccount(a: BgCardAccountDetails): Account {
  if (!a.resourceId) throw new WireViolation('a card account has no resourceId: it cannot be read further');
  return {
    externalId: bgCardAccountExternalId(a.resourceId),
    type: a.usage === 'ORGA' ? 'business' : a.usage === 'PRIV' ? 'personal' : 'unknown',
    subtype: a.creditLimit ? 'creditCard' : 'card',
    currency: a.currency,
    name: a.name ?? a.product ?? null,
    nickname: a.displayName ?? null,
    identifiers: [{ scheme: 'pan', identification: a.maskedPan }],
    servicer: null,
    status: a.status ?? 'enabled',
    openedAt: null,
    ownerName: a.ownerName ?? null,
    product: a.product ?? null,
    raw: a,
  };
}

/**
 * `debitAccounting: true` (card accounts): the bank quotes debits positive, balances alike; the
 * normalised sign is the account holder's (negative = money out, a debt is negative).
 */
export function mapBgBalance(b: BgBalance, debitAccounting = false): Balance {
  const type = BERLIN_GROUP_BALANCE_TYPES[b.balanceType];
  if (!type) throw new WireViolation(`unknown balance type "${b.balanceType}"`);
  const amount = money(b.balanceAmount.amount, b.balanceAmount.currency);
  return {
    type,
    originalType: b.balanceType,
    amount: debitAccounting ? negateMoney(amount) : amount,
    creditLines: [],
    creditLimitIncluded: b.creditLimitIncluded ?? null,
    referenceDate: b.referenceDate ?? null,
    referenceAt: b.lastChangeDateTime ? new Date(b.lastChangeDateTime).toISOString() : null,
  };
}

function counterparty(t: BgTransaction, credit: boolean): Counterparty | null {
  const name = (credit ? t.debtorName : t.creditorName) ?? null;
  const ids = bgIdentifiers(credit ? t.debtorAccount : t.creditorAccount);
  if (name === null && ids.length === 0) return null;
  return { name, identifiers: ids, agent: (credit ? t.debtorAgent : t.creditorAgent) ?? null };
}

/** `asOf`: the bank-local date of the request, for a pending item that carries no date at all. */
export function mapBgTransactionDraft(
  t: BgTransaction,
  status: 'booked' | 'pending',
  rules: BgMappingRules,
  asOf: string,
): TransactionDraft {
  const amount = money(t.transactionAmount.amount, t.transactionAmount.currency);
  const credit = !amount.amount.startsWith('-');
  const bookingDate = t.bookingDate ?? t.valueDate ?? (status === 'pending' ? asOf : undefined);
  if (!bookingDate) throw new WireViolation('a booked transaction has neither bookingDate nor valueDate');
  const description =
    t.remittanceInformationUnstructured ??
    t.remittanceInformationUnstructuredArray?.join(' ') ??
    t.remittanceInformationStructured?.reference ??
    '';
  const mcc = rules.merchantCategoryCode(t);
  const cp = counterparty(t, credit);
  const fx = t.currencyExchange?.[0];
  return {
    externalId: t.transactionId ?? null,
    status,
    bookingDate,
    valueDate: t.valueDate ?? null,
    bookedAt: null,
    amount,
    description,
    merchant: mcc ? { name: cp?.name ?? null, categoryCode: mcc } : null,
    counterparty: cp,
    bankTransactionCode:
      t.bankTransactionCode || t.proprietaryBankTransactionCode
        ? {
            code: t.bankTransactionCode ?? null,
            subCode: null,
            proprietaryCode: t.proprietaryBankTransactionCode ?? null,
            proprietaryIssuer: null,
          }
        : null,
    reference: t.endToEndId ?? t.entryReference ?? null,
    runningBalance: t.balanceAfterTransaction
      ? {
          amount: money(
            t.balanceAfterTransaction.balanceAmount.amount,
            t.balanceAfterTransaction.balanceAmount.currency,
          ),
          type: BERLIN_GROUP_BALANCE_TYPES[t.balanceAfterTransaction.balanceType] ?? null,
          originalType: t.balanceAfterTransaction.balanceType,
        }
      : null,
    currencyExchange: fx
      ? {
          sourceCurrency: fx.sourceCurrency,
          targetCurrency: fx.targetCurrency,
          unitCurrency: fx.unitCurrency,
          exchangeRate: fx.exchangeRate,
          instructedAmount: null,
          quotationDate: fx.quotationDate,
          contractIdentification: fx.contractIdentification ?? null,
        }
      : null,
    pendingLink: rules.pendingLink(t),
    raw: t,
  };
}

/**
 * A card transaction (cardTransactions of /v1/card-accounts/{id}/transactions). The merchant is the
 * card acceptor; the transaction date stands in for a booking date while the item is pending.
 */
export function mapBgCardTransactionDraft(
  t: BgCardTransaction,
  status: 'booked' | 'pending',
  debitAccounting: boolean,
  asOf: string,
): TransactionDraft {
  const quoted = money(t.transactionAmount.amount, t.transactionAmount.currency);
  const amount = debitAccounting ? negateMoney(quoted) : quoted;
  const bookingDate = t.bookingDate ?? t.transactionDate ?? (status === 'pending' ? asOf : undefined);
  if (!bookingDate) throw new WireViolation('a booked card transaction has neither bookingDate nor transactionDate');
  const merchantName = t.transactionDetails?.slice(0, 140) ?? null;
  const fx = t.currencyExchange?.[0];
  return {
    externalId: t.cardTransactionId ?? null,
    status,
    bookingDate,
    valueDate: t.valueDate ?? null,
    bookedAt: null,
    amount,
    description: t.transactionDetails ?? t.cardAcceptorId ?? '',
    merchant:
      t.merchantCategoryCode || merchantName
        ? { name: merchantName, categoryCode: t.merchantCategoryCode ?? null }
        : null,
    counterparty: merchantName ? { name: merchantName, identifiers: [], agent: null } : null,
    bankTransactionCode: t.proprietaryBankTransactionCode
      ? { code: null, subCode: null, proprietaryCode: t.proprietaryBankTransactionCode, proprietaryIssuer: null }
      : null,
    reference: null,
    runningBalance: null,
    currencyExchange: fx
      ? {
          sourceCurrency: fx.sourceCurrency,
          targetCurrency: fx.targetCurrency,
          unitCurrency: fx.unitCurrency,
          exchangeRate: fx.exchangeRate,
          instructedAmount: t.originalAmount ? money(t.originalAmount.amount, t.originalAmount.currency) : null,
          quotationDate: fx.quotationDate,
          contractIdentification: fx.contractIdentification ?? null,
        }
      : null,
    pendingLink: null,
    raw: t,
  };
}

/** One page of a card account's transactions before identities: booked, then pending. */
export function mapBgCardTransactionDrafts(
  page: { booked: BgCardTransaction[]; pending: BgCardTransaction[] },
  debitAccounting: boolean,
  asOf: string,
): TransactionDraft[] {
  return [
    ...page.booked.map((t) => mapBgCardTransactionDraft(t, 'booked', debitAccounting, asOf)),
    ...page.pending.map((t) => mapBgCardTransactionDraft(t, 'pending', debitAccounting, asOf)),
  ];
}

const MONTHS_OF: Readonly<Record<string, number>> = {
  Monthly: 1,
  EveryTwoMonths: 2,
  Quarterly: 3,
  SemiAnnual: 6,
  Annual: 12,
};
const WEEKS_OF: Readonly<Record<string, number>> = { Weekly: 1, EveryTwoWeeks: 2 };
const two = (n: number) => String(n).padStart(2, '0');

/**
 * A Berlin Group frequency code in the OBIE frequency syntax the normalised standing order uses
 * (`IntrvlMnthDay:01:15`, `IntrvlWkDay:02:03`, `EvryDay`): the day of execution, or the start
 * date's day. A code with no OBIE equivalent (MonthlyVariable) is kept as the bank sent it.
 */
export function bgFrequency(details: { frequency: string; startDate: string; dayOfExecution?: string }): string {
  const start = new Date(`${details.startDate}T00:00:00Z`);
  if (details.frequency === 'Daily') return 'EvryDay';
  const weeks = WEEKS_OF[details.frequency];
  if (weeks !== undefined) {
    const weekday = details.dayOfExecution ? Number(details.dayOfExecution) : ((start.getUTCDay() + 6) % 7) + 1;
    return `IntrvlWkDay:${two(weeks)}:${two(weekday)}`;
  }
  const months = MONTHS_OF[details.frequency];
  if (months !== undefined) {
    const day = details.dayOfExecution ? Number(details.dayOfExecution) : start.getUTCDate();
    return `IntrvlMnthDay:${two(months)}:${two(day)}`;
  }
  return details.frequency;
}

/**
 * An active standing order (bookingStatus=information) in the normalised shape the OBIE connector
 * produces: the instructed amount unsigned (as OBIE quotes it), dates as instants at the start of the day.
 */
export function mapBgStandingOrder(accountId: string, t: BgStandingOrder): StandingOrder {
  const details = t.additionalInformationStructured.standingOrderDetails;
  const quoted = money(t.transactionAmount.amount, t.transactionAmount.currency);
  const amount = quoted.amount.startsWith('-') ? negateMoney(quoted) : quoted;
  const creditor = bgIdentifiers(t.creditorAccount)[0];
  return {
    externalId: t.transactionId ?? t.entryReference ?? null,
    accountId,
    frequency: bgFrequency(details),
    reference: t.remittanceInformationUnstructured ?? t.remittanceInformationUnstructuredArray?.join(' ') ?? null,
    status: 'Active',
    firstPaymentAt: `${details.startDate}T00:00:00.000Z`,
    nextPaymentAt: null,
    lastPaymentAt: null,
    finalPaymentAt: details.endDate ? `${details.endDate}T00:00:00.000Z` : null,
    numberOfPayments: null,
    firstPaymentAmount: null,
    nextPaymentAmount: amount,
    lastPaymentAmount: null,
    finalPaymentAmount: null,
    creditorAccount: creditor
      ? { scheme: creditor.scheme, identification: creditor.identification, name: t.creditorName ?? null }
      : null,
    raw: t,
  };
}

/** Booked then pending, each in the bank's order, with identities assigned over the whole account. */
export function mapBgTransactions(
  pages: { booked: BgTransaction[]; pending: BgTransaction[] }[],
  rules: BgMappingRules,
  asOf: string,
): Transaction[] {
  const drafts = pages.map((p) => mapBgTransactionDrafts(p, rules, asOf));
  return assignTransactionIdentities([
    ...drafts.flatMap((d) => d.filter((t) => t.status === 'booked')),
    ...drafts.flatMap((d) => d.filter((t) => t.status === 'pending')),
  ]);
}

/** One page's transactions before identities: its booked ones, then its pending ones. */
export function mapBgTransactionDrafts(
  page: { booked: BgTransaction[]; pending: BgTransaction[] },
  rules: BgMappingRules,
  asOf: string,
): TransactionDraft[] {
  return [
    ...page.booked.map((t) => mapBgTransactionDraft(t, 'booked', rules, asOf)),
    ...page.pending.map((t) => mapBgTransactionDraft(t, 'pending', rules, asOf)),
  ];
}
