import { backfillWindows, consentPhase, nextSyncAt, transactionWindow, type WindowInput } from './sync-plan.js';

const OBIE = {
  timeZone: 'Europe/London',
  maxHistoryDays: 730,
  transactionHistoryLimitDays: null,
  firstAccessWindowMinutes: null,
  syncLookBackDays: 30,
};
const BG = {
  timeZone: 'Europe/Berlin',
  maxHistoryDays: 730,
  transactionHistoryLimitDays: 90,
  firstAccessWindowMinutes: 10,
  syncLookBackDays: 30,
};
const now = new Date('2026-03-10T10:00:00Z');
const base: WindowInput = {
  now,
  capabilities: OBIE,
  transactionsFrom: null,
  authorisedAt: now,
  lastSyncedAt: null,
  fullRefresh: false,
  backfilledFrom: [],
  newestBooked: null,
  oldestOpenPending: null,
  pendingLookbackDays: 30,
};
/** A scheduled sync of a consent whose two accounts hold their full history, the newest booking on 8 March. */
const later: WindowInput = {
  ...base,
  lastSyncedAt: new Date('2026-03-09T08:00:00Z'),
  backfilledFrom: ['2024-03-01', '2024-03-09'],
  newestBooked: '2026-03-08',
};

describe('transactionWindow', () => {
  it('reads the full history the bank allows on the first sync', () => {
    expect(transactionWindow(base)).toEqual({ from: '2024-03-10', to: '2026-03-10', full: true });
  });

  it('starts no earlier than the consent’s transactionsFrom', () => {
    expect(transactionWindow({ ...base, transactionsFrom: '2025-06-01' })).toEqual({
      from: '2025-06-01',
      to: '2026-03-10',
      full: true,
    });
  });

  it('keeps the full history inside Berlin Group’s first ten minutes, and 90 days after them', () => {
    expect(
      transactionWindow({ ...base, capabilities: BG, authorisedAt: new Date(now.getTime() - 9 * 60_000) }).from,
    ).toBe('2024-03-10');
    expect(
      transactionWindow({ ...base, capabilities: BG, authorisedAt: new Date(now.getTime() - 11 * 60_000) }).from,
    ).toBe('2025-12-10');
  });

  it('reads a scheduled sync from the provider’s look-back before the newest booked date held', () => {
    expect(transactionWindow(later)).toEqual({ from: '2026-02-06', to: '2026-03-10', full: false });
    const quiet = { ...later, newestBooked: '2025-11-20' };
    expect(transactionWindow(quiet).from).toBe('2025-10-21');
    expect(transactionWindow({ ...quiet, capabilities: { ...OBIE, syncLookBackDays: 5 } }).from).toBe('2025-11-15');
  });

  it('anchors on the newest booked date, not on when the last sync ran', () => {
    const longAgo = { ...later, lastSyncedAt: new Date('2025-06-01T08:00:00Z') };
    expect(transactionWindow(longAgo).from).toBe('2026-02-06');
  });

  it('reaches back to the oldest open pending item, at most the pending look-back', () => {
    const short = { ...later, capabilities: { ...OBIE, syncLookBackDays: 3 } };
    expect(transactionWindow(short).from).toBe('2026-03-05');
    expect(transactionWindow({ ...short, oldestOpenPending: '2026-02-20' }).from).toBe('2026-02-20');
    expect(transactionWindow({ ...short, oldestOpenPending: '2025-01-01' }).from).toBe('2026-02-08');
    // A pending item newer than the look-back's start changes nothing.
    expect(transactionWindow({ ...later, oldestOpenPending: '2026-03-07' }).from).toBe('2026-02-06');
  });

  it('never reaches before the consent’s earliest date, nor past today for a future-dated booking', () => {
    expect(
      transactionWindow({ ...later, transactionsFrom: '2026-02-20', backfilledFrom: ['2026-02-20', '2026-02-20'] }),
    ).toEqual({ from: '2026-02-20', to: '2026-03-10', full: false });
    expect(transactionWindow({ ...later, newestBooked: '2026-04-30' }).from).toBe('2026-02-08');
  });

  it('reads the full window on a full refresh or after an authorisation, even with everything held', () => {
    expect(transactionWindow({ ...later, fullRefresh: true })).toEqual({
      from: '2024-03-10',
      to: '2026-03-10',
      full: true,
    });
  });

  it('reads the full window while an account is not stored back that far, and when nothing booked is held', () => {
    const full = { from: '2024-03-10', to: '2026-03-10', full: true };
    // A full read cut short by the budget (or restarted by a full refresh), an account new to the consent.
    expect(transactionWindow({ ...later, backfilledFrom: ['2024-03-01', '2025-11-01'] })).toEqual(full);
    expect(transactionWindow({ ...later, backfilledFrom: ['2024-03-01', null] })).toEqual(full);
    expect(transactionWindow({ ...later, newestBooked: null })).toEqual(full);
    // Without the transactions permission no account is asked about.
    expect(transactionWindow({ ...later, backfilledFrom: [] }).full).toBe(false);
  });

  it('counts Berlin Group history read in the first ten minutes as held once the 90-day rule applies', () => {
    const bg = {
      ...later,
      capabilities: BG,
      authorisedAt: new Date('2026-03-01T10:00:00Z'),
      backfilledFrom: ['2024-03-01'],
    };
    expect(transactionWindow(bg)).toEqual({ from: '2026-02-06', to: '2026-03-10', full: false });
    expect(transactionWindow({ ...bg, fullRefresh: true })).toEqual({
      from: '2025-12-10',
      to: '2026-03-10',
      full: true,
    });
  });

  it('uses the bank’s calendar: late evening in UTC is already tomorrow in Manama', () => {
    const w = transactionWindow({
      ...base,
      now: new Date('2026-03-10T22:30:00Z'),
      capabilities: { ...OBIE, timeZone: 'Asia/Bahrain' },
    });
    expect(w.to).toBe('2026-03-11');
  });
});

