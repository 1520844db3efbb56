import { Injectable } from '@nestjs/common';
import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { JobPayloads } from '@ais/contracts';
import { SyncService } from '../sync/sync.service.js';
import type { JobHandler } from '../queues/job-handler.js';

/**
 * `sync-consent`: runs the consent's sync and turns its outcome into BullMQ terms. A deferred run
 * completes the job (the consent is rescheduled in Postgres); an open circuit puts the job back and
 * pauses the provider's queue; a transient failure delays the job by the worker's own backoff (the
 * run counts attempts, so the policy does not depend on who enqueued the job); a permanent one ends
 * the job at once (UnrecoverableError). The run row already says what happened in every case.
 */
@Injectable()
export class SyncConsentJob implements JobHandler<'sync-consent'> {
  readonly jobName = 'sync-consent' as const;

  constructor(private readonly sync: SyncService) {}

  async handle(job: Job<JobPayloads['sync-consent']>, queue: Queue, token?: string): Promise<string> {
    const outcome = await this.sync.run(job.data);
    switch (outcome.kind) {
      case 'done':
        if (outcome.pauseProviderMs) await queue.rateLimit(outcome.pauseProviderMs);
        return outcome.status;
      case 'pause':
        await queue.rateLimit(outcome.ms);
        throw Worker.RateLimitError();
      case 'retry':
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError(outcome.reason);
      case 'failed':
        throw new UnrecoverableError(`${outcome.code}: ${outcome.detail}`);
    }
  }
}
