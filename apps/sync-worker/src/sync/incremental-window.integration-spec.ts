import { jest } from '@jest/globals';
import type { Config } from '@jest/types';
import { addDays, localDateOf } from '@ais/domain';
import { storedAndBankTotals } from '../../test/assertions.js';
import { PSUS, PSU_IP, SyncHarness, type AuthorisedConsent, type BankId } from '../../test/sync-harness.js';

jest.setTimeout(300_000);

const DAY = 86_400_000;
const TZ: Record<BankId, string> = { allstar: 'Europe/London', alsalam: 'Asia/Bahrain', saltbank: 'Europe/Berlin' };
/** Only Date is faked (the connectors' dates follow the banks' clock); timers stay real. */
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
const HISTORY_DAYS = 400;

interface Pages {
  psuPresent: number;
  unattended: number;
}

/**
 * What an incremental sync asks the bank for, seen from the bank: the sandbox counts every page of
 * transactions per bank consent, account and resource. A first sync of ~400 days reads several pages
 * per account; a scheduled sync reads from the provider's look-back before the newest booked date
 * held, a page per account; a full refresh and a re-authorisation read everything again; and the
 * store equals the bank throughout.
 */
describe.each<[BankId, keyof typeof PSUS, number]>([
  // Allstar pages each account's transactions (100 a page).
  ['allstar', 'alice', 3],
  // Al Salam's bulk GET /transactions answers every account in one response, counted under '*'.
  ['alsalam', 'fatima', 1],
])('incremental syncs at %s', (bank, psuName, firstSyncPages) => {
  let h: SyncHarness;
  let consent: AuthorisedConsent;
  let from: string;
  /** Pages of the first sync, per account (or '*' for a bulk call). */
  const firstSync = new Map<string, number>();

  beforeAll(async () => {
    h = await SyncHarness.start({ clockStart: new Date('2026-12-02T12:00:00Z') });
    jest.useFakeTimers({ now: h.sandbox.now(), advanceTimers: true, doNotFake: REAL_TIMERS });
  });
  afterAll(async () => {
    jest.useRealTimers();
    await h?.close();
  });

  const today = () => localDateOf(h.clock.now(), TZ[bank]);
  /** Transaction pages the bank counted for the bank consent, per account. */
  const pages = async (bankConsentId: string): Promise<Map<string, Pages>> =>
    new Map(
      (await h.sandbox.counters(bank, bankConsentId))
        .filter((c) => c.resource === 'transactions')
        .map((c) => [c.accountId, { psuPresent: c.psuPresent, unattended: c.unattended }]),
    );
  /** The pages a step read: the counters after it minus before it. */
  const pagesOf = async (bankConsentId: string, step: () => Promise<unknown>): Promise<Map<string, Pages>> => {
    const before = await pages(bankConsentId);
    await step();
    const after = await pages(bankConsentId);
    return new Map(
      [...after].map(([id, p]) => {
        const b = before.get(id) ?? { psuPresent: 0, unattended: 0 };
        return [id, { psuPresent: p.psuPresent - b.psuPresent, unattended: p.unattended - b.unattended }];
      }),
    );
  };
  const equalsBank = async () => {
    const totals = await storedAndBankTotals(
      h.prisma,
      h.sandbox,
      bank,
      PSUS[psuName].username,
      consent.consentId,
      from,
    );
    expect(totals.stored).toEqual(totals.bank);
  };
  /**
   * Marks every stored booked row as changed (a content hash no bank item has): the next sync rewrites
   * exactly the rows inside its window, so the oldest rewritten date shows where the window started.
   * The rows changed behind the sync's back, so their fingerprints no longer vouch for them: gone too.
   */
  const tamper = async () => {
    await h.prisma.$executeRaw`UPDATE transactions SET content_hash = 'probe'
                                WHERE consent_id = ${consent.consentId} AND status = 'booked' AND removed_at IS NULL`;
    await h.prisma.$executeRaw`DELETE FROM transaction_fingerprints
                                WHERE account_id IN (SELECT id FROM accounts WHERE consent_id = ${consent.consentId})`;
  };
  const probe = async () => {
    const [row] = await h.prisma.$queryRaw<{ restored: string | null; untouched: string | null }[]>`
      SELECT min(booking_date) FILTER (WHERE content_hash <> 'probe')::text AS restored,
             max(booking_date) FILTER (WHERE content_hash = 'probe')::text AS untouched
        FROM transactions WHERE consent_id = ${consent.consentId} AND status = 'booked' AND removed_at IS NULL`;
    return row;
  };
  const newestBooked = async () =>
    (
      await h.prisma.$queryRaw<{ d: string }[]>`
        SELECT max(booking_date)::text AS d FROM transactions
         WHERE consent_id = ${consent.consentId} AND status = 'booked' AND removed_at IS NULL`
    )[0].d;
  const lookBackDays = async () =>
    (
      (await h.prisma.provider.findUniqueOrThrow({ where: { id: bank } })).capabilities as {
        syncLookBackDays: number;
      }
    ).syncLookBackDays;

  it('reads the ~400-day history of a first sync (several pages per account where the bank pages them)', async () => {
    from = addDays(today(), -HISTORY_DAYS);
    consent = await h.authorise(bank, PSUS[psuName], { transactionsFrom: from });
    const read = await pagesOf(consent.bankConsentId, async () => {
      expect(await h.sync(consent.consentId, { trigger: 'initial', psuIpAddress: PSU_IP })).toMatchObject({
        status: 'succeeded',
      });
    });
    for (const [id, p] of read) firstSync.set(id, p.psuPresent);
    console.info(`${bank}: first sync of ${HISTORY_DAYS} days, pages per account`, Object.fromEntries(firstSync));
    expect(firstSync.size).toBeGreaterThan(0);
    expect(Math.max(...firstSync.values())).toBeGreaterThanOrEqual(firstSyncPages);
    await equalsBank();
  });

  it('reads a scheduled sync from the provider’s look-back before the newest booked date: a page per account', async () => {
    h.sandbox.advance(DAY);
    const margin = await lookBackDays();
    expect(margin).toBe(30);
    const start = addDays(await newestBooked(), -margin);
    await tamper();
    const read = await pagesOf(consent.bankConsentId, async () => {
      expect(await h.sync(consent.consentId, { trigger: 'scheduled' })).toMatchObject({ status: 'succeeded' });
    });
    console.info(`${bank}: scheduled sync, pages per account`, Object.fromEntries(read));
    for (const p of read.values()) expect(p).toEqual({ psuPresent: 0, unattended: 1 });
    // Every row from the window's start on was read again; none before it.
    const { restored, untouched } = await probe();
    expect(restored! >= start).toBe(true);
    expect(addDays(restored!, -7) < start).toBe(true);
    expect(untouched! < start).toBe(true);
    await equalsBank();
  });

  it('replaces pending items that book later, older than the look-back but within the pending look-back', async () => {
    // A look-back of one day (configurable per provider) leaves the open pending items before it.
    await h.prisma.$executeRaw`UPDATE providers SET capabilities = jsonb_set(capabilities, '{syncLookBackDays}', '1')
                                WHERE id = ${bank}`;
    try {
      h.sandbox.advance(ALL_BOOKED);
      const pending = await h.prisma.transaction.findMany({
        where: { consentId: consent.consentId, status: 'pending', removedAt: null },
        select: { id: true, bookingDate: true },
      });
      expect(pending.length).toBeGreaterThan(0);
      const oldestPending = pending
        .map((p) => p.bookingDate.toISOString().slice(0, 10))
        .reduce((a, b) => (a < b ? a : b));
      const newest = await newestBooked();
      expect(oldestPending < addDays(newest, -1)).toBe(true);
      expect(oldestPending > addDays(today(), -30)).toBe(true);
      await tamper();
      const run = await h.sync(consent.consentId, { trigger: 'scheduled', psuIpAddress: PSU_IP });
      expect(run).toMatchObject({ status: 'succeeded' });
      // The window reached back to the oldest open pending item, no further.
      const { restored, untouched } = await probe();
      expect(restored! >= oldestPending).toBe(true);
      expect(untouched! < oldestPending).toBe(true);
      // Each one booked: removed once, and the store equals the bank.
      expect(
        await h.prisma.transaction.count({ where: { id: { in: pending.map((p) => p.id) }, removedAt: null } }),
      ).toBe(0);
      expect(run.transactionsRemoved).toBeGreaterThanOrEqual(pending.length);
      await equalsBank();
    } finally {
      await h.prisma.$executeRaw`UPDATE providers SET capabilities = jsonb_set(capabilities, '{syncLookBackDays}', '30')
                                  WHERE id = ${bank}`;
    }
  });

  it('reads the whole history again on a full refresh with the PSU present', async () => {
    h.sandbox.advance(DAY);
    await tamper();
    const read = await pagesOf(consent.bankConsentId, async () => {
      expect(
        await h.sync(consent.consentId, { trigger: 'psu_present', psuIpAddress: PSU_IP, full: true }),
      ).toMatchObject({ status: 'succeeded' });
    });
    console.info(`${bank}: full refresh, pages per account`, Object.fromEntries(read));
    for (const [id, p] of read) expect(p.psuPresent).toBeGreaterThanOrEqual(firstSync.get(id)!);
    expect((await probe()).untouched).toBeNull();
    await equalsBank();
  });

  it('reads an unattended full refresh in budget-sized chunks over the following days, never past the budget', async () => {
    h.sandbox.advance(DAY);
    await tamper();
    const runs: string[] = [];
    const read = await pagesOf(consent.bankConsentId, async () => {
      runs.push((await h.sync(consent.consentId, { trigger: 'manual', full: true })).status);
      // What the budget did not allow follows with the next scheduled syncs, a day apart.
      while (runs.at(-1) === 'deferred' && runs.length < 12) {
        h.sandbox.advance(DAY + 10 * 60_000);
        runs.push((await h.sync(consent.consentId, { trigger: 'scheduled' })).status);
      }
    });
    console.info(`${bank}: unattended full refresh, runs`, runs, 'pages per account', Object.fromEntries(read));
    expect(runs[0]).toBe('deferred');
    expect(runs.at(-1)).toBe('succeeded');
    for (const [id, p] of read) expect(p.unattended).toBeGreaterThanOrEqual(firstSync.get(id)!);
    const counters = await h.sandbox.counters(bank, consent.bankConsentId);
    expect(counters.every((c) => c.rejected429 === 0)).toBe(true);
    expect((await probe()).untouched).toBeNull();
    await equalsBank();
  });

  it('reads the whole history again after a re-authorisation', async () => {
    h.sandbox.advance(DAY);
    await h.prisma.consent.update({ where: { id: consent.consentId }, data: { status: 'expired' } });
    consent = await h.reauthorise(consent);
    await tamper();
    const read = await pagesOf(consent.bankConsentId, async () => {
      expect(await h.sync(consent.consentId, { trigger: 'initial', psuIpAddress: PSU_IP })).toMatchObject({
        status: 'succeeded',
      });
    });
    console.info(`${bank}: first sync after re-authorisation, pages per account`, Object.fromEntries(read));
    expect(read.size).toBe(firstSync.size);
    for (const p of read.values()) expect(p.psuPresent).toBeGreaterThanOrEqual(Math.min(...firstSync.values()));
    expect((await probe()).untouched).toBeNull();
    await equalsBank();
  });
});
