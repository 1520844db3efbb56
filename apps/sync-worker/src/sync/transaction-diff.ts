import { hash } from 'node:crypto';
import { addDays, canonicalDecimal, newId, type Transaction } from '@ais/domain';
import type { StoredTransaction, TransactionRow } from '@ais/db';

/** How far apart a pending item and the booked item replacing it may be dated (heuristic match). */
export const PENDING_MATCH_DAYS = 10;

export interface TransactionDiff {
  upserts: { row: TransactionRow; kind: 'added' | 'modified'; fresh: boolean }[];
  removedIds: string[];
  counts: { added: number; modified: number; removed: number };
}

/** A transaction's JSON columns as JSON text (written as they are). */
export interface JsonColumns {
  counterparty: string | null;
  bankTransactionCode: string | null;
  runningBalance: string | null;
  currencyExchange: string | null;
  raw: string | null;
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Native JSON.stringify, in the order the connector built the objects and the bank sent its item:
 * three times cheaper than sorting keys, and the order is stable from one read of the same item to the
 * next (a bank that reordered the keys of its JSON would show its transactions as modified once).
 */
export function jsonColumns(t: Transaction): JsonColumns {
  return {
    counterparty: json(t.counterparty),
    bankTransactionCode: json(t.bankTransactionCode),
    runningBalance: json(t.runningBalance),
    currencyExchange: json(t.currencyExchange),
    raw: json(t.raw),
  };
}

/**
 * A hash of everything the bank said about a transaction: equal hash, nothing to write. Every field
 * of Transaction is in it: the scalars, then the JSON columns as `jsonColumns` writes them. Hashed in
 * one call, without an object: an object and a Hash per item cost a third more, on the path every item
 * of every sync takes.
 */
export function transactionHash(t: Transaction): string {
  return hashText(
    t,
    `${json(t.counterparty)}|${json(t.bankTransactionCode)}|${json(t.runningBalance)}|${json(t.currencyExchange)}|${json(t.raw)}`,
  );
}

/** `transactionHash`, from the JSON columns the caller made for the row. */
export function transactionHashOf(t: Transaction, c: JsonColumns): string {
  return hashText(t, `${c.counterparty}|${c.bankTransactionCode}|${c.runningBalance}|${c.currencyExchange}|${c.raw}`);
}

function hashText(t: Transaction, columns: string): string {
  const scalars = JSON.stringify([
    t.identityKey,
    t.idSource,
    t.externalId,
    t.status,
    t.bookingDate,
    t.valueDate,
    t.bookedAt,
    t.amount,
    t.description,
    t.merchant,
    t.reference,
    t.pendingLink,
  ]);
  return hash('sha256', `${scalars}|${columns}`, 'hex').slice(0, 32);
}

/** Items hashed between two turns of the event loop (about a millisecond of work). */
const HASH_SLICE = 128;

/**
 * The content hash of each transaction, yielding to the event loop between slices: done ahead for the
 * next batch while the current one is in Postgres, it must not hold up that batch's queries and COPY
 * stream (a whole account at once blocked the loop for tens of milliseconds). Only the hashes are
 * kept: the JSON text of a few thousand items kept from here to the batch's COPY outlived the young
 * generation, and copying it about was the largest part of the load path's garbage collection.
 */
export async function hashAll(transactions: readonly Transaction[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < transactions.length; i += HASH_SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (let j = i; j < Math.min(i + HASH_SLICE, transactions.length); j++) out.push(transactionHash(transactions[j]));
  }
  return out;
}

export function toTransactionRow(
  t: Transaction,
  id: string,
  contentHash: string,
  pendingTransactionId: string | null,
  columns: JsonColumns = jsonColumns(t),
): TransactionRow {
  return {
    id,
    identityKey: t.identityKey,
    externalId: t.externalId,
    idSource: t.idSource,
    status: t.status,
    bookingDate: t.bookingDate,
    valueDate: t.valueDate,
    bookedAt: t.bookedAt,
    amount: t.amount.amount,
    currency: t.amount.currency,
    description: t.description,
    merchantName: t.merchant?.name ?? null,
    merchantCategoryCode: t.merchant?.categoryCode ?? null,
    counterparty: columns.counterparty,
    bankTransactionCode: columns.bankTransactionCode,
    reference: t.reference,
    runningBalance: columns.runningBalance,
    currencyExchange: columns.currencyExchange,
    pendingTransactionId,
    pendingLink: t.pendingLink,
    raw: columns.raw,
    contentHash,
  };
}

function normaliseName(value: string | null | undefined): string | null {
  const n = (value ?? '').normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
  return n === '' ? null : n;
}

/** The names a payment is known by (merchant, counterparty, description): a pending and a booked item share one. */
function payeeNames(names: (string | null | undefined)[]): Set<string> {
  return new Set(names.map(normaliseName).filter((n): n is string => n !== null));
}

const shares = (a: Set<string>, b: Set<string>) => [...a].some((x) => b.has(x));

/**
 * Compares the bank's transactions of one account for [from, to] with what is stored:
 * - new identity → added; same identity, other content → modified; a removed one back → added;
 * - stored rows dated in the window that the bank no longer lists → removed;
 * - a new booked transaction replaces a pending one that is going (or went recently, unreplaced):
 *   matched by the bank's link, else by amount, currency, date (pending up to PENDING_MATCH_DAYS
 *   before) and a shared payee name. The booked row names it in pendingTransactionId; the pending
 *   one is reported removed (once).
 * Unchanged transactions produce nothing.
 */
export function diffTransactions(
  incoming: readonly Transaction[],
  stored: readonly StoredTransaction[],
  window: { from: string; to: string },
  /** The content hash of each incoming transaction, when the caller has it already (see `hashAll`). */
  hashes: readonly string[] = incoming.map(transactionHash),
): TransactionDiff {
  const byKey = new Map(stored.map((s) => [s.identityKey, s]));
  const incomingKeys = new Set(incoming.map((t) => t.identityKey));
  const upserts: TransactionDiff['upserts'] = [];
  const newBooked: { t: Transaction; upsert: TransactionDiff['upserts'][number] }[] = [];

  for (const [i, t] of incoming.entries()) {
    const hash = hashes[i];
    const existing = byKey.get(t.identityKey);
    if (!existing) {
      const upsert = {
        row: toTransactionRow(t, newId('transaction'), hash, null),
        kind: 'added' as const,
        fresh: true,
      };
      upserts.push(upsert);
      if (t.status === 'booked') newBooked.push({ t, upsert });
    } else if (existing.removedAt !== null) {
      upserts.push({ row: toTransactionRow(t, existing.id, hash, null), kind: 'added', fresh: false });
    } else if (existing.contentHash !== hash) {
      upserts.push({ row: toTransactionRow(t, existing.id, hash, null), kind: 'modified', fresh: false });
    }
  }

  const inWindow = (s: StoredTransaction) => s.bookingDate >= window.from && s.bookingDate <= window.to;
  const going = stored.filter((s) => s.removedAt === null && !incomingKeys.has(s.identityKey) && inWindow(s));
  const removedIds = new Set(going.map((s) => s.id));

  // Pending rows a new booked item may replace: going now, or removed earlier and never replaced.
  const replacedAlready = new Set(stored.map((s) => s.pendingTransactionId).filter((id): id is string => id !== null));
  const candidates = stored.filter(
    (s) =>
      s.status === 'pending' &&
      !replacedAlready.has(s.id) &&
      !incomingKeys.has(s.identityKey) &&
      (removedIds.has(s.id) || s.removedAt !== null),
  );
  const taken = new Set<string>();
  const link = (upsert: TransactionDiff['upserts'][number], pending: StoredTransaction) => {
    upsert.row.pendingTransactionId = pending.id;
    taken.add(pending.id);
  };
  // Usually no candidate (a first sync, or no pending item went): then no booked item needs its payee
  // names, which were a tenth of a first sync's time.
  const replacing = candidates.length > 0 ? newBooked : [];
  for (const { t, upsert } of replacing) {
    if (!t.pendingLink) continue;
    const pending = candidates.find((c) => !taken.has(c.id) && c.pendingLink === t.pendingLink);
    if (pending) link(upsert, pending);
  }
  for (const { t, upsert } of replacing) {
    if (upsert.row.pendingTransactionId !== null) continue;
    const names = payeeNames([t.merchant?.name, t.counterparty?.name, t.description]);
    const earliest = addDays(t.bookingDate, -PENDING_MATCH_DAYS);
    const amount = canonicalDecimal(t.amount.amount);
    const match = candidates
      .filter(
        (c) =>
          !taken.has(c.id) &&
          (c.pendingLink === null || t.pendingLink === null) &&
          c.currency === t.amount.currency &&
          canonicalDecimal(c.amount) === amount &&
          c.bookingDate >= earliest &&
          c.bookingDate <= t.bookingDate &&
          shares(names, payeeNames([c.merchantName, c.counterpartyName, c.description])),
      )
      .sort((a, b) => (a.bookingDate < b.bookingDate ? 1 : a.bookingDate > b.bookingDate ? -1 : 0))[0];
    if (match) link(upsert, match);
  }

  const counts = {
    added: upserts.filter((u) => u.kind === 'added').length,
    modified: upserts.filter((u) => u.kind === 'modified').length,
    removed: removedIds.size,
  };
  return { upserts, removedIds: [...removedIds], counts };
}