describe('backfillWindows', () => {
  const full = { from: '2026-01-01', to: '2026-03-10', full: true };

  it('reads newest first in chunks down to the start of the window', () => {
    expect(backfillWindows(full, null, 30)).toEqual([
      { from: '2026-02-09', to: '2026-03-10', full: true },
      { from: '2026-01-10', to: '2026-02-08', full: true },
      { from: '2026-01-01', to: '2026-01-09', full: true },
    ]);
  });

  it('goes on below what an earlier run stored, after the latest days again', () => {
    expect(backfillWindows(full, '2026-01-20', 30)).toEqual([
      { from: '2026-02-09', to: '2026-03-10', full: true },
      { from: '2026-01-01', to: '2026-01-19', full: true },
    ]);
    expect(backfillWindows(full, '2026-01-01', 30)).toEqual([{ from: '2026-02-09', to: '2026-03-10', full: true }]);
  });
});

describe('nextSyncAt', () => {
  const rolling = { kind: 'rolling24h' } as const;
  const calendar = { kind: 'calendarDay', timeZone: 'Europe/Berlin' } as const;
  const common = { frequencyPerDay: 4, consentId: 'cons_1', marginMs: 120_000, jitterRatio: 0.05 };

  it('waits a quarter of a rolling day plus the margin, plus up to 5 % jitter', () => {
    const at = (r: number) =>
      nextSyncAt({ ...common, window: rolling, after: now, random: () => r }).getTime() - now.getTime();
    expect(at(0)).toBe(6 * 3_600_000 + 120_000);
    expect(at(0.999)).toBeLessThan(6 * 3_600_000 + 120_000 + 0.05 * 6 * 3_600_000);
  });

  it('never lets five syncs fall in one rolling 24 h', () => {
    let t = now;
    const times = [t];
    for (let i = 0; i < 20; i++)
      times.push((t = nextSyncAt({ ...common, window: rolling, after: t, random: Math.random })));
    for (let i = 4; i < times.length; i++)
      expect(times[i].getTime() - times[i - 4].getTime()).toBeGreaterThan(86_400_000);
  });

  it('gives every calendar day its four syncs, each consent at its own place in each slot', () => {
    const days = new Map<string, number>([['2026-03-10', 1]]);
    let t = new Date('2026-03-09T23:00:30Z'); // a sync just after midnight in Berlin
    for (let i = 0; i < 11; i++) {
      t = nextSyncAt({ ...common, window: calendar, after: t, random: Math.random });
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(t);
      days.set(day, (days.get(day) ?? 0) + 1);
    }
    expect([...days.values()].slice(0, 2)).toEqual([4, 4]);
    const phases = ['cons_a', 'cons_b', 'cons_c'].map(consentPhase);
    expect(new Set(phases).size).toBe(3);
    expect(phases.every((p) => p >= 0 && p < 1)).toBe(true);
  });

  it('keeps a slot’s sync off the midnight edge by the margin', () => {
    const t = nextSyncAt({
      ...common,
      consentId: 'x',
      window: calendar,
      after: new Date('2026-03-10T16:59:00Z'),
      random: Math.random,
    });
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(t);
    expect(local >= '18:02' && local <= '23:58').toBe(true);
  });
});
