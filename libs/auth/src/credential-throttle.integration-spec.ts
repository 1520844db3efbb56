import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { CLIENT_FAILURE_LIMIT, CredentialThrottle, SOURCE_FAILURE_LIMIT, sourceOf } from './credential-throttle.js';

describe('CredentialThrottle (failed client authentications, on Redis)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  afterAll(() => redis.quit());
  /** A Redis namespace per test: no test sees another's failures. */
  const fresh = () => {
    const prefix = `ctt${randomBytes(4).toString('hex')}`;
    return { prefix, throttle: new CredentialThrottle(redis, prefix) };
  };
  const failTimes = async (throttle: CredentialThrottle, n: number, client: string, ip: string, now: number) => {
    for (let i = 0; i < n; i++) await throttle.recordFailure(client, ip, now);
  };

  it('allows 10 failures for a client id, then refuses it for 90 s (one more per 90 s after that)', async () => {
    const { throttle } = fresh();
    const now = 1_000_000_000;
    for (let i = 0; i < CLIENT_FAILURE_LIMIT.attempts; i++) {
      expect(await throttle.check('cli_a', '203.0.113.1', now)).toEqual({ allowed: true });
      await throttle.recordFailure('cli_a', '203.0.113.1', now);
    }
    expect(await throttle.check('cli_a', '203.0.113.1', now)).toEqual({
      allowed: false,
      scope: 'client',
      retryAfterMs: 90_000,
    });
    // From anywhere: the client id is what is being guessed at.
    expect(await throttle.check('cli_a', '198.51.100.7', now + 1_000)).toMatchObject({
      allowed: false,
      scope: 'client',
    });
    expect(await throttle.check('cli_a', '203.0.113.1', now + 90_000)).toEqual({ allowed: true });
    await throttle.recordFailure('cli_a', '203.0.113.1', now + 90_000);
    expect(await throttle.check('cli_a', '203.0.113.1', now + 90_001)).toMatchObject({ allowed: false });
  });

  it('keeps client ids apart, and a throttled client id leaves its address room for the others', async () => {
    const { throttle } = fresh();
    const now = 2_000_000_000;
    await failTimes(throttle, 10, 'cli_bad', '203.0.113.2', now);
    expect(await throttle.check('cli_bad', '203.0.113.2', now)).toMatchObject({ allowed: false, scope: 'client' });
    expect(await throttle.check('cli_good', '203.0.113.2', now)).toEqual({ allowed: true });
    expect(await throttle.check('cli_good', '198.51.100.2', now)).toEqual({ allowed: true });
  });

  it('refuses an address after 50 failures over any client ids (unknown ones too), for every client id', async () => {
    const { throttle } = fresh();
    const now = 3_000_000_000;
    for (let i = 0; i < SOURCE_FAILURE_LIMIT.attempts; i++) {
      const client = `cli_unknown_${i}`; // a spray of made-up ids: each one fails once
      expect(await throttle.check(client, '203.0.113.3', now)).toEqual({ allowed: true });
      await throttle.recordFailure(client, '203.0.113.3', now);
    }
    expect(await throttle.check('cli_someone', '203.0.113.3', now)).toEqual({
      allowed: false,
      scope: 'source',
      retryAfterMs: 18_000,
    });
    expect(await throttle.check('cli_someone', '203.0.113.4', now)).toEqual({ allowed: true });
  });

  it('caps a burst of concurrent failures at one full bucket: no lock-out longer than the window', async () => {
    const { throttle } = fresh();
    const now = 4_000_000_000;
    await Promise.all(Array.from({ length: 200 }, () => throttle.recordFailure('cli_c', '203.0.113.5', now)));
    expect(await throttle.check('cli_c', '203.0.113.9', now)).toEqual({
      allowed: false,
      scope: 'client',
      retryAfterMs: 90_000,
    });
    expect(await throttle.check('cli_c', '203.0.113.9', now + 90_000)).toEqual({ allowed: true });
  });

  it('keeps short keys that expire once the bucket is full again, whatever the client id', async () => {
    const { prefix, throttle } = fresh();
    const now = Date.now();
    await throttle.recordFailure('x'.repeat(10_000), '203.0.113.6', now);
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key.length).toBeLessThan(80);
      expect(key).toMatch(new RegExp(`^${prefix}:\\{auth-failures\\}:(client|source):`));
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(CLIENT_FAILURE_LIMIT.windowMs + 1_000);
    }
  });

  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::99', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
    ['not an address', 'unknown'],
  ])('counts %s against %s', (address, source) => {
    expect(sourceOf(address)).toBe(source);
  });
});
