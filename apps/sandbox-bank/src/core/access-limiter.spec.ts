import { AccessLimiter } from './access-limiter.js';
import { BankClock } from './clock.js';
import { localInstant, dateToDayNumber } from './time.js';

const H = 3_600_000;

describe('AccessLimiter', () => {
  it('allows N unattended calls in any rolling 24 hours and says when the next one is allowed', () => {
    const l = new AccessLimiter('rolling24h', 'Europe/London');
    const t0 = Date.parse('2026-03-10T10:00:00Z');
    for (let i = 0; i < 4; i++) expect(l.record('c', 'a', 'balances', false, 4, t0 + i * H).allowed).toBe(true);
    const refused = l.record('c', 'a', 'balances', false, 4, t0 + 5 * H);
    expect(refused).toEqual({ allowed: false, retryAtBankMs: t0 + 24 * H });
    expect(l.record('c', 'a', 'balances', false, 4, t0 + 24 * H + 1).allowed).toBe(true);
  });

  it('counts per consent, account and resource, and never limits PSU-present calls', () => {
    const l = new AccessLimiter('rolling24h', 'Europe/London');
    const t = Date.parse('2026-03-10T10:00:00Z');
    expect(l.record('c', 'a', 'balances', false, 1, t).allowed).toBe(true);
    expect(l.record('c', 'a', 'transactions', false, 1, t).allowed).toBe(true);
    expect(l.record('c', 'b', 'balances', false, 1, t).allowed).toBe(true);
    expect(l.record('c', 'a', 'balances', false, 1, t).allowed).toBe(false);
    for (let i = 0; i < 10; i++) expect(l.record('c', 'a', 'balances', true, 1, t).allowed).toBe(true);
    expect(l.list('c', t).find((c) => c.accountId === 'a' && c.resource === 'balances')).toMatchObject({
      unattended: 1,
      psuPresent: 10,
      rejected429: 1,
    });
  });

  it('resets a calendar-day budget at the bank’s local midnight, not UTC midnight', () => {
    const l = new AccessLimiter('calendarDay', 'Europe/Berlin');
    const day = dateToDayNumber('2026-03-10');
    const lateEvening = localInstant(day, 23 * 60 + 30, 'Europe/Berlin');
    expect(l.record('c', 'a', 'balances', false, 1, lateEvening).allowed).toBe(true);
    const refused = l.record('c', 'a', 'balances', false, 1, lateEvening + 10 * 60_000);
    expect(refused).toEqual({ allowed: false, retryAtBankMs: localInstant(day + 1, 0, 'Europe/Berlin') });
    expect(new Date(localInstant(day + 1, 0, 'Europe/Berlin')).toISOString()).toBe('2026-03-10T23:00:00.000Z');
    expect(l.record('c', 'a', 'balances', false, 1, lateEvening + 31 * 60_000).allowed).toBe(true);
  });
});

describe('BankClock', () => {
  it('runs at the given scale from where it was set, and advances', () => {
    let real = 1_000_000;
    const clock = new BankClock(Date.parse('2026-03-10T10:00:00Z'), 60, () => real);
    real += 1000;
    expect(clock.now()).toBe(Date.parse('2026-03-10T10:01:00Z'));
    clock.advance(H);
    expect(clock.now()).toBe(Date.parse('2026-03-10T11:01:00Z'));
    clock.setScale(1);
    real += 1000;
    expect(clock.now()).toBe(Date.parse('2026-03-10T11:01:01Z'));
    expect(clock.realSecondsUntil(clock.now() + 10_000)).toBe(10);
  });
});
