import { redisSection } from './redis.section.js';

describe('Redis config', () => {
  it('is one server by default', () => {
    expect(redisSection.parse({})).toEqual({
      ok: true,
      value: { url: 'redis://127.0.0.1:6379', prefix: 'ais', cluster: false },
    });
  });

  it('takes the seed nodes of a cluster, comma-separated, with REDIS_CLUSTER=true', () => {
    expect(
      redisSection.parse({ REDIS_URL: 'redis://10.0.0.1:6379, rediss://u:p@10.0.0.2:6380', REDIS_CLUSTER: 'true' }),
    ).toEqual({
      ok: true,
      value: { url: 'redis://10.0.0.1:6379, rediss://u:p@10.0.0.2:6380', prefix: 'ais', cluster: true },
    });
  });

  it('refuses several URLs without REDIS_CLUSTER, and anything that is not a redis URL', () => {
    const several = redisSection.parse({ REDIS_URL: 'redis://a:1,redis://b:2' });
    expect(several).toEqual({ ok: false, issues: [expect.stringContaining('set REDIS_CLUSTER=true')] });
    const bad = redisSection.parse({ REDIS_URL: 'redis://a:1,http://b', REDIS_CLUSTER: 'true' });
    expect(bad).toMatchObject({ ok: false, issues: [expect.stringContaining('REDIS_URL')] });
  });
});
