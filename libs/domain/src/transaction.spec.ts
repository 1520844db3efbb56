import fc from 'fast-check';
import {
  assembleTransactionPages,
  assignTransactionIdentities,
  transactionFingerprint,
  type TransactionDraft,
} from './transaction.js';
import { money } from './money.js';

function draft(overrides: Partial<TransactionDraft> = {}): TransactionDraft {
  return {
    externalId: null,
    status: 'booked',
    bookingDate: '2024-03-01',
    valueDate: null,
    bookedAt: null,
    amount: money('-3.20', 'GBP'),
    description: 'COFFEE SHOP',
    merchant: null,
    counterparty: null,
    bankTransactionCode: null,
    reference: null,
    runningBalance: null,
    currencyExchange: null,
    pendingLink: null,
    raw: {},
    ...overrides,
  };
}

describe('transaction identity', () => {
  it('uses the bank id when the bank has one', () => {
    const [t] = assignTransactionIdentities([draft({ externalId: 'TX-1' })]);
    expect(t).toMatchObject({ idSource: 'bank', identityKey: 'b:TX-1' });
  });

  it('keeps two identical same-day transactions as two, numbered in bank order', () => {
    const [a, b] = assignTransactionIdentities([draft(), draft()]);
    expect(a.identityKey).toMatch(/^f:[0-9a-f]{32}#1$/);
    expect(b.identityKey).toBe(a.identityKey.replace('#1', '#2'));
    expect(a.idSource).toBe('fingerprint');
  });

  it('gives the same keys when the same days are synced again', () => {
    const batch = [draft(), draft({ description: 'RENT' }), draft()];
    const first = assignTransactionIdentities(batch).map((t) => t.identityKey);
    const again = assignTransactionIdentities(batch.map((d) => ({ ...d, raw: { refetched: true } }))).map(
      (t) => t.identityKey,
    );
    expect(again).toEqual(first);
  });

  it('treats amounts numerically and descriptions without case or spacing noise', () => {
    expect(transactionFingerprint(draft({ amount: money('-3.2', 'GBP') }))).toBe(transactionFingerprint(draft()));
    expect(transactionFingerprint(draft({ description: '  coffee   shop ' }))).toBe(transactionFingerprint(draft()));
  });

  it('tells apart transactions that differ in any fingerprinted field', () => {
    const base = transactionFingerprint(draft());
    const variants: Partial<TransactionDraft>[] = [
      { bookingDate: '2024-03-02' },
      { amount: money('-3.21', 'GBP') },
      { amount: money('-3.20', 'EUR') },
      { description: 'TEA SHOP' },
      { status: 'pending' },
      { counterparty: { name: 'Bob', identifiers: [] } },
      { counterparty: { name: null, identifiers: [{ scheme: 'iban', identification: 'GB33BUKB20201555555555' }] } },
    ];
    for (const v of variants) expect(transactionFingerprint(draft(v))).not.toBe(base);
  });

  it('never gives two transactions of one batch the same key', () => {
    const item = fc.record({
      externalId: fc.option(fc.constantFrom('A', 'B', 'C'), { nil: null }),
      description: fc.constantFrom('X', 'Y'),
      amount: fc.constantFrom('1.00', '-1.00'),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }), (items) => {
        const keys = assignTransactionIdentities(
          items.map((i) =>
            draft({ externalId: i.externalId, description: i.description, amount: money(i.amount, 'GBP') }),
          ),
        ).map((t) => t.identityKey);
        expect(new Set(keys).size).toBe(keys.length);
      }),
    );
  });
});

describe('a window read page by page', () => {
  const arbDraft = fc.record({
    externalId: fc.option(fc.constantFrom('A', 'B', 'C'), { nil: null }),
    status: fc.constantFrom('booked' as const, 'pending' as const),
    description: fc.constantFrom('COFFEE', 'TEA'),
  });
  const arbPages = fc.array(
    fc.array(fc.record({ account: fc.constantFrom('acc-1', 'acc-2'), d: arbDraft }), { maxLength: 6 }),
    { minLength: 1, maxLength: 5 },
  );

  it('gets the identities numbering the whole window at once would give, whatever the page breaks', () => {
    fc.assert(
      fc.property(arbPages, fc.constantFrom('bank' as const, 'booked-first' as const), (raw, order) => {
        const pages = raw.map((items) => ({
          order,
          accounts: ['acc-1', 'acc-2'].map((accountId) => ({
            accountId,
            transactions: items.filter((i) => i.account === accountId).map((i) => draft(i.d)),
          })),
        }));
        const byAccount = assembleTransactionPages(['acc-1', 'acc-2', 'acc-3'], pages);
        expect(byAccount.get('acc-3')).toEqual([]);
        for (const accountId of ['acc-1', 'acc-2']) {
          const all = pages.flatMap((p) => p.accounts.find((a) => a.accountId === accountId)!.transactions);
          const whole =
            order === 'bank'
              ? all
              : [...all.filter((t) => t.status === 'booked'), ...all.filter((t) => t.status === 'pending')];
          expect(byAccount.get(accountId)).toEqual(assignTransactionIdentities(whole));
        }
      }),
    );
  });

  it('ignores accounts the query did not ask for', () => {
    const byAccount = assembleTransactionPages(
      ['acc-1'],
      [{ order: 'bank', accounts: [{ accountId: 'other', transactions: [draft()] }] }],
    );
    expect([...byAccount.keys()]).toEqual(['acc-1']);
  });
});
