import { canonicalDecimal, categorize, formatAmount, type CategoryInput, type Money } from '@ais/domain';
import type { ApiAccountRow, ApiBalanceRow, ApiResourceRow, ApiTransactionRow } from '@ais/db';

const date = (d: Date | null): string | null => (d ? d.toISOString().slice(0, 10) : null);

/** NUMERIC(28,8) text to the currency's own minor units; a bank's extra precision is kept. */
export function moneyOf(amount: { toString(): string }, currency: string): Money {
  return { amount: formatAmount(canonicalDecimal(amount.toString()), currency.trim()), currency: currency.trim() };
}

export const accountView = (a: ApiAccountRow) => ({
  id: a.id,
  consentId: a.consentId,
  providerId: a.providerId,
  externalId: a.externalId,
  type: a.type,
  subtype: a.subtype,
  currency: a.currency.trim(),
  name: a.name,
  nickname: a.nickname,
  identifiers: a.identifiers,
  servicer: a.servicer,
  status: a.status,
  openedAt: a.openedAt,
  unavailable: a.unavailable ?? [],
});

export const balanceView = (b: ApiBalanceRow) => ({
  type: b.type,
  originalType: b.originalType,
  amount: moneyOf(b.amount, b.currency),
  creditLines: b.creditLines,
  referenceDate: date(b.referenceDate),
  referenceAt: b.referenceAt?.toISOString() ?? null,
});

export function transactionView(t: ApiTransactionRow, includeRaw: boolean) {
  const amount = canonicalDecimal(t.amount);
  const currency = t.currency.trim();
  return {
    id: t.id,
    accountId: t.accountId,
    externalId: t.externalId,
    idSource: t.idSource,
    status: t.status,
    bookingDate: t.bookingDate,
    valueDate: t.valueDate,
    bookedAt: t.bookedAt?.toISOString() ?? null,
    amount: { amount: formatAmount(amount, currency), currency },
    description: t.description,
    merchant:
      t.merchantName || t.merchantCategoryCode ? { name: t.merchantName, categoryCode: t.merchantCategoryCode } : null,
    counterparty: t.counterparty,
    bankTransactionCode: t.bankTransactionCode,
    reference: t.reference,
    runningBalance: t.runningBalance,
    currencyExchange: t.currencyExchange,
    pendingTransactionId: t.pendingTransactionId,
    category: categorize({
      merchantCategoryCode: t.merchantCategoryCode,
      bankTransactionCode: t.bankTransactionCode as CategoryInput['bankTransactionCode'],
      amount,
    }),
    ...(includeRaw ? { raw: t.raw } : {}),
  };
}

/**
 * An optional resource: our id, the bank's id, the fields the connector normalised, when it was stored;
 * a statement also says whether its transactions have been fetched from the bank yet.
 */
export const resourceView = (r: ApiResourceRow) => ({
  id: r.id,
  externalId: r.externalId,
  ...(r.data as Record<string, unknown>),
  syncedAt: r.syncedAt.toISOString(),
  ...(r.kind === 'statement'
    ? {
        transactionsStatus: r.transactionsFetchedAt ? ('available' as const) : ('pending' as const),
        transactionsFetchedAt: r.transactionsFetchedAt?.toISOString() ?? null,
      }
    : {}),
});
