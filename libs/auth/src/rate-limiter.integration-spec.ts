import { Redis } from 'ioredis';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter (GCRA on Redis)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const limiter = new RateLimiter(redis, `rltest_${process.pid}`);
  afterAll(() => redis.quit());

  it('allows a burst up to the per-minute limit, then answers with the wait until the next slot', async () => {
    const now = 1_000_000;
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.consume('tenant-a', 5, now));
    expect(decisions.slice(0, 5).every((d) => d.allowed)).toBe(true);
    expect(decisions.map((d) => d.remaining).slice(0, 5)).toEqual([4, 3, 2, 1, 0]);
    expect(decisions[5]).toMatchObject({ allowed: false, remaining: 0 });
    expect(decisions[5].retryAfterMs).toBe(12_000); // one slot every 60 s / 5
  });

  it('refills at the limit rate and keeps tenants apart', async () => {
    const now = 2_000_000;
    for (let i = 0; i < 5; i++) await limiter.consume('tenant-b', 5, now);
    expect((await limiter.consume('tenant-b', 5, now)).allowed).toBe(false);
    expect((await limiter.consume('tenant-c', 5, now)).allowed).toBe(true);
    expect((await limiter.consume('tenant-b', 5, now + 12_000)).allowed).toBe(true);
    expect((await limiter.consume('tenant-b', 5, now + 12_001)).allowed).toBe(false);
  });
});
