import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type ConnectionOptions } from 'bullmq';
import { SYNC_JOB_OPTIONS, bullPrefix, syncJobId, syncQueueName, type JobPayloads } from '@ais/contracts';
import { REDIS_SETTINGS, type RedisSettings } from '../redis.module.js';

export type SyncJobData = JobPayloads['sync-consent'];

/** BullMQ connection options for a Redis URL (each Queue / Worker opens its own connections). */
export function bullConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true };
}

/**
 * The per-provider sync queues, as a producer: whoever starts a sync (scheduler, gateway refresh)
 * adds `sync-consent` through here, with the consent's deterministic job id and the shared job
 * options. Not part of DbModule (it needs Redis): apps that enqueue provide it.
 */
@Injectable()
export class SyncJobQueues implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();

  constructor(@Inject(REDIS_SETTINGS) private readonly redis: RedisSettings) {}

  queue(providerId: string): Queue {
    let queue = this.queues.get(providerId);
    if (!queue) {
      queue = new Queue(syncQueueName(providerId), { connection: bullConnection(this.redis.url), prefix: bullPrefix(this.redis.prefix) });
      this.queues.set(providerId, queue);
    }
    return queue;
  }

  /** Adds the sync job; a no-op when the consent already has one (same job id). */
  async add(data: SyncJobData): Promise<void> {
    await this.queue(data.providerId).add('sync-consent', data, { ...SYNC_JOB_OPTIONS, jobId: syncJobId(data.consentId) });
  }

  /** The consent's sync job as Redis has it (waiting, delayed, active…), if any. */
  async find(providerId: string, consentId: string): Promise<SyncJobData | undefined> {
    const job = await this.queue(providerId).getJob(syncJobId(consentId));
    return job ? (job.data as SyncJobData) : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
