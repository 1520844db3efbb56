import { Inject, Injectable } from '@nestjs/common';
import { SyncConsentRepository } from '@ais/db';
import { RequestSync } from '@ais/sync';
import { CLOCK, LOGGER, SYNC_WORKER_CONFIG, type Clock, type Logger } from '../tokens.js';
import type { SyncWorkerConfig } from '../sync-worker.config.js';

/**
 * Starts the syncs that are due. Postgres holds the schedule (consents.next_sync_at, set by each
 * run's end from the bank's access window, the consent's frequency, jitter and the budget); a tick
 * claims due consents with SKIP LOCKED and a lease, and requests one `scheduled` run each. A consent
 * with a run in flight keeps it: its end sets the next time.
 */
@Injectable()
export class SchedulerService {
  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly consents: SyncConsentRepository,
    private readonly requestSync: RequestSync,
  ) {}

  async tick(): Promise<{ claimed: number; started: number }> {
    const s = this.config.sync;
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + s.leaseSeconds * 1000);
    const due = await this.consents.claimDue(now, leaseUntil, s.schedulerBatch);
    let started = 0;
    for (const consent of due) {
      try {
        const request = {
          tenantId: consent.tenantId,
          consentId: consent.id,
          providerId: consent.providerId,
          trigger: 'scheduled' as const,
          claimedUntil: leaseUntil,
        };
        if ((await this.requestSync.execute(request, this.clock.now()))?.created) started++;
      } catch (err) {
        // The lease brings the consent back after SYNC_LEASE_SECONDS.
        this.logger.error({ err, consentId: consent.id }, 'could not start a scheduled sync');
      }
    }
    if (due.length > 0) this.logger.debug({ claimed: due.length, started }, 'scheduler tick');
    return { claimed: due.length, started };
  }
}
