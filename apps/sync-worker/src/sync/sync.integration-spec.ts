import { jest } from '@jest/globals';
import type { Config } from '@jest/types';
import {
  AccessBudgetRepository,
  AccountWriteRepository,
  SyncConsentRepository,
  SyncRunRepository,
  TransactionWriteRepository,
} from '@ais/db';
import {
  fullHistoryFrom,
  oracleTotals,
  storedAndBankTotals,
  storedTotals,
  writeMark,
  writesSince,
} from '../../test/assertions.js';
import { PSUS, PSU_IP, SyncHarness, type AuthorisedConsent, type BankId, type Psu } from '../../test/sync-harness.js';
import { addDays } from '@ais/domain';
import { dayDigestsOfDrafts, dayNumber, decodeDays } from './transaction-fingerprint.js';
import { readDigestedWindow, type ItemDigests } from './transaction-load.js';

jest.setTimeout(120_000);

const TZ: Record<BankId, string> = { allstar: 'Europe/London', alsalam: 'Asia/Bahrain', saltbank: 'Europe/Berlin' };
const DAY = 86_400_000;
/**
 * The banks' data follows their calendars (salaries on working days, card payments booking one to
 * three days after they were made), so what a sync sees depends on the day it runs. The suite runs
 * once per day of a week, each at a different time of day (some just before or after midnight in
 * London, Berlin or Bahrain), so its outcome never depends on the day CI happens to run it.
 */
const WEEK: [string, Date][] = [
  ['Monday 08:10Z', new Date('2026-11-30T08:10:00Z')],
  ['Tuesday 23:50Z', new Date('2026-12-01T23:50:00Z')],
  ['Wednesday 12:00Z', new Date('2026-12-02T12:00:00Z')],
  ['Thursday 21:30Z', new Date('2026-12-03T21:30:00Z')],
  ['Friday 19:15Z', new Date('2026-12-04T19:15:00Z')],
  ['Saturday 05:45Z', new Date('2026-12-05T05:45:00Z')],
  ['Sunday 16:20Z', new Date('2026-12-06T16:20:00Z')],
];
const REAL_TIMERS: Config.FakeableAPI[] = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
];
/** Longer than any booking lag at the sandbox banks (card payments book within 3 days and 7 hours). */
const ALL_BOOKED = 4 * DAY;

