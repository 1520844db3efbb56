import { syncBudget, syncBudgetView, syncCalls } from './sync-budget.js';
import type { AccessWindow } from './capabilities.js';

const rolling: AccessWindow = { kind: 'rolling24h' };
const berlin: AccessWindow = { kind: 'calendarDay', timeZone: 'Europe/Berlin' };
const caps = (bulk: ('balances' | 'transactions')[] = []) => ({
  supportedPermissions: ['accounts', 'balances', 'transactions', 'beneficiaries', 'party'] as const as never,
  bulkEndpoints: bulk,
});
const entry = (scope: string, resource: string, at: string, psuPresent = false) => ({
  consentId: 'c1',
  scope,
  resource,
  psuPresent,
  at,
});

describe('syncCalls', () => {
  it('lists the account list, then balances and transactions per account', () => {
    expect(syncCalls(caps(), ['accounts', 'balances', 'transactions'], ['a', 'b'])).toEqual([
      { scope: '*', resource: 'accounts' },
      { scope: 'a', resource: 'balances' },
      { scope: 'b', resource: 'balances' },
      { scope: 'a', resource: 'transactions' },
      { scope: 'b', resource: 'transactions' },
    ]);
  });

  it('uses the consent-level scope where the bank has a bulk endpoint', () => {
    expect(syncCalls(caps(['balances', 'transactions']), ['accounts', 'balances', 'transactions'], ['a', 'b'])).toEqual(
      [
        { scope: '*', resource: 'accounts' },
        { scope: '*', resource: 'balances' },
        { scope: '*', resource: 'transactions' },
      ],
    );
  });

  it('adds optional resources only when the consent grants and the bank supports them', () => {
    const calls = syncCalls(caps(), ['accounts', 'beneficiaries', 'standingOrders', 'party'], ['a']);
    expect(calls).toEqual([
      { scope: '*', resource: 'accounts' },
      { scope: 'a', resource: 'beneficiaries' },
      { scope: 'a', resource: 'party' },
    ]);
  });
});

describe('syncBudget', () => {
  const calls = syncCalls(caps(), ['accounts', 'balances', 'transactions'], ['a']);

  it('allows a sync while every scope has a call left, and reports the busiest scope', () => {
    const entries = [
      entry('*', 'accounts', '2026-03-10T01:00:00Z'),
      entry('*', 'accounts', '2026-03-10T02:00:00Z'),
      entry('a', 'transactions', '2026-03-10T02:00:00Z'),
    ];
    const b = syncBudget(entries, 'c1', calls, 4, rolling, new Date('2026-03-10T10:00:00Z'));
    expect(b).toMatchObject({ unattendedPerDay: 4, window: 'rolling24h', usedInWindow: 2, nextAllowedAt: null });
    expect(b.scopes.find((s) => s.resource === 'accounts')).toMatchObject({ used: 2, remaining: 2 });
  });

  it('defers to when the last exhausted scope frees up (rolling 24 h)', () => {
    const entries = [
      ...['01', '02', '03', '04'].map((h) => entry('*', 'accounts', `2026-03-10T${h}:00:00Z`)),
      ...['05', '06', '07', '08'].map((h) => entry('a', 'transactions', `2026-03-10T${h}:00:00Z`)),
    ];
    const b = syncBudget(entries, 'c1', calls, 4, rolling, new Date('2026-03-10T10:00:00Z'));
    expect(b.nextAllowedAt?.toISOString()).toBe('2026-03-11T05:00:00.000Z');
    expect(syncBudgetView(b).nextAllowedAt).toBe('2026-03-11T05:00:00.000Z');
  });

  it('frees a calendar-day budget at the bank’s midnight, and ignores PSU-present calls', () => {
    const entries = [
      ...['08', '09', '10', '11'].map((h) => entry('a', 'balances', `2026-03-10T${h}:00:00Z`)),
      entry('a', 'transactions', '2026-03-10T11:00:00Z', true),
    ];
    const b = syncBudget(entries, 'c1', calls, 4, berlin, new Date('2026-03-10T12:00:00Z'));
    expect(b.nextAllowedAt?.toISOString()).toBe('2026-03-10T23:00:00.000Z');
    expect(b.scopes.find((s) => s.resource === 'transactions')).toMatchObject({ used: 0, remaining: 4 });
  });

  it('rejects a limit below one', () => {
    expect(() => syncBudget([], 'c1', calls, 0, rolling, new Date())).toThrow(RangeError);
  });
});
