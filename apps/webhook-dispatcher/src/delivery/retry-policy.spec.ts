import { decide, describeDuration, type AttemptResult } from './retry-policy.js';

const SCHEDULE = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
const settings = { scheduleMs: SCHEDULE, jitter: 0.2 };
const now = new Date('2026-11-21T10:00:00Z');
const failure: AttemptResult = { kind: 'http_error', responseStatus: 503, latencyMs: 10, error: null };

describe('retry policy', () => {
  it('succeeds on a 2xx and fails at once on 410 Gone', () => {
    expect(
      decide(
        { attempts: 3, manualRetry: false },
        { kind: 'success', responseStatus: 204, latencyMs: 5, error: null },
        settings,
        now,
      ),
    ).toEqual({ status: 'succeeded', nextAttemptAt: null });
    expect(
      decide(
        { attempts: 0, manualRetry: false },
        { kind: 'gone', responseStatus: 410, latencyMs: 5, error: null },
        settings,
        now,
      ),
    ).toEqual({ status: 'failed', nextAttemptAt: null });
  });

  it('retries on a growing schedule with jitter that only ever lengthens the wait, for more than 24 hours', () => {
    let elapsed = 0;
    for (let attempts = 0; attempts < SCHEDULE.length; attempts++) {
      const low = decide({ attempts, manualRetry: false }, failure, settings, now, () => 0);
      const high = decide({ attempts, manualRetry: false }, failure, settings, now, () => 0.999999);
      expect(low.status).toBe('pending');
      expect(low.nextAttemptAt!.getTime() - now.getTime()).toBe(SCHEDULE[attempts]);
      const stretched = high.nextAttemptAt!.getTime() - now.getTime();
      expect(stretched).toBeGreaterThan(SCHEDULE[attempts] * 1.199);
      expect(stretched).toBeLessThanOrEqual(SCHEDULE[attempts] * 1.2);
      elapsed += SCHEDULE[attempts];
    }
    expect(elapsed).toBeGreaterThan(24 * 3_600_000);
    expect(decide({ attempts: SCHEDULE.length, manualRetry: false }, failure, settings, now)).toEqual({
      status: 'failed',
      nextAttemptAt: null,
    });
  });

  it.each(['timeout', 'network_error', 'refused'] as const)('treats %s like any other failure', (kind) => {
    expect(
      decide(
        { attempts: 0, manualRetry: false },
        { kind, responseStatus: null, latencyMs: 1, error: 'x' },
        settings,
        now,
        () => 0,
      ).nextAttemptAt,
    ).toEqual(new Date(now.getTime() + 5_000));
  });

  it('gives a manual retry one attempt only', () => {
    expect(decide({ attempts: 8, manualRetry: true }, failure, settings, now)).toEqual({
      status: 'failed',
      nextAttemptAt: null,
    });
    expect(decide({ attempts: 1, manualRetry: true }, failure, settings, now)).toEqual({
      status: 'failed',
      nextAttemptAt: null,
    });
  });

  it('describes durations for humans', () => {
    expect(describeDuration(5 * 86_400_000)).toBe('5 days');
    expect(describeDuration(3_600_000)).toBe('1 hour');
    expect(describeDuration(1_500)).toBe('1500 ms');
  });
});