describe.each(WEEK)('sync against the sandbox banks, bank clock starting %s', (_day, clockStart) => {
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
    h = await SyncHarness.start({ clockStart });
    // The whole process lives on the banks' day, as a gateway and its banks agree on the date: the
    // connectors' dates (a consent's validUntil, Berlin Group's first ten minutes) and the banks'
    // token checks read Date. Only Date is faked; it runs at real speed, and timers stay real.
    jest.useFakeTimers({ now: h.sandbox.now(), advanceTimers: true, doNotFake: REAL_TIMERS });
  });
  afterAll(async () => {
    jest.useRealTimers();
    await h?.close();
  });

  const changes = (consentId: string) =>
    h.prisma.$queryRaw<{ kind: string; n: number; distinct_txns: number }[]>`
      SELECT kind, count(*)::int AS n, count(DISTINCT transaction_id)::int AS distinct_txns FROM transaction_changes WHERE consent_id = ${consentId} GROUP BY kind ORDER BY kind`;
  const eventCounts = (consentId: string) =>
    h.prisma.$queryRaw<{ type: string; events: number; total: number }[]>`
      SELECT type, count(*)::int AS events, sum((data->>'count')::int)::int AS total FROM events
       WHERE data->>'consentId' = ${consentId} AND type LIKE 'transactions.%' GROUP BY type ORDER BY type`;

  it.each(cases)(
    'the first sync of %s stores exactly what the oracle has, per account; a second run writes nothing',
    async (bank, psu) => {
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
      expect(await eventCounts(consent.consentId)).toEqual([
        { type: 'transactions.added', events: run.accounts, total },
      ]);

      const mark = await writeMark(h.prisma);
      // Each account's fingerprint vouches for the bank's unchanged answer: not a row is read either,
      // and no interactive transaction is opened: no account batch takes the consent's lock, and the
      // run's start and end take it in one statement list each.
      const rowsRead = jest.spyOn(h.worker!.get(TransactionWriteRepository), 'loadForDiff');
      const locks = jest.spyOn(h.worker!.get(SyncRunRepository), 'underConsentLock');
      // What the run starts from (consent, accounts, ledger, window anchors, each account's stored
      // state) comes with its start, in one round trip: none of the reads that used to follow it.
      const reads = [
        jest.spyOn(h.worker!.get(AccountWriteRepository), 'storedState'),
        jest.spyOn(h.worker!.get(SyncConsentRepository), 'load'),
        jest.spyOn(h.worker!.get(SyncConsentRepository), 'windowAnchors'),
        jest.spyOn(h.worker!.get(AccountWriteRepository), 'listForConsent'),
        jest.spyOn(h.worker!.get(AccessBudgetRepository), 'syncBudgets'),
      ];
      const again = await h.sync(consent.consentId, { trigger: 'scheduled', psuIpAddress: PSU_IP });
      expect(again).toMatchObject({
        status: 'succeeded',
        transactionsAdded: 0,
        transactionsModified: 0,
        transactionsRemoved: 0,
      });
      expect(await writesSince(h.prisma, mark)).toEqual({});
      expect(rowsRead).not.toHaveBeenCalled();
      expect(locks).not.toHaveBeenCalled();
      for (const read of reads) expect(read).not.toHaveBeenCalled();
      rowsRead.mockRestore();
      locks.mockRestore();
      for (const read of reads) read.mockRestore();

      // The fingerprints were made from the digests the connector-service sends with each page: the
      // worker made no item's text again. Each account's stored days are those of the bank's answer,
      // digested so: for the last 80 days of the fingerprint's window (Salt Bank serves more than 90
      // days only in the first minutes after the PSU's authorisation).
      const prints = await h.prisma.$queryRaw<{ external_id: string; from: string; to: string; days: Buffer }[]>`
        SELECT a.external_id, f.window_from::text AS from, f.window_to::text AS to, f.days
          FROM transaction_fingerprints f JOIN accounts a ON a.id = f.account_id
         WHERE a.consent_id = ${consent.consentId}`;
      expect(prints.length).toBeGreaterThan(0);
      for (const print of prints) {
        const from = print.from > addDays(print.to, -80) ? print.from : addDays(print.to, -80);
        const digests: ItemDigests = new WeakMap();
        const window = await readDigestedWindow(
          [print.external_id],
          (cursor) =>
            h.connector.send('connector.getTransactionsPage', {
              providerId: bank,
              context: { consentId: consent.consentId, frequencyPerDay: 4, psu: { ipAddress: PSU_IP } },
              accountIds: [print.external_id],
              from,
              to: print.to,
              status: 'both',
              ...(cursor === undefined ? {} : { cursor }),
            }),
          digests,
        );
        const items = window.get(print.external_id)!;
        expect(items.every((t) => digests.has(t))).toBe(true);
        const stored = [...decodeDays(Buffer.from(print.days))].filter(([day]) => day >= dayNumber(from));
        const answered = dayDigestsOfDrafts(
          items,
          items.map((t) => digests.get(t)!),
        );
        expect(
          [...answered].map(([day, { digest }]): [number, Buffer] => [day, digest]).sort(([a], [b]) => a - b),
        ).toEqual(stored);
      }

      // That shortcut compares balances as the locked path does: a stored balance that differs from
      // the bank's is written again (and only then does the account's batch take the lock).
      const balances = () =>
        h.prisma.$queryRaw<{ account_id: string; type: string; amount: string }[]>`
          SELECT b.account_id, b.type, b.amount::text AS amount FROM balances b JOIN accounts a ON a.id = b.account_id
           WHERE a.consent_id = ${consent.consentId} ORDER BY 1, 2`;
      const asSynced = await balances();
      expect(asSynced.length).toBeGreaterThan(0);
      await h.prisma.$executeRaw`
        UPDATE balances SET amount = amount + 1
         WHERE account_id = (SELECT id FROM accounts WHERE consent_id = ${consent.consentId} ORDER BY id LIMIT 1)`;
      expect(await balances()).not.toEqual(asSynced);
      const repaired = await h.sync(consent.consentId, { trigger: 'scheduled', psuIpAddress: PSU_IP });
      expect(repaired).toMatchObject({ status: 'succeeded', transactionsAdded: 0, transactionsModified: 0 });
      expect(await balances()).toEqual(asSynced);
    },
  );

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

  it.each(cases)(
    'as the bank clock moves on, %s adds exactly the new transactions and replaces every pending one once booked',
    async (bank, psu) => {
      const consent = consents.get(bank)!;
      const from = historyFrom.get(bank)!;
      const before = await storedTotals(h.prisma, consent.consentId);
      const pendingBefore = await h.prisma.transaction.findMany({
        where: { consentId: consent.consentId, status: 'pending', removedAt: null },
        select: { id: true },
      });
      const pendingIds = pendingBefore.map((p) => p.id);

      // Two days on, some card payments of the first sync may still be pending at the bank (they book
      // up to three days later): the store equals the bank either way.
      h.sandbox.advance(2 * DAY);
      const twoDays = await h.sync(consent.consentId, { trigger: 'scheduled', psuIpAddress: PSU_IP });
      expect(twoDays).toMatchObject({ status: 'succeeded', errorDetail: null });
      const afterTwoDays = await storedAndBankTotals(h.prisma, h.sandbox, bank, psu.username, consent.consentId, from);
      expect(afterTwoDays.stored).toEqual(afterTwoDays.bank);
      expect(await storedTotals(h.prisma, consent.consentId)).not.toEqual(before);

      // Past the longest booking lag every pending item of the first sync has booked: each one is
      // removed, exactly once, and (where the bank links them) named by the booked transaction that
      // replaced it. One left behind would be a duplicate in the user's list.
      h.sandbox.advance(ALL_BOOKED - 2 * DAY);
      const allBooked = await h.sync(consent.consentId, { trigger: 'scheduled', psuIpAddress: PSU_IP });
      expect(allBooked).toMatchObject({ status: 'succeeded', errorDetail: null });
      const afterAllBooked = await storedAndBankTotals(
        h.prisma,
        h.sandbox,
        bank,
        psu.username,
        consent.consentId,
        from,
      );
      expect(afterAllBooked.stored).toEqual(afterAllBooked.bank);
      const stillPending = await h.prisma.transaction.count({ where: { id: { in: pendingIds }, removedAt: null } });
      expect(stillPending).toBe(0);
      const replaced = await h.prisma.transaction.findMany({
        where: { pendingTransactionId: { in: pendingIds } },
        select: { status: true },
      });
      expect(replaced.every((r) => r.status === 'booked')).toBe(true);
      if (bank !== 'saltbank') expect(replaced.length).toBeGreaterThan(0);
      const removedChanges = await h.prisma.transactionChange.count({
        where: { consentId: consent.consentId, kind: 'removed', transactionId: { in: pendingIds } },
      });
      expect(removedChanges).toBe(pendingIds.length);
      expect(twoDays.transactionsRemoved + allBooked.transactionsRemoved).toBeGreaterThanOrEqual(pendingIds.length);
    },
  );
});
