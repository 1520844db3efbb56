import { Queue, type JobType } from 'bullmq';
import type { RedisSettings } from './redis-client.js';

const WAITING_STATES: JobType[] = ['wait', 'prioritized', 'delayed'];

/**
 * Until the Redis Cluster work, a queue's keys were `<REDIS_PREFIX>:bull:<queue>:…` (no hash tag); they are
 * now `<REDIS_PREFIX>:bull:{<queue>}:<queue>:…` (bullPrefix). A deployment upgraded in place may still hold
 * jobs under the old keys that no worker reads any more: a revocation at the bank still to do, a sync still
 * to run. The queue's consumer calls this at start: it moves every waiting, prioritised and delayed job to
 * the queue as it is now (same name, data, options and id; a delayed job keeps its due time), drops the
 * old repeatable schedules (each service upserts its own again) and, once nothing there is active, the
 * old keys. A cluster never had the old keys (BullMQ could not run there without a hash tag).
 */
export async function adoptLegacyJobs(queue: Queue, settings: RedisSettings, now = Date.now): Promise<number> {
  if (settings.cluster) return 0;
  const legacy = new Queue(queue.name, {
    connection: { url: settings.url, maxRetriesPerRequest: null },
    prefix: `${settings.prefix}:bull`,
  });
  let moved = 0;
  try {
    for (const scheduler of await legacy.getJobSchedulers()) await legacy.removeJobScheduler(scheduler.key);
    for (;;) {
      const jobs = (await legacy.getJobs(WAITING_STATES, 0, 99)).filter((j) => j !== undefined);
      if (jobs.length === 0) break;
      for (const job of jobs) {
        if (!job.repeatJobKey) {
          const delay = Math.max(0, job.timestamp + (job.opts.delay ?? 0) - now());
          await queue.add(job.name, job.data, { ...job.opts, jobId: job.id, delay });
          moved++;
        }
        await job.remove();
      }
    }
    if ((await legacy.getActiveCount()) === 0) await legacy.obliterate({ force: true });
  } finally {
    await legacy.close();
  }
  return moved;
}
