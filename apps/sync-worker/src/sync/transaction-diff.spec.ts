import { assignTransactionIdentities, type TransactionDraft } from '@ais/domain';
import type { StoredTransaction } from '@ais/db';
import { transactionDraft } from '@ais/testing';
import { createHash } from 'node:crypto';
import { diffTransactions, hashAll, jsonColumns, transactionHash, transactionHashOf } from './transaction-diff.js';

const window = { from: '2026-03-01', to: '2026-03-10' };

const draft = (over: Partial<TransactionDraft> = {}) =>
  transactionDraft({ merchant: { name: 'Coffee House', categoryCode: '5814' }, ...over });

/** Stores the diff's upserts as the repository would, so a second diff sees them. */
function stored(diff: ReturnType<typeof diffTransactions>, removedAt: Date | null = null): StoredTransaction[] {
  return diff.upserts.map(({ row }) => ({
    id: row.id,
    identityKey: row.identityKey,
    contentHash: row.contentHash,
    status: row.status,
    bookingDate: row.bookingDate,
    removedAt,
    pendingLink: row.pendingLink,
    pendingTransactionId: row.pendingTransactionId,
    amount: row.amount,
    currency: row.currency,
    description: row.description,
    merchantName: row.merchantName,
    counterpartyName: null,
  }));
}

