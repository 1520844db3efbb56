import fc from 'fast-check';
import { parseRetryAfter } from '../bank-error.js';
import { fullJitterBackoff } from './bank-http-client.js';
import { TokenBucket } from './rate-limiter.js';

describe('backoff with full jitter', () => {
  it('waits a random time between 0 and min(max, initial × 2^(attempt-1)), reaching the ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, initial, max, r) => {
          const ceiling = Math.min(max, initial * 2 ** (attempt - 1));
          const delay = fullJitterBackoff(attempt, { initialBackoffMs: initial, maxBackoffMs: max }, () => r);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(fullJitterBackoff(attempt, { initialBackoffMs: initial, maxBackoffMs: max }, () => 1)).toBe(ceiling);
        },
      ),
    );
  });

  it('spreads retries: two clients almost never pick the same delay', () => {
    const delays = Array.from({ length: 200 }, () =>
      fullJitterBackoff(4, { initialBackoffMs: 200, maxBackoffMs: 5_000 }),
    );
    expect(new Set(delays).size).toBeGreaterThan(150);
  });
});

describe('Retry-After', () => {
  const now = new Date('2026-03-10T10:00:00Z');
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Tue, 10 Mar 2026 10:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Tue, 10 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('outbound token bucket', () => {
  it('lets a burst through at once, then one call per 1/rate seconds, in arrival order', async () => {
    let t = 0;
    const bucket = new TokenBucket(10, 3, () => t);
    const granted: number[] = [];
    const waiting = Array.from({ length: 6 }, (_, i) => bucket.acquire().then(() => granted.push(i)));
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(granted).toEqual([0, 1, 2]);
    expect(bucket.estimatedWaitMs()).toBe(400);
    t = 250; // 2.5 tokens refilled
    await new Promise((r) => setTimeout(r, 120));
    expect(granted).toEqual([0, 1, 2, 3, 4]);
    t = 400;
    await Promise.all(waiting);
    expect(granted).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
  });
});
