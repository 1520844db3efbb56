import {
  assignTransactionIdentities,
  BERLIN_GROUP_BALANCE_TYPES,
  money,
  type Account,
  type AccountIdentifier,
  type Balance,
  type Counterparty,
  type Transaction,
  type TransactionDraft,
} from '@ais/domain';
import { WireViolation } from '../mapping.js';
import type { BgAccountDetails, BgAccountReference, BgBalance, BgTransaction } from './bg.wire.js';

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

export function mapBgBalance(b: BgBalance): Balance {
  const type = BERLIN_GROUP_BALANCE_TYPES[b.balanceType];
  if (!type) throw new WireViolation(`unknown balance type "${b.balanceType}"`);
  return {
    type,
    originalType: b.balanceType,
    amount: money(b.balanceAmount.amount, b.balanceAmount.currency),
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