describe('diffTransactions', () => {
  it('adds what is new and nothing the second time', () => {
    const txns = assignTransactionIdentities([
      draft({ externalId: 'a' }),
      draft({ externalId: 'b', amount: { amount: '-12.00', currency: 'GBP' } }),
    ]);
    const first = diffTransactions(txns, [], window);
    expect(first.counts).toEqual({ added: 2, modified: 0, removed: 0 });
    const second = diffTransactions(txns, stored(first), window);
    expect(second).toEqual({ upserts: [], removedIds: [], counts: { added: 0, modified: 0, removed: 0 } });
  });

  it('keeps two identical coffees on one day as two', () => {
    const txns = assignTransactionIdentities([draft(), draft()]);
    const diff = diffTransactions(txns, [], window);
    expect(diff.upserts.map((u) => u.row.identityKey)).toEqual([
      expect.stringMatching(/#1$/),
      expect.stringMatching(/#2$/),
    ]);
    expect(diffTransactions(txns, stored(diff), window).counts).toEqual({ added: 0, modified: 0, removed: 0 });
  });

  it('reports a changed transaction as modified, keeping its id', () => {
    const first = diffTransactions(assignTransactionIdentities([draft({ externalId: 'a' })]), [], window);
    const changed = diffTransactions(
      assignTransactionIdentities([draft({ externalId: 'a', description: 'COFFEE HOUSE LTD' })]),
      stored(first),
      window,
    );
    expect(changed.counts).toEqual({ added: 0, modified: 1, removed: 0 });
    expect(changed.upserts[0].row.id).toBe(first.upserts[0].row.id);
  });

  it('removes what the bank no longer lists inside the window, and only there', () => {
    const first = diffTransactions(
      assignTransactionIdentities([
        draft({ externalId: 'in' }),
        draft({ externalId: 'old', bookingDate: '2026-02-01' }),
      ]),
      [],
      { from: '2026-01-01', to: '2026-03-10' },
    );
    const next = diffTransactions([], stored(first), window);
    expect(next.removedIds).toEqual([first.upserts[0].row.id]);
  });

  it('replaces a pending item by the booked one the bank links to it', () => {
    const pending = assignTransactionIdentities([
      draft({ externalId: 'p1', status: 'pending', pendingLink: 'REF1', bookingDate: '2026-03-04' }),
    ]);
    const first = diffTransactions(pending, [], window);
    const booked = assignTransactionIdentities([
      draft({
        externalId: 'b1',
        pendingLink: 'REF1',
        bookingDate: '2026-03-06',
        amount: { amount: '-4.75', currency: 'GBP' },
      }),
    ]);
    const next = diffTransactions(booked, stored(first), window);
    expect(next.counts).toEqual({ added: 1, modified: 0, removed: 1 });
    expect(next.removedIds).toEqual([first.upserts[0].row.id]);
    expect(next.upserts[0].row.pendingTransactionId).toBe(first.upserts[0].row.id);
  });

  it('without a link, matches by amount, date window and payee', () => {
    const first = diffTransactions(
      assignTransactionIdentities([draft({ status: 'pending', bookingDate: '2026-03-04' })]),
      [],
      window,
    );
    const booked = assignTransactionIdentities([
      draft({ bookingDate: '2026-03-06' }),
      draft({
        bookingDate: '2026-03-06',
        amount: { amount: '-4.5', currency: 'GBP' },
        description: 'OTHER',
        merchant: null,
      }),
    ]);
    const next = diffTransactions(booked, stored(first), window);
    const replacing = next.upserts.filter((u) => u.row.pendingTransactionId === first.upserts[0].row.id);
    expect(replacing).toHaveLength(1);
    expect(replacing[0].row.description).toBe('COFFEE HOUSE');
  });

  it('does not match a different amount, a booked item dated before the pending one, or a pending item still listed', () => {
    const pending = assignTransactionIdentities([draft({ status: 'pending', bookingDate: '2026-03-04' })]);
    const first = diffTransactions(pending, [], window);
    const s = stored(first);
    expect(
      diffTransactions(
        assignTransactionIdentities([draft({ amount: { amount: '-4.51', currency: 'GBP' } })]),
        s,
        window,
      ).upserts[0].row.pendingTransactionId,
    ).toBeNull();
    expect(
      diffTransactions(assignTransactionIdentities([draft({ bookingDate: '2026-03-03' })]), s, window).upserts[0].row
        .pendingTransactionId,
    ).toBeNull();
    const both = diffTransactions(
      [...pending, ...assignTransactionIdentities([draft({ bookingDate: '2026-03-06' })])],
      s,
      window,
    );
    expect(both.upserts[0].row.pendingTransactionId).toBeNull();
    expect(both.removedIds).toEqual([]);
  });

  it('links a booked item to a pending one removed in an earlier sync, once', () => {
    const first = diffTransactions(
      assignTransactionIdentities([draft({ status: 'pending', pendingLink: 'R', bookingDate: '2026-03-04' })]),
      [],
      window,
    );
    const gone = stored(first, new Date('2026-03-05T00:00:00Z'));
    const next = diffTransactions(
      assignTransactionIdentities([draft({ externalId: 'b', pendingLink: 'R', bookingDate: '2026-03-06' })]),
      gone,
      window,
    );
    expect(next.upserts[0].row.pendingTransactionId).toBe(first.upserts[0].row.id);
    expect(next.removedIds).toEqual([]);
  });

  it('brings back a transaction the bank lists again as added, with its old id', () => {
    const first = diffTransactions(assignTransactionIdentities([draft({ externalId: 'a' })]), [], window);
    const back = diffTransactions(
      assignTransactionIdentities([draft({ externalId: 'a' })]),
      stored(first, new Date()),
      window,
    );
    expect(back.upserts).toEqual([
      expect.objectContaining({ kind: 'added', row: expect.objectContaining({ id: first.upserts[0].row.id }) }),
    ]);
  });

  it('hashes everything the bank said, and BHD amounts keep their 3 decimals', () => {
    const [a] = assignTransactionIdentities([
      draft({ amount: { amount: '-1.250', currency: 'BHD' }, raw: { x: 1, y: 2 } }),
    ]);
    const [b] = assignTransactionIdentities([
      draft({ amount: { amount: '-1.250', currency: 'BHD' }, raw: { x: 1, y: 3 } }),
    ]);
    const [c] = assignTransactionIdentities([
      draft({ amount: { amount: '-1.250', currency: 'BHD' }, raw: { x: 1, y: 2 }, reference: 'R' }),
    ]);
    expect(new Set([transactionHash(a), transactionHash(b), transactionHash(c)]).size).toBe(3);
    // What crosses the RPC as JSON hashes the same on the other side.
    expect(transactionHash(a)).toBe(transactionHash(JSON.parse(JSON.stringify(a))));
    expect(diffTransactions([a], [], window).upserts[0].row.amount).toBe('-1.250');
  });
});

describe('hashAll', () => {
  it('hashes like transactionHash, item by item, while letting the event loop run in between', async () => {
    const items = assignTransactionIdentities(
      Array.from({ length: 1_000 }, (_, i) =>
        draft({ amount: { amount: `-${i}.25`, currency: 'GBP' }, raw: { n: i } }),
      ),
    );
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const all = await hashAll(items);
    ticking = false;
    expect(all).toEqual(items.map(transactionHash));
    expect(turns).toBeGreaterThan(0);
    expect(await hashAll([])).toEqual([]);
  });
});

describe('transactionHash', () => {
  it('is the hash stored rows carry: SHA-256 of the scalars as JSON, then "|" and each JSON column', () => {
    const [t] = assignTransactionIdentities([
      draft({
        externalId: 'x',
        counterparty: { name: 'Café "Zoë"', identifiers: [] },
        raw: { TransactionId: 'x', Note: 'line\nbreak \\ slash' },
      }),
    ]);
    const c = jsonColumns(t);
    const stored = createHash('sha256')
      .update(
        JSON.stringify([
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
        ]),
      )
      .update(`|${c.counterparty}|${c.bankTransactionCode}|${c.runningBalance}|${c.currencyExchange}|${c.raw}`)
      .digest('hex')
      .slice(0, 32);
    expect(transactionHash(t)).toBe(stored);
    expect(transactionHashOf(t, c)).toBe(stored);
  });
});
