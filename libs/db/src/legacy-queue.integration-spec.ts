import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { bullPrefix } from '@ais/contracts';
import { adoptLegacyJobs } from './legacy-queue.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** An upgraded deployment's jobs under the old, untagged keys are not lost: the queue's consumer adopts them. */
describe('adoptLegacyJobs', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const settings = { url, prefix };
  const name = 'consents';
  let legacy: Queue;
  let queue: Queue;

  beforeAll(() => {
    legacy = new Queue(name, { connection: { url }, prefix: `${prefix}:bull` });
    queue = new Queue(name, { connection: { url }, prefix: bullPrefix(prefix, name) });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await Promise.all([legacy.close(), queue.close()]);
  });

  it('moves waiting and delayed jobs with their ids, options and due times, and clears the old keys', async () => {
    await legacy.add('revoke-at-bank', { consentId: 'c1' }, { jobId: 'revoke-c1', attempts: 30 });
    await legacy.add('revoke-at-bank', { consentId: 'c2' }, { jobId: 'revoke-c2', delay: 600_000 });
    await legacy.upsertJobScheduler('consent-maintenance', { every: 60_000 }, { name: 'consent-maintenance' });
    // After the adds: c1 is due (waiting), c2 in ten minutes (delayed), however long the adds took.
    const now = Date.now();

    expect(await adoptLegacyJobs(queue, settings, () => now)).toBe(2);

    const c1 = await queue.getJob('revoke-c1');
    expect(c1).toMatchObject({ name: 'revoke-at-bank', data: { consentId: 'c1' } });
    expect(c1!.opts.attempts).toBe(30);
    expect(await c1!.getState()).toBe('waiting');
    const c2 = await queue.getJob('revoke-c2');
    expect(await c2!.getState()).toBe('delayed');
    expect(c2!.timestamp + c2!.delay).toBeGreaterThan(now + 590_000);
    expect(await queue.getJobSchedulers()).toEqual([]);

    expect(await legacy.getJobCounts('wait', 'delayed', 'prioritized')).toEqual({
      wait: 0,
      delayed: 0,
      prioritized: 0,
    });
    expect(await legacy.getJobSchedulers()).toEqual([]);
    // A second start finds nothing to move.
    expect(await adoptLegacyJobs(queue, settings)).toBe(0);
  });
});
