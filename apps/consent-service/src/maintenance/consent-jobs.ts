import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { CONSENT_QUEUE, bullPrefix, revokeJobId, type JobPayloads } from '@ais/contracts';
import { openBullConnection, type BullConnection } from '@ais/db';
import { CONSENT_SERVICE_CONFIG, type ConsentServiceConfig } from '../consent-service.config.js';

/** Producer side of the consents queue. */
@Injectable()
export class ConsentJobs implements OnApplicationShutdown {
  private readonly connection: BullConnection;
  readonly queue: Queue;

  constructor(@Inject(CONSENT_SERVICE_CONFIG) readonly config: ConsentServiceConfig) {
    this.connection = openBullConnection(config.redis);
    this.queue = new Queue(CONSENT_QUEUE, {
      connection: this.connection.connection,
      prefix: bullPrefix(config.redis.prefix, CONSENT_QUEUE),
    });
  }

  /** The periodic maintenance job (one schedule, however many consent-service instances run). */
  async scheduleMaintenance(): Promise<void> {
    await this.queue.upsertJobScheduler(
      'consent-maintenance',
      { every: this.config.consents.maintenanceIntervalSeconds * 1000 },
      {
        name: 'consent-maintenance',
        data: {} satisfies JobPayloads['consent-maintenance'],
        opts: { removeOnComplete: 100, removeOnFail: 100 },
      },
    );
  }

  /** The periodic status checks of consents at their banks (ConsentStatusChecks). */
  async scheduleStatusChecks(): Promise<void> {
    await this.queue.upsertJobScheduler(
      'consent-status-checks',
      { every: this.config.consents.statusCheck.tickSeconds * 1000 },
      {
        name: 'consent-status-checks',
        data: {} satisfies JobPayloads['consent-status-checks'],
        opts: { removeOnComplete: 100, removeOnFail: 100 },
      },
    );
  }

  async enqueueRevokeAtBank(data: JobPayloads['revoke-at-bank']): Promise<void> {
    await this.queue.add('revoke-at-bank', data, {
      jobId: revokeJobId(`${data.consentId}:${data.externalConsentId}`),
      attempts: 30,
      backoff: { type: 'exponential', delay: 10_000 },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    await this.connection.release();
  }
}
