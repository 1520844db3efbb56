import { computeAccessBudget, computeAccessBudgets, type AccessLedgerRecord } from './access-budget.js';

const scope = { consentId: 'cons_1', scope: 'acc-1', resource: 'transactions' };
const entry = (at: string, overrides: Partial<AccessLedgerRecord> = {}): AccessLedgerRecord => ({
  ...scope,
  psuPresent: false,
  at,
  ...overrides,
});

describe('access budget', () => {
  it('counts unattended calls in the last 24 hours and says when the next one is allowed', () => {
    const entries = [
      entry('2024-05-01T08:00:00Z'),
      entry('2024-05-01T12:00:00Z'),
      entry('2024-05-01T20:00:00Z'),
      entry('2024-05-02T01:00:00Z'),
    ];
    const budget = computeAccessBudget(entries, scope, 4, { kind: 'rolling24h' }, new Date('2024-05-02T06:00:00Z'));
    expect(budget).toMatchObject({ used: 4, remaining: 0 });
    expect(budget.nextAllowedAt?.toISOString()).toBe('2024-05-02T08:00:00.000Z');
  });

  it('lets a call exactly 24 hours old drop out of a rolling window', () => {
    const budget = computeAccessBudget(
      [entry('2024-05-01T08:00:00Z')],
      scope,
      1,
      { kind: 'rolling24h' },
      new Date('2024-05-02T08:00:00Z'),
    );
    expect(budget).toMatchObject({ used: 0, remaining: 1, nextAllowedAt: null });
  });

  it('does not count PSU-present calls, other scopes, other resources or other consents', () => {
    const entries = [
      entry('2024-05-01T09:00:00Z', { psuPresent: true }),
      entry('2024-05-01T09:00:00Z', { scope: 'acc-2' }),
      entry('2024-05-01T09:00:00Z', { resource: 'balances' }),
      entry('2024-05-01T09:00:00Z', { consentId: 'cons_2' }),
      entry('2024-05-01T09:00:00Z'),
    ];
    const budget = computeAccessBudget(entries, scope, 4, { kind: 'rolling24h' }, new Date('2024-05-01T10:00:00Z'));
    expect(budget).toMatchObject({ used: 1, remaining: 3 });
  });

  it('resets a calendar-day budget at local midnight in the bank time zone', () => {
    const window = { kind: 'calendarDay', timeZone: 'Asia/Bahrain' } as const;
    // 20:30Z is 23:30 in Manama; 21:30Z is already the next day there.
    const entries = [entry('2024-05-01T20:30:00Z'), entry('2024-05-01T21:30:00Z')];
    const late = computeAccessBudget(entries, scope, 1, window, new Date('2024-05-01T20:45:00Z'));
    expect(late).toMatchObject({ used: 1, remaining: 0 });
    expect(late.nextAllowedAt?.toISOString()).toBe('2024-05-01T21:00:00.000Z');
    const nextDay = computeAccessBudget(entries, scope, 2, window, new Date('2024-05-01T22:00:00Z'));
    expect(nextDay).toMatchObject({ used: 1, remaining: 1, nextAllowedAt: null });
  });

  it('follows daylight saving when finding local midnight', () => {
    const window = { kind: 'calendarDay', timeZone: 'Europe/London' } as const;
    const budget = computeAccessBudget(
      [entry('2024-03-31T00:30:00Z')],
      scope,
      1,
      window,
      new Date('2024-03-31T12:00:00Z'),
    );
    expect(budget.windowStart.toISOString()).toBe('2024-03-31T00:00:00.000Z');
    expect(budget.nextAllowedAt?.toISOString()).toBe('2024-03-31T23:00:00.000Z');
  });

  it('reports every scope found in the ledger', () => {
    const entries = [
      entry('2024-05-01T09:00:00Z'),
      entry('2024-05-01T09:00:00Z', { scope: '*', resource: 'accounts' }),
    ];
    const budgets = computeAccessBudgets(entries, 4, { kind: 'rolling24h' }, new Date('2024-05-01T10:00:00Z'));
    expect(budgets.map((b) => [b.scope, b.resource, b.used])).toEqual([
      ['*', 'accounts', 1],
      ['acc-1', 'transactions', 1],
    ]);
  });
});

describe('access budget with clock skew between workers', () => {
  it('counts a call stamped slightly after now, so a worker whose clock lags never grants one too many', () => {
    const now = new Date('2026-03-10T10:00:00.000Z');
    const entries = [0, 1, 2, 3].map((i) => ({
      consentId: 'c',
      scope: '*',
      resource: 'accounts',
      psuPresent: false,
      at: new Date(now.getTime() + 5 + i),
    }));
    expect(
      computeAccessBudget(
        entries,
        { consentId: 'c', scope: '*', resource: 'accounts' },
        4,
        { kind: 'rolling24h' },
        now,
      ),
    ).toMatchObject({ used: 4, remaining: 0 });
  });
});
