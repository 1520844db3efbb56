import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MINUTE_SERIES_RETENTION_SECONDS, MinuteSeriesRepository, epochMinute } from './minute-series.repository.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Per-minute series in a real Redis, as two gateway instances would share them. */
describe('MinuteSeriesRepository', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const redis = new Redis(url);
  // Two instances: two repositories on their own connections, one Redis.
  const other = new Redis(url);
  const a = new MinuteSeriesRepository(redis, { url, prefix });
  const b = new MinuteSeriesRepository(other, { url, prefix });
  const at = new Date('2026-12-05T13:21:30.000Z');

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    other.disconnect();
  });

  it('adds up the counts of every instance per minute, and reads a window across hours', async () => {
    await a.add('api', at, { requests: 3, clientErrors: 1, serverErrors: 0 });
    await b.add('api', new Date(at.getTime() + 20_000), { requests: 2 });
    await a.add('api', new Date('2026-12-05T12:59:10.000Z'), { requests: 7 });
    await a.add('api', new Date('2026-12-05T11:00:00.000Z'), { requests: 100 }); // before the window
    const read = await b.read('api', new Date('2026-12-05T12:22:00.000Z'), 60);
    expect([...read.entries()].sort(([x], [y]) => x - y)).toEqual([
      [epochMinute(new Date('2026-12-05T12:59:00.000Z')), { requests: 7 }],
      [epochMinute(at), { requests: 5, clientErrors: 1 }],
    ]);
  });

  it('keeps nothing longer than the retention', async () => {
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect({ key, expires: ttl > 0 && ttl <= MINUTE_SERIES_RETENTION_SECONDS }).toEqual({ key, expires: true });
    }
    expect(keys.every((k) => k.startsWith(`${prefix}:{ops-series}:`))).toBe(true);
  });

  it('lets one instance a minute take the sample of a shared state; samples are set, not added', async () => {
    const minute = new Date('2026-12-05T13:30:05.000Z');
    expect(await a.claim('queues', minute)).toBe(true);
    expect(await b.claim('queues', new Date('2026-12-05T13:30:50.000Z'))).toBe(false);
    expect(await b.claim('queues', new Date('2026-12-05T13:31:00.000Z'))).toBe(true);
    await a.set('queues', minute, { 'sync.allstar|waiting': 4 });
    await a.set('queues', minute, { 'sync.allstar|waiting': 2 });
    const read = await a.read('queues', minute, 1);
    expect(read.get(epochMinute(minute))).toEqual({ 'sync.allstar|waiting': 2 });
  });
});
