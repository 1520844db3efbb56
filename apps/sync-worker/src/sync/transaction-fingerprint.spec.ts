import fc from 'fast-check';
import { assignTransactionIdentities, type Transaction } from '@ais/domain';
import type { StoredFingerprint, StoredTransaction } from '@ais/db';
import { transactionDraft } from '@ais/testing';
import { diffTransactions, transactionHash, type TransactionDiff } from './transaction-diff.js';
import {
  dayDate,
  dayDigests,
  dayNumber,
  encodeDays,
  unchangedSince,
  type DateRange,
} from './transaction-fingerprint.js';

const draft = transactionDraft;

const daysOf = (items: readonly Transaction[]) => dayDigests(items, items.map(transactionHash));

/**
 * The rows of one account as transaction_fingerprints, TransactionWriteRepository and its SQL keep
 * them: the diff's writes applied, `loadForDiff` and `countHeld` answered from them.
 */
class MemoryAccount {
  private readonly rows = new Map<string, StoredTransaction>();
  fingerprint: StoredFingerprint | null = null;

  loadForDiff(window: DateRange, pendingRemovedSince: Date, keys: readonly string[]): StoredTransaction[] {
    const wanted = new Set(keys);
    return [...this.rows.values()].filter(
      (r) =>
        (r.bookingDate >= window.from && r.bookingDate <= window.to) ||
        (r.status === 'pending' && (r.removedAt === null || r.removedAt >= pendingRemovedSince)) ||
        wanted.has(r.identityKey),
    );
  }

  countHeld(ranges: readonly DateRange[]): number {
    return [...this.rows.values()].filter(
      (r) => r.removedAt === null && ranges.some((x) => r.bookingDate >= x.from && r.bookingDate <= x.to),
    ).length;
  }

  apply(diff: TransactionDiff, now: Date): void {
    for (const { row } of diff.upserts) {
      const before = this.rows.get(row.identityKey);
      this.rows.set(row.identityKey, {
        id: row.id,
        identityKey: row.identityKey,
        contentHash: row.contentHash,
        status: row.status,
        bookingDate: row.bookingDate,
        removedAt: null,
        pendingLink: row.pendingLink,
        pendingTransactionId: row.pendingTransactionId ?? before?.pendingTransactionId ?? null,
        amount: row.amount,
        currency: row.currency,
        description: row.description,
        merchantName: row.merchantName,
        counterpartyName: null,
      });
    }
    const removed = new Set(diff.removedIds);
    for (const r of this.rows.values()) if (removed.has(r.id) && r.removedAt === null) r.removedAt = now;
  }
}

/**
 * One account batch as loadTransactions runs it, on the model: the fingerprint's verdict, and the
 * diff the batch would have made without it.
 */
function batch(account: MemoryAccount, items: Transaction[], window: DateRange, now: Date) {
  const days = daysOf(items);
  const verdict = unchangedSince(account.fingerprint, window, days);
  const skipped =
    verdict !== null && (verdict.outside.length === 0 || account.countHeld(verdict.outside) === verdict.expected);
  const since = new Date(now.getTime() - 10 * 86_400_000);
  const diff = diffTransactions(
    items,
    account.loadForDiff(
      window,
      since,
      items.map((t) => t.identityKey),
    ),
    window,
  );
  if (!skipped) {
    account.apply(diff, now);
    account.fingerprint = { windowFrom: window.from, windowTo: window.to, days: encodeDays(days) };
  }
  return { skipped, diff };
}

const nothing = { upserts: [], removedIds: [], counts: { added: 0, modified: 0, removed: 0 } };

