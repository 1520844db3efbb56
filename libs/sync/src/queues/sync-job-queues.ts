import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { SYNC_JOB_OPTIONS, bullPrefix, syncJobId, syncQueueName, type SyncJobData } from '@ais/contracts';
import { REDIS_SETTINGS, openBullConnection, type BullConnection, type RedisSettings } from '@ais/db';

/**
 * The per-provider sync queues (BullMQ), as a producer. Only the use cases of this library add or
 * remove `sync-consent` jobs (with the consent's deterministic job id and the shared job options);
 * the sync-worker consumes them.
 */
@Injectable()
export class SyncJobQueues implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private connection: BullConnection | undefined;

  constructor(@Inject(REDIS_SETTINGS) private readonly redis: RedisSettings) {}

  private queue(providerId: string): Queue {
    let queue = this.queues.get(providerId);
    if (!queue) {
      this.connection ??= openBullConnection(this.redis);
      const name = syncQueueName(providerId);
      queue = new Queue(name, { connection: this.connection.connection, prefix: bullPrefix(this.redis.prefix, name) });
      this.queues.set(providerId, queue);
    }
    return queue;
  }

  /** Adds the sync job; a no-op when the consent already has one (same job id). */
  async add(data: SyncJobData): Promise<void> {
    await this.queue(data.providerId).add('sync-consent', data, {
      ...SYNC_JOB_OPTIONS,
      jobId: syncJobId(data.consentId),
    });
  }

  /** The consent's sync job as Redis has it (waiting, delayed, active…), if any. */
  async find(providerId: string, consentId: string): Promise<SyncJobData | undefined> {
    const job = await this.queue(providerId).getJob(syncJobId(consentId));
    return job ? (job.data as SyncJobData) : undefined;
  }

  /** Takes the consent's waiting sync job off its queue (an active one finishes, and is refused by its run). */
  async remove(providerId: string, consentId: string): Promise<void> {
    await this.queue(providerId).remove(syncJobId(consentId));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    await this.connection?.release();
    this.connection = undefined;
  }
}
