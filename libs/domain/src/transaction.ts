import { createHash, hash } from 'node:crypto';
import type { AccountIdentifier } from './account.js';
import type { BalanceType } from './balance.js';
import { canonicalDecimal, type Money } from './money.js';

export const TRANSACTION_STATUSES = ['booked', 'pending'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export type TransactionIdSource = 'bank' | 'fingerprint';

export interface Merchant {
  name: string | null;
  /** ISO 18245 merchant category code (MCC), four digits. */
  categoryCode: string | null;
}

export interface Counterparty {
  name: string | null;
  identifiers: AccountIdentifier[];
  /** BIC or other agent id of the counterparty's bank. */
  agent?: string | null;
}

export interface BankTransactionCode {
  /** ISO 20022 code: OBIE `Code` (family) or Berlin Group `bankTransactionCode` (DOMAIN-FAMILY-SUBFAMILY). */
  code: string | null;
  /** OBIE `SubCode` (sub-family). */
  subCode: string | null;
  proprietaryCode: string | null;
  proprietaryIssuer: string | null;
}

export interface RunningBalance {
  amount: Money;
  type: BalanceType | null;
  originalType: string | null;
}

export interface CurrencyExchange {
  sourceCurrency: string;
  targetCurrency: string | null;
  unitCurrency: string | null;
  /** Decimal string, never a float. */
  exchangeRate: string;
  instructedAmount: Money | null;
  quotationDate: string | null;
  contractIdentification: string | null;
}

/** A transaction as mapped from the bank, before it gets its identity. */
export interface TransactionDraft {
  /** The bank's id for the transaction, when it has one. */
  externalId: string | null;
  status: TransactionStatus;
  /** The bank's local calendar date (YYYY-MM-DD): never shifted by time zones. */
  bookingDate: string;
  valueDate: string | null;
  /** The bank's booking timestamp as an ISO instant, when it sends one. */
  bookedAt: string | null;
  /** Signed: negative = money out of the account. */
  amount: Money;
  description: string;
  merchant: Merchant | null;
  counterparty: Counterparty | null;
  bankTransactionCode: BankTransactionCode | null;
  reference: string | null;
  runningBalance: RunningBalance | null;
  currencyExchange: CurrencyExchange | null;
  /** The bank's id of the pending transaction this booked one replaces, when the bank links them. */
  pendingLink: string | null;
  /** The bank's item as received (for operators and `?include=raw`). */
  raw: unknown;
}

export interface Transaction extends TransactionDraft {
  idSource: TransactionIdSource;
  /** `b:<bank id>` or `f:<fingerprint>#<occurrence>`: unique per account, stable across re-syncs. */
  identityKey: string;
}

function normaliseText(value: string | null | undefined): string {
  return (value ?? '').normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * A hash of what makes two transactions the same when the bank gives no id: booking date, amount
 * (numerically: "1.5" = "1.50"), currency, description, counterparty and status. Identical same-day
 * transactions share a fingerprint; `assignTransactionIdentities` tells them apart by occurrence.
 */
export function transactionFingerprint(
  t: Pick<TransactionDraft, 'bookingDate' | 'amount' | 'description' | 'counterparty' | 'status'>,
): string {
  const counterparty = t.counterparty
    ? [
        normaliseText(t.counterparty.name),
        t.counterparty.identifiers
          .map((i) => `${i.scheme}:${i.identification.replace(/\s/g, '').toUpperCase()}`)
          .sort()
          .join(','),
      ]
    : null;
  const material = JSON.stringify([
    'v1',
    t.bookingDate,
    canonicalDecimal(t.amount.amount),
    t.amount.currency,
    normaliseText(t.description),
    counterparty,
    t.status,
  ]);
  return createHash('sha256').update(material, 'utf8').digest('hex').slice(0, 32);
}

/**
 * Gives each transaction of ONE account its identity, in the bank's order: `b:<id>` when the bank has
 * an id, else `f:<fingerprint>#<n>` where n numbers genuinely identical transactions 1, 2, … in the
 * order the bank lists them. Two identical coffees on one day stay two, and a re-sync of the same
 * days yields the same keys. A bank id repeated within one response gets `#<n>` from the second on,
 * so nothing is silently merged.
 */
export function assignTransactionIdentities(drafts: readonly TransactionDraft[]): Transaction[] {
  const identity = identities();
  return drafts.map((draft) => ({ ...draft, ...identity(draft) }));
}

/** The identity of each draft in turn, numbering repeats in the order they come. */
function identities(): (draft: TransactionDraft) => Pick<Transaction, 'idSource' | 'identityKey'> {
  const seen = new Map<string, number>();
  return (draft) => {
    const base = draft.externalId ? `b:${draft.externalId}` : `f:${transactionFingerprint(draft)}`;
    const occurrence = (seen.get(base) ?? 0) + 1;
    seen.set(base, occurrence);
    const identityKey = draft.externalId
      ? occurrence === 1
        ? base
        : `${base}#${occurrence}`
      : `${base}#${occurrence}`;
    return { idSource: draft.externalId ? 'bank' : 'fingerprint', identityKey };
  };
}

/**
 * One page of an account window's transactions as a connector reads it from the bank: drafts without
 * identities (an identity numbers identical transactions over the whole window, which one page does
 * not see), and how the connector orders them across pages: in the bank's order, or, where the
 * standard lists booked and pending apart (Berlin Group), every booked one before any pending.
 */
export interface TransactionPage {
  accounts: {
    accountId: string;
    transactions: TransactionDraft[];
    /**
     * `draftDigest` of each draft's JSON text as sent, in order, when the sender made them with that
     * text (the connector-service does): what the draft says, without a reader making its text again.
     */
    digests?: string[];
  }[];
  order: 'bank' | 'booked-first';
}

/**
 * The digest of a draft's JSON text, as a string or UTF-8 bytes (the first 22 characters of its
 * SHA-256 in base64url, 132 bits): equal digests, equal drafts. The text is `JSON.stringify(draft)`
 * as the sender made it; parsed and stringified again by the reader, a draft gives the same text
 * (same keys in the same order, same values).
 */
export function draftDigest(json: string | Buffer): string {
  return hash('sha256', json, 'base64url').slice(0, 22);
}

/**
 * A window's pages, in the order they were read, back into each account's transactions with their
 * identities: the same result as numbering the whole window at once. The pages' drafts are completed
 * in place (the caller owns them).
 */
export function assembleTransactionPages(
  accountIds: readonly string[],
  pages: readonly TransactionPage[],
): Map<string, Transaction[]> {
  const drafts = new Map<string, TransactionDraft[]>(accountIds.map((id) => [id, []]));
  for (const page of pages)
    for (const a of page.accounts) {
      const list = drafts.get(a.accountId);
      if (list) for (const t of a.transactions) list.push(t);
    }
  const bookedFirst = pages.some((p) => p.order === 'booked-first');
  // The pages are the caller's own (just received): their drafts become the transactions in place,
  // so a window is not held twice while it is numbered.
  return new Map(
    [...drafts].map(([id, list]) => {
      const ordered = bookedFirst
        ? [...list.filter((t) => t.status !== 'pending'), ...list.filter((t) => t.status === 'pending')]
        : list;
      const identity = identities();
      for (const t of ordered) Object.assign(t, identity(t));
      return [id, ordered as Transaction[]];
    }),
  );
}

/**
 * Every page of one transaction window, read one after another through `page` (given the previous
 * page's cursor), with identities numbered over the whole window. The loop of whoever reads pages:
 * a connector reading its bank, the sync-worker reading the connector-service over RPC.
 */
export async function readTransactionWindow(
  accountIds: readonly string[],
  page: (cursor: string | undefined) => Promise<TransactionPage & { nextCursor: string | null }>,
): Promise<Map<string, Transaction[]>> {
  const pages: TransactionPage[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    pages.push(p);
    cursor = p.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return assembleTransactionPages(accountIds, pages);
}
