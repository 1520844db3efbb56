import { jest } from '@jest/globals';
import { fullHistoryFrom, oracleTotals, storedTotals, writeMark, writesSince } from '../../test/assertions.js';
import { PSUS, PSU_IP, SyncHarness, type AuthorisedConsent, type BankId, type Psu } from '../../test/sync-harness.js';

jest.setTimeout(120_000);

const TZ: Record<BankId, string> = { allstar: 'Europe/London', alsalam: 'Asia/Bahrain', saltbank: 'Europe/Berlin' };
const DAY = 86_400_000;

describe('sync against the sandbox banks', () => {
  let h: SyncHarness;
  const consents = new Map<BankId, AuthorisedConsent>();
  /** Where each first sync's history started. */
  const historyFrom = new Map<BankId, string>();
  const cases: [BankId, Psu][] = [
    ['allstar', PSUS.alice],
    ['alsalam', PSUS.fatima],
    ['saltbank', PSUS.max],
  ];

  beforeAll(async () => {
    h = await SyncHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  const changes = (consentId: string) =>
    h.prisma.$queryRaw<{ kind: string; n: number; distinct_txns: number }[]>`
      SELECT kind, count(*)::int AS n, count(DISTINCT transaction_id)::int AS distinct_txns FROM transaction_changes WHERE consent_id = ${consentId} GROUP BY kind ORDER BY kind`;
  const eventCounts = (consentId: string) =>
    h.prisma.$queryRaw<{ type: string; events: number; total: number }[]>`
      SELECT type, count(*)::int AS events, sum((data->>'count')::int)::int AS total FROM events
       WHERE data->>'consentId' = ${consentId} AND type LIKE 'transactions.%' GROUP BY type ORDER BY type`;

  it.each(cases)('the first sync of %s stores exactly what the oracle has, per account; a second run writes nothing', async (bank, psu) => {
    const consent = await h.authorise(bank, psu);
    consents.set(bank, consent);
    const run = await h.sync(consent.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'succeeded', errorCode: null, accounts: expect.any(Number) });
    const from = fullHistoryFrom(h.clock.now(), TZ[bank], 730);
    historyFrom.set(bank, from);
    const stored = await storedTotals(h.prisma, consent.consentId);
    expect(stored).toEqual(await oracleTotals(h.sandbox, bank, psu.username, from));
    const total = stored.reduce((n, a) => n + a.booked.count + a.pending.count, 0);
    expect(run.transactionsAdded).toBe(total);
    // Every transaction was announced exactly once: one change row, and in the events' counts.
    expect(await changes(consent.consentId)).toEqual([{ kind: 'added', n: total, distinct_txns: total }]);
    expect(await eventCounts(consent.consentId)).toEqual([{ type: 'transactions.added', events: run.accounts, total }]);

    const mark = await writeMark(h.prisma);
    const again = await h.sync(consent.consentId, { trigger: 'scheduled', psuIpAddress: PSU_IP });
    expect(again).toMatchObject({ status: 'succeeded', transactionsAdded: 0, transactionsModified: 0, transactionsRemoved: 0 });
    expect(await writesSince(h.prisma, mark)).toEqual({});
  });

  it('keeps two genuinely identical same-day transactions as two (Al Salam has no ids)', async () => {
    const dupes = await h.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM transactions WHERE consent_id = ${consents.get('alsalam')!.consentId} AND identity_key LIKE 'f:%#2'`;
    expect(dupes[0].n).toBeGreaterThan(0);
  });

  it('stores Bahraini dinar amounts with their 3 decimals, digit for digit', async () => {
    const rows = await h.prisma.$queryRaw<{ amount: string; currency: string }[]>`
      SELECT amount::text AS amount, currency FROM transactions WHERE consent_id = ${consents.get('alsalam')!.consentId} AND (amount * 1000) % 10 <> 0 LIMIT 5`;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.currency).toBe('BHD');
      expect(r.amount).toMatch(/^-?\d+\.\d{2}[1-9]0{5}$/);
    }
  });

  it.each(cases)('after the bank clock moves on two days, %s adds exactly the new transactions and books the pending ones', async (bank, psu) => {
    const consent = consents.get(bank)!;
    const before = await storedTotals(h.prisma, consent.consentId);
    const pendingBefore = await h.prisma.transaction.findMany({ where: { consentId: consent.consentId, status: 'pending', removedAt: null }, select: { id: true } });
    h.sandbox.advance(2 * DAY);
    const run = await h.sync(consent.consentId, { trigger: 'scheduled', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'succeeded', errorDetail: null });
    const from = historyFrom.get(bank)!;
    const after = await storedTotals(h.prisma, consent.consentId);
    expect(after).toEqual(await oracleTotals(h.sandbox, bank, psu.username, from));
    expect(after).not.toEqual(before);
    // Each pending item of the first sync is gone now: removed, and (where the bank booked it) named
    // by the booked transaction that replaced it.
    const replaced = await h.prisma.transaction.findMany({ where: { pendingTransactionId: { in: pendingBefore.map((p) => p.id) } }, select: { pendingTransactionId: true, status: true } });
    const removed = await h.prisma.transaction.findMany({ where: { id: { in: pendingBefore.map((p) => p.id) } }, select: { removedAt: true } });
    expect(removed.every((r) => r.removedAt !== null)).toBe(true);
    expect(replaced.every((r) => r.status === 'booked')).toBe(true);
    if (bank !== 'saltbank') expect(replaced.length).toBeGreaterThan(0);
    const removedChanges = await h.prisma.transactionChange.count({ where: { consentId: consent.consentId, kind: 'removed', transactionId: { in: pendingBefore.map((p) => p.id) } } });
    expect(removedChanges).toBe(pendingBefore.length);
    expect(run.transactionsRemoved).toBeGreaterThanOrEqual(pendingBefore.length);
  });
});
