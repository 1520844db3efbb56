import {
  assessProvider,
  summariseOperations,
  summariseRuns,
  type OperationGroup,
  type ProviderSignals,
  type RunGroup,
} from './provider-health.rules.js';

const at = (minutesAgo: number) => new Date(Date.UTC(2026, 10, 21, 12, 0) - minutesAgo * 60_000);
const group = (status: string, runs: number, errorCode: string | null = null, minutesAgo = 5): RunGroup => ({
  status,
  errorCode,
  runs,
  lastAt: at(minutesAgo),
});

function signals(over: Partial<ProviderSignals> & { hour?: RunGroup[]; day?: RunGroup[] } = {}): ProviderSignals {
  const { hour = [], day = hour, ...rest } = over;
  return {
    status: 'active',
    registered: true,
    queue: { paused: false, backoffMs: 0 },
    lastHour: summariseRuns(hour),
    last24h: summariseRuns(day),
    lastSucceededAt: at(10),
    circuit: 'closed',
    ...rest,
  };
}

describe('provider health rules', () => {
  it('summarises a window: outcomes, failure rate over finished runs, error codes most frequent (then most recent) first', () => {
    const w = summariseRuns([
      group('succeeded', 6),
      group('failed', 2, 'bank_invalid_response', 30),
      group('failed', 1, 'bank_unauthorised', 3),
      group('deferred', 3, 'budget_exhausted', 20),
      group('deferred', 1, 'bank_rate_limited', 2),
      group('queued', 2, 'bank_unavailable', 1),
      group('running', 1),
    ]);
    expect(w).toMatchObject({
      runs: 16,
      succeeded: 6,
      failed: 3,
      deferred: 4,
      inFlight: 3,
      bankRateLimited: 1,
      budgetExhausted: 3,
    });
    expect(w.failureRate).toBeCloseTo(3 / 9);
    expect(w.errors.map((e) => [e.code, e.runs])).toEqual([
      ['budget_exhausted', 3],
      ['bank_unavailable', 2],
      ['bank_invalid_response', 2],
      ['bank_rate_limited', 1],
      ['bank_unauthorised', 1],
    ]);
    expect(summariseRuns([]).failureRate).toBeNull();
  });

  it('is healthy when runs succeed and the queue flows', () => {
    expect(
      assessProvider(signals({ hour: [group('succeeded', 20), group('failed', 1, 'bank_invalid_response')] })),
    ).toEqual({ verdict: 'healthy', reasons: [], circuit: 'closed' });
  });

  it('calls an inactive provider inactive, whatever else it sees', () => {
    expect(assessProvider(signals({ status: 'inactive', registered: false })).verdict).toBe('inactive');
  });

  it('is down without a registration at the bank', () => {
    const a = assessProvider(signals({ registered: false }));
    expect(a.verdict).toBe('down');
    expect(a.reasons[0]).toContain('onboard');
  });

  it('is down while the reported circuit is open, degraded while it is half-open', () => {
    const open = assessProvider(
      signals({
        hour: [group('queued', 3, 'bank_unavailable', 1)],
        queue: { paused: false, backoffMs: 20_000 },
        circuit: 'open',
      }),
    );
    expect(open).toEqual({
      verdict: 'down',
      reasons: ['The bank is failing: its circuit is open, calls to it are paused and the sync backs off.'],
      circuit: 'open',
    });
    const probing = assessProvider(signals({ queue: { paused: false, backoffMs: 5_000 }, circuit: 'half_open' }));
    expect(probing).toEqual({
      verdict: 'degraded',
      reasons: [
        'The bank failed recently: its circuit is half-open, a trial call decides whether calls resume.',
        'The sync backs off the bank for another 5 s (its circuit opened).',
      ],
      circuit: 'half_open',
    });
    // bank_unavailable runs alone do not open it: the breaker does.
    expect(assessProvider(signals({ hour: [group('queued', 3, 'bank_unavailable', 1)] })).circuit).toBe('closed');
  });

  it('is down when most runs of the last hour fail, degraded from 10%, and only over enough runs', () => {
    expect(
      assessProvider(signals({ hour: [group('succeeded', 2), group('failed', 3, 'bank_invalid_response')] })).verdict,
    ).toBe('down');
    expect(
      assessProvider(signals({ hour: [group('succeeded', 8), group('failed', 2, 'bank_invalid_response')] })).verdict,
    ).toBe('degraded');
    expect(assessProvider(signals({ hour: [group('failed', 4, 'bank_invalid_response')] })).verdict).toBe('healthy');
    // The last hour is quiet, the day was not.
    const day = assessProvider(
      signals({ hour: [], day: [group('succeeded', 40), group('failed', 10, 'bank_invalid_response', 300)] }),
    );
    expect(day).toMatchObject({
      verdict: 'degraded',
      reasons: ['20% of the runs that finished in the last 24 h failed.'],
    });
  });

  it('is degraded while paused by an operator, backing off after a 429, or after 429s in the day', () => {
    expect(assessProvider(signals({ queue: { paused: true, backoffMs: 0 } })).reasons).toEqual([
      'Its sync queue is paused by an operator: no syncs start.',
    ]);
    const backoff = assessProvider(
      signals({ hour: [group('deferred', 1, 'bank_rate_limited', 1)], queue: { paused: false, backoffMs: 59_001 } }),
    );
    expect(backoff.verdict).toBe('degraded');
    expect(backoff.reasons).toEqual([
      'The sync backs off the bank for another 60 s (the bank asked us to wait).',
      "1 run(s) hit the bank's rate limit (HTTP 429) in the last 24 h.",
    ]);
  });

  const op = (
    operation: string,
    outcome: string,
    count: number,
    errorCode: string | null = null,
    minutesAgo = 5,
  ): OperationGroup => ({ operation, outcome, errorCode, count, lastAt: at(minutesAgo) });
  const withOps = (hour: OperationGroup[], day: OperationGroup[] = hour) =>
    signals({
      hour: [group('succeeded', 20)],
      operations: { lastHour: summariseOperations(hour), last24h: summariseOperations(day) },
    });

  it('is never healthy while consent creations fail, however well the syncs go', () => {
    const all = assessProvider(withOps([op('consent_creation', 'failed', 3, 'bank_unauthorised')]));
    expect(all).toMatchObject({
      verdict: 'down',
      reasons: ['All 3 consent creations in the last hour failed (bank_unauthorised).'],
    });
    expect(assessProvider(withOps([op('code_exchange', 'failed', 1, 'bank_unavailable')]))).toMatchObject({
      verdict: 'degraded',
      reasons: [
        'The last authorisation callback (code exchange) in the last hour failed (bank_unavailable), and none succeeded.',
      ],
    });
    expect(
      assessProvider(
        withOps([op('token_refresh', 'succeeded', 3), op('token_refresh', 'failed', 3, 'bank_invalid_response')]),
      ).reasons,
    ).toEqual(['50% of the token refreshes in the last hour failed (bank_invalid_response).']);
    expect(
      assessProvider(
        withOps([
          op('consent_creation', 'succeeded', 1, null, 10),
          op('consent_creation', 'failed', 1, 'bank_unavailable', 2),
        ]),
      ).reasons,
    ).toEqual([`The last consent creation failed (bank_unavailable) at ${at(2).toISOString()}.`]);
    // A consent the PSU revoked at the bank, or a spent budget, says nothing about the bank.
    expect(assessProvider(withOps([op('token_refresh', 'failed', 4, 'consent_revoked')])).verdict).toBe('healthy');
    expect(
      assessProvider(
        withOps([op('consent_creation', 'succeeded', 19), op('consent_creation', 'failed', 1, 'bank_unavailable', 30)]),
      ).verdict,
    ).toBe('healthy');
  });

  it('is down while the bank rejects our registration, in words, with the automatic re-registration and when the next may happen', () => {
    const a = assessProvider(
      signals({
        rejection: {
          since: at(30),
          rejected: 'registration',
          lastReregistration: { at: at(29), outcome: 'succeeded' },
          nextAttemptAt: at(-1),
        },
      }),
    );
    expect(a.verdict).toBe('down');
    expect(a.reasons).toEqual([
      `The bank rejects our registration (it does not know our client) since ${at(30).toISOString()}. The connector-service registered again at ${at(29).toISOString()}, which did not help. It will not try again by itself before ${at(-1).toISOString()}: onboard the provider with force to register now.`,
    ]);
    expect(
      assessProvider(
        signals({
          rejection: { since: at(3), rejected: 'certificate', lastReregistration: null, nextAttemptAt: null },
        }),
      ).reasons,
    ).toEqual([
      `The bank rejects our transport certificate since ${at(3).toISOString()}. Onboard the provider (with force) to register again.`,
    ]);
  });
});
