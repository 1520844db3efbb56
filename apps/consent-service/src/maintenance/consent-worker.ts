import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { CONSENT_QUEUE, bullPrefix, type JobPayloads } from '@ais/contracts';
import { adoptLegacyJobs, openBullConnection, type BullConnection } from '@ais/db';
import { AppError } from '@ais/domain';
import type { Logger } from '@ais/observability';
import type { RpcClient } from '@ais/rpc';
import { CONSENT_SERVICE_CONFIG, type ConsentServiceConfig } from '../consent-service.config.js';
import { CONNECTOR_RPC, LOGGER } from '../tokens.js';
import { ConsentJobs } from './consent-jobs.js';
import { ConsentMaintenanceService } from './consent-maintenance.service.js';
import { ConsentStatusChecks } from './consent-status-checks.js';

type Handlers = {
  [N in 'consent-maintenance' | 'consent-status-checks' | 'revoke-at-bank']: (data: JobPayloads[N]) => Promise<unknown>;
};

/** Bank answers after which retrying a revocation cannot help. */
const PERMANENT = new Set(['bank_rejected_request', 'bank_forbidden_permission', 'not_found', 'provider_unavailable']);

/** Thin processors for the consents queue: load, call a service, rethrow transient failures. */
@Injectable()
export class ConsentWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker?: Worker;
  private connection?: BullConnection;
  private readonly handlers: Handlers;

  constructor(
    @Inject(CONSENT_SERVICE_CONFIG) private readonly config: ConsentServiceConfig,
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: ConsentJobs,
    private readonly maintenance: ConsentMaintenanceService,
    private readonly statusChecks: ConsentStatusChecks,
  ) {
    this.handlers = {
      'consent-maintenance': () => this.maintenance.run(),
      'consent-status-checks': () => this.statusChecks.run(),
      'revoke-at-bank': (data) => this.revokeAtBank(data),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.connection = openBullConnection(this.config.redis);
    this.worker = new Worker(CONSENT_QUEUE, (job: Job) => this.process(job), {
      connection: this.connection.connection,
      prefix: bullPrefix(this.config.redis.prefix, CONSENT_QUEUE),
      concurrency: 4,
    });
    this.worker.on('failed', (job, error) =>
      this.logger.warn({ job: job?.name, jobId: job?.id, err: error }, 'consent job failed'),
    );
    const moved = await adoptLegacyJobs(this.jobs.queue, this.config.redis);
    if (moved > 0) this.logger.info({ queue: CONSENT_QUEUE, moved }, 'moved jobs from the queue’s pre-cluster keys');
    await this.jobs.scheduleMaintenance();
    await this.jobs.scheduleStatusChecks();
  }

  private async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as keyof Handlers] as ((data: unknown) => Promise<unknown>) | undefined;
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on ${CONSENT_QUEUE}`);
    return handler(job.data);
  }

  private async revokeAtBank(data: JobPayloads['revoke-at-bank']): Promise<void> {
    try {
      await this.connector.send('connector.revokeConsent', {
        providerId: data.providerId,
        externalConsentId: data.externalConsentId,
      });
    } catch (error) {
      if (error instanceof AppError && (error.code === 'consent_revoked' || error.code === 'consent_expired')) return;
      if (error instanceof AppError && PERMANENT.has(error.code))
        throw new UnrecoverableError(`${error.code}: ${error.detail}`);
      throw error; // transient: BullMQ retries with backoff
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.connection?.release();
  }
}
