import { Inject, Injectable } from '@nestjs/common';
import { SyncConsentRepository, type DueConsent } from '@ais/db';
import { RequestSync } from '@ais/sync';
import { CLOCK, LOGGER, SYNC_WORKER_CONFIG, type Clock, type Logger } from '../tokens.js';
import type { SyncWorkerConfig } from '../sync-worker.config.js';

/** Runs requested at once within a batch: each is its own short transaction under its consent's lock. */
const REQUESTS_AT_ONCE = 8;

/**
 * A tick claims batch after batch while the batches come back full, for at most this long (the next
 * tick goes on): a backlog larger than one batch (thousands of consents due at once after an outage,
 * or all of a day's consents at one instant) is started in one tick instead of one batch per tick,
 * and no more than one batch of claimed consents is held at a time.
 */
const TICK_BUDGET_MS = 60_000;

/** A claimed consent whose run could not be requested is due again this much later (a job's first retry waits as long). */
const RETRY_FAILED_REQUEST_MS = 30_000;

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
    const until = Date.now() + TICK_BUDGET_MS;
    let claimed = 0;
    let started = 0;
    for (;;) {
      const batch = await this.claimAndRequest();
      claimed += batch.claimed;
      started += batch.started;
      if (batch.claimed < s.schedulerBatch || Date.now() >= until) break;
    }
    if (claimed > 0) this.logger.debug({ claimed, started }, 'scheduler tick');
    return { claimed, started };
  }

  /** One batch: claims up to SYNC_SCHEDULER_BATCH due consents and requests their runs, a few at a time. */
  private async claimAndRequest(): Promise<{ claimed: number; started: number }> {
    const s = this.config.sync;
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + s.leaseSeconds * 1000);
    const due = await this.consents.claimDue(now, leaseUntil, s.schedulerBatch);
    let started = 0;
    let next = 0;
    const requester = async () => {
      for (let i = next++; i < due.length; i = next++) if (await this.request(due[i], leaseUntil)) started++;
    };
    await Promise.all(Array.from({ length: Math.min(REQUESTS_AT_ONCE, due.length) }, requester));
    return { claimed: due.length, started };
  }

  /** Requests the consent's scheduled run; true when a new run was started. */
  private async request(consent: DueConsent, leaseUntil: Date): Promise<boolean> {
    try {
      const request = {
        tenantId: consent.tenantId,
        consentId: consent.id,
        providerId: consent.providerId,
        trigger: 'scheduled' as const,
        claimedUntil: leaseUntil,
      };
      return (await this.requestSync.execute(request, this.clock.now()))?.created ?? false;
    } catch (err) {
      // A transaction that could not start in time on a busy pool, a lock held too long, Redis for a
      // moment: the consent is given back to be claimed again soon, as a job's own retries are. Should
      // that fail too (the database is down), the lease brings it back after SYNC_LEASE_SECONDS.
      this.logger.error({ err, consentId: consent.id }, 'could not start a scheduled sync');
      const retryAt = new Date(this.clock.now().getTime() + RETRY_FAILED_REQUEST_MS);
      await this.consents
        .releaseClaim(consent.tenantId, consent.id, leaseUntil, retryAt)
        .catch((error: unknown) =>
          this.logger.warn({ err: error, consentId: consent.id }, 'could not give a scheduled sync back'),
        );
      return false;
    }
  }
}