describe('transaction fingerprints', () => {
  it('numbers days from 1970-01-01 and back', () => {
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(dayDate(dayNumber('2026-02-28') + 1)).toBe('2026-03-01');
    expect(dayDate(dayNumber('2024-02-28') + 1)).toBe('2024-02-29');
  });

  it('never skips a batch whose diff would write something, and skips the same answer for the same window', () => {
    // A small world: a few transactions that come and go, change, book, and move between days, and
    // windows that move about, so that every condition of the verdict is met and missed.
    const item = fc.record({
      externalId: fc.constantFrom(null, 'a', 'b', 'c', 'd'),
      day: fc.integer({ min: 1, max: 9 }),
      status: fc.constantFrom('booked', 'pending'),
      amount: fc.constantFrom('-1.00', '-2.00'),
      description: fc.constantFrom('SHOP', 'CAFE'),
      pendingLink: fc.constantFrom(null, 'L1'),
    });
    const step = fc.record({
      items: fc.array(item, { maxLength: 8 }),
      from: fc.integer({ min: 1, max: 9 }),
      length: fc.integer({ min: 0, max: 6 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const account = new MemoryAccount();
        let now = new Date('2026-03-10T12:00:00Z');
        for (const s of steps) {
          now = new Date(now.getTime() + 3_600_000);
          const items = assignTransactionIdentities(
            s.items.map((x) =>
              draft({
                externalId: x.externalId,
                bookingDate: `2026-03-0${x.day}`,
                status: x.status,
                amount: { amount: x.amount, currency: 'GBP' },
                description: x.description,
                pendingLink: x.pendingLink,
              }),
            ),
          );
          const to = Math.min(9, s.from + s.length);
          const window = { from: `2026-03-0${s.from}`, to: `2026-03-0${to}` };
          const first = batch(account, items, window, now);
          if (first.skipped) expect(first.diff).toEqual(nothing);
          // Once written, the same answer for the same window is taken as stored, rightly.
          const again = batch(account, items, window, now);
          expect(again.skipped).toBe(true);
          expect(again.diff).toEqual(nothing);
        }
      }),
      { numRuns: 400 },
    );
  });

  const items = assignTransactionIdentities([
    draft({ externalId: 'a', bookingDate: '2026-03-02' }),
    draft({ externalId: 'b', bookingDate: '2026-03-03' }),
    draft({ externalId: 'c', bookingDate: '2026-03-03', amount: { amount: '-9.00', currency: 'GBP' } }),
  ]);
  const stored: StoredFingerprint = {
    windowFrom: '2026-03-01',
    windowTo: '2026-03-05',
    days: encodeDays(daysOf(items)),
  };

  it('takes the same answer for a window inside the one stored as stored, with nothing to count', () => {
    expect(unchangedSince(stored, { from: '2026-03-02', to: '2026-03-05' }, daysOf(items))).toEqual({
      outside: [],
      expected: 0,
    });
  });

  it('counts the live rows of the days a window adds: today, after midnight', () => {
    expect(unchangedSince(stored, { from: '2026-03-01', to: '2026-03-07' }, daysOf(items))).toEqual({
      outside: [{ from: '2026-03-06', to: '2026-03-07' }],
      expected: 0,
    });
  });

  it('sees a changed item, a day that lost its items, and an item on a day never digested', () => {
    const changed = items.map((t, i) => (i === 2 ? { ...t, description: 'OTHER' } : t));
    expect(unchangedSince(stored, { from: '2026-03-01', to: '2026-03-05' }, daysOf(changed))).toBeNull();
    expect(unchangedSince(stored, { from: '2026-03-01', to: '2026-03-05' }, daysOf(items.slice(1)))).toBeNull();
    const later = assignTransactionIdentities([draft({ externalId: 'z', bookingDate: '2026-03-06' })]);
    expect(unchangedSince(stored, { from: '2026-03-01', to: '2026-03-06' }, daysOf([...items, ...later]))).toBeNull();
  });

  it('without a fingerprint, takes only an empty answer as stored, once the window holds no live row', () => {
    expect(unchangedSince(null, { from: '2026-03-01', to: '2026-03-05' }, daysOf([]))).toEqual({
      outside: [{ from: '2026-03-01', to: '2026-03-05' }],
      expected: 0,
    });
    expect(unchangedSince(null, { from: '2026-03-01', to: '2026-03-05' }, daysOf(items))).toBeNull();
  });
});
