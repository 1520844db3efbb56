import type { TransactionDraft } from '@ais/domain';

/**
 * A transaction as a connector drafts it from the bank's item: a booked card payment with every
 * optional field empty. `over` sets what a test is about.
 */
export function transactionDraft(over: Partial<TransactionDraft> = {}): TransactionDraft {
  return {
    externalId: null,
    status: 'booked',
    bookingDate: '2026-03-05',
    valueDate: null,
    bookedAt: null,
    amount: { amount: '-4.50', currency: 'GBP' },
    description: 'COFFEE HOUSE',
    merchant: null,
    counterparty: null,
    bankTransactionCode: null,
    reference: null,
    runningBalance: null,
    currencyExchange: null,
    pendingLink: null,
    raw: {},
    ...over,
  };
}
