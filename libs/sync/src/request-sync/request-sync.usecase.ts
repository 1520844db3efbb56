import { Injectable } from '@nestjs/common';
import type { SyncJobData, SyncTrigger } from '@ais/contracts';
import { SyncConsentRepository, SyncRunRepository, type RequestWrite } from '@ais/db';
import { newId } from '@ais/domain';
import { SyncJobQueues } from '../queues/sync-job-queues.js';

export interface RequestSyncCommand {
  tenantId: string;
  consentId: string;
  providerId: string;
  trigger: SyncTrigger;
  /** The PSU is present (their IP is sent to the bank): the run does not use the unattended budget. */
  psuIpAddress?: string;
  /**
   * Read the whole history again (a full refresh). Every `initial` sync does, whether or not it says
   * so: it follows an authorisation, and a re-authorisation may bring accounts and history anew.
   */
  full?: boolean;
  /**
   * The scheduler's claim: go ahead only while the consent's next_sync_at is still this lease. A run
   * that ended between the claim and now has set the real next time and must not be followed at once
   * by another.
   */
  claimedUntil?: Date;
}

export interface RequestedSync {
  syncRunId: string;
  /** false: a run was already in flight, and this is its id. */
  created: boolean;
}

/**
 * Starts a sync of a consent: the one way every caller (the consent-service after the callback, the
 * refresh endpoint, the scheduler) does it. Under the consent's advisory lock it answers the run
 * already in flight, or adds the job and then writes the `queued` run row. A run whose job vanished
 * from Redis (a lost enqueue, a flushed Redis) is closed as `job_lost` so it cannot block the consent
 * for ever. The caller checks the budget first when the run is unattended (`CheckSyncBudget`).
 *
 * A full read (`full`, or trigger `initial`) first forgets how far back the consent's accounts are
 * stored, outside the lock's transaction so that it holds even when the job cannot be added: until
 * every account has its full history again, syncs read the full window (in budget-sized chunks when
 * unattended), whichever run comes next — this one, the one already queued that it joins, or the
 * scheduler's if Redis refused this one.
 */
@Injectable()
export class RequestSync {
  constructor(
    private readonly runs: SyncRunRepository,
    private readonly consents: SyncConsentRepository,
    private readonly queues: SyncJobQueues,
  ) {}

  /** The run started or in flight; null only when a claim (`claimedUntil`) was overtaken. */
  execute(command: RequestSyncCommand & { claimedUntil: Date }, now: Date): Promise<RequestedSync | null>;
  execute(command: Omit<RequestSyncCommand, 'claimedUntil'>, now: Date): Promise<RequestedSync>;
  async execute(command: RequestSyncCommand, now: Date): Promise<RequestedSync | null> {
    if (isFullRead(command)) await this.consents.restartBackfill(command.tenantId, command.consentId);
    return this.runs.requestUnderLock(command, async ({ claimed, inFlightId }) => {
      if (!claimed) return { answer: null };
      const queued = await this.queues.find(command.providerId, command.consentId);
      if (queued) return { answer: { syncRunId: queued.syncRunId, created: false } };
      const writes: RequestWrite[] = inFlightId ? [{ kind: 'closeLost', runId: inFlightId, now }] : [];
      const answer = await this.enqueue(command, now, writes);
      return { answer, writes };
    });
  }

  /**
   * The job is added before the row commits, under the consent's lock: a worker that picks it up at
   * once waits for the lock in `SyncRunRepository.begin` and then finds the row. A job added by
   * someone else in the meantime (same job id) wins, and no row of ours is written (`writes` gets
   * the queued row only when ours won).
   */
  private async enqueue(command: RequestSyncCommand, now: Date, writes: RequestWrite[]): Promise<RequestedSync> {
    const data: SyncJobData = {
      tenantId: command.tenantId,
      consentId: command.consentId,
      providerId: command.providerId,
      syncRunId: newId('syncRun'),
      trigger: command.trigger,
      ...(command.psuIpAddress ? { psuIpAddress: command.psuIpAddress } : {}),
      ...(isFullRead(command) ? { full: true as const } : {}),
    };
    await this.queues.add(data);
    const job = await this.queues.find(command.providerId, command.consentId);
    if (job && job.syncRunId !== data.syncRunId) return { syncRunId: job.syncRunId, created: false };
    writes.push({
      kind: 'createQueued',
      run: { id: data.syncRunId, tenantId: data.tenantId, consentId: data.consentId, trigger: data.trigger },
      now,
    });
    return { syncRunId: data.syncRunId, created: true };
  }
}

/** Whether the command asks for the whole history again: a full refresh, or any `initial` sync. */
function isFullRead(command: RequestSyncCommand): boolean {
  return command.full === true || command.trigger === 'initial';
}
