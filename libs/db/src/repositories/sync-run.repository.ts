import { Inject, Injectable } from '@nestjs/common';
import { newId } from '@ais/domain';
import type { SyncTrigger } from '@ais/contracts';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import type { SyncJobData, SyncJobQueues } from './sync-job-queues.js';

export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'deferred';

export interface SyncRunRecord {
  id: string;
  tenantId: string;
  consentId: string;
  trigger: SyncTrigger;
  status: SyncRunStatus;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  accounts: number;
  transactionsAdded: number;
  transactionsModified: number;
  transactionsRemoved: number;
  errorCode: string | null;
  errorDetail: string | null;
  attempts: number;
}

export interface SyncCounts {
  added: number;
  modified: number;
  removed: number;
}

export interface SyncRequest {
  tenantId: string;
  consentId: string;
  providerId: string;
  trigger: SyncTrigger;
  psuIpAddress?: string;
}

const IN_FLIGHT: SyncRunStatus[] = ['queued', 'running'];

/** Serialises everything that starts or writes a consent's sync (one transaction at a time per consent). */
export async function lockConsentSync(tx: Prisma.TransactionClient, consentId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sync:${consentId}`}, 0))`;
}

/**
 * Sync runs (one row per run: trigger, timings, counts, error). A consent has at most one run in
 * flight (queued or running): `request` creates the run and its job under the consent's advisory
 * lock, or answers the run already in flight. Tenant-owned reads take the tenant id.
 */
@Injectable()
export class SyncRunRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Starts a sync of the consent unless one is in flight. A run whose job vanished from Redis (a
   * lost enqueue, a flushed Redis) is closed as failed so it cannot block the consent for ever.
   */
  async request(input: SyncRequest, queues: SyncJobQueues, now: Date): Promise<{ syncRunId: string; created: boolean }> {
    return (await this.requestIf(input, queues, now, null))!;
  }

  /**
   * The scheduler's request after its claim: starts only if the consent's next_sync_at is still the
   * claim's lease. A run that ended between the claim and now has set the real next time and must
   * not be followed at once by another (null: nothing to do).
   */
  async requestClaimed(input: SyncRequest, claimedUntil: Date, queues: SyncJobQueues, now: Date): Promise<{ syncRunId: string; created: boolean } | null> {
    return this.requestIf(input, queues, now, claimedUntil);
  }

  private async requestIf(input: SyncRequest, queues: SyncJobQueues, now: Date, claimedUntil: Date | null): Promise<{ syncRunId: string; created: boolean } | null> {
    return this.prisma.$transaction(async (tx) => {
      await lockConsentSync(tx, input.consentId);
      if (claimedUntil) {
        const consent = await tx.consent.findFirst({ where: { id: input.consentId, tenantId: input.tenantId }, select: { nextSyncAt: true } });
        if (consent?.nextSyncAt?.getTime() !== claimedUntil.getTime()) return null;
      }
      const inFlight = await tx.syncRun.findFirst({
        where: { tenantId: input.tenantId, consentId: input.consentId, status: { in: IN_FLIGHT } },
        orderBy: { queuedAt: 'desc' },
        select: { id: true },
      });
      const queued = await queues.find(input.providerId, input.consentId);
      if (queued) return { syncRunId: queued.syncRunId, created: false };
      if (inFlight) {
        await tx.syncRun.updateMany({
          where: { id: inFlight.id, status: { in: IN_FLIGHT } },
          data: { status: 'failed', finishedAt: now, errorCode: 'job_lost', errorDetail: 'The run’s job was no longer queued; a new run replaced it.' },
        });
      }
      const data: SyncJobData = {
        tenantId: input.tenantId,
        consentId: input.consentId,
        providerId: input.providerId,
        syncRunId: newId('syncRun'),
        trigger: input.trigger,
        ...(input.psuIpAddress ? { psuIpAddress: input.psuIpAddress } : {}),
      };
      // The job is added before the row commits, under the consent's lock: a worker that picks it up at
      // once waits for the lock in `start` and then finds the row. A job added by someone else in the
      // meantime (same job id) wins, and no row of ours is written.
      await queues.add(data);
      const job = await queues.find(input.providerId, input.consentId);
      if (job && job.syncRunId !== data.syncRunId) return { syncRunId: job.syncRunId, created: false };
      await tx.syncRun.create({ data: { id: data.syncRunId, tenantId: input.tenantId, consentId: input.consentId, trigger: input.trigger, status: 'queued', queuedAt: now } });
      return { syncRunId: data.syncRunId, created: true };
    });
  }

  /**
   * Marks the run running (creating it when the enqueuer wrote no row). Answers null when the run has
   * already finished: a redelivered job after its run committed, which must do nothing.
   */
  async start(job: SyncJobData, now: Date): Promise<SyncRunRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      await lockConsentSync(tx, job.consentId);
      const existing = await tx.syncRun.findFirst({ where: { id: job.syncRunId, tenantId: job.tenantId } });
      if (existing && !IN_FLIGHT.includes(existing.status)) return null;
      const row = existing
        ? await tx.syncRun.update({ where: { id: job.syncRunId }, data: { status: 'running', startedAt: existing.startedAt ?? now, attempts: { increment: 1 } } })
        : await tx.syncRun.create({
            data: { id: job.syncRunId, tenantId: job.tenantId, consentId: job.consentId, trigger: job.trigger, status: 'running', queuedAt: now, startedAt: now, attempts: 1 },
          });
      return row;
    });
  }

  /** Adds the counts of one account batch, inside that batch's transaction (exact across crashes). */
  async addCounts(tx: Prisma.TransactionClient, runId: string, counts: SyncCounts): Promise<void> {
    if (counts.added + counts.modified + counts.removed === 0) return;
    await tx.syncRun.update({
      where: { id: runId },
      data: { transactionsAdded: { increment: counts.added }, transactionsModified: { increment: counts.modified }, transactionsRemoved: { increment: counts.removed } },
    });
  }

  /** Ends the run (succeeded, failed or deferred) inside the caller's transaction; returns its final row. */
  async finish(
    tx: Prisma.TransactionClient,
    runId: string,
    outcome: { status: 'succeeded' | 'failed' | 'deferred'; accounts?: number; error?: { code: string; detail: string } },
    now: Date,
  ): Promise<SyncRunRecord> {
    const row = await tx.syncRun.update({
      where: { id: runId },
      data: {
        status: outcome.status,
        finishedAt: now,
        ...(outcome.accounts !== undefined ? { accounts: outcome.accounts } : {}),
        errorCode: outcome.error?.code ?? null,
        errorDetail: outcome.error?.detail ?? null,
      },
    });
    return row;
  }

  /** A transient failure that will be retried: the run waits again, with the last error visible. */
  async retrying(runId: string, error: { code: string; detail: string }): Promise<void> {
    await this.prisma.syncRun.updateMany({ where: { id: runId, status: 'running' }, data: { status: 'queued', errorCode: error.code, errorDetail: error.detail } });
  }

  /** Newest first, keyset on (queued_at, id): sync_runs_tenant_id_consent_id_queued_at_id_idx. */
  async listForConsent(tenantId: string, consentId: string, page: { limit: number; before?: { queuedAt: Date; id: string } }): Promise<SyncRunRecord[]> {
    const before = page.before;
    const rows = await this.prisma.syncRun.findMany({
      where: {
        tenantId,
        consentId,
        ...(before ? { OR: [{ queuedAt: { lt: before.queuedAt } }, { queuedAt: before.queuedAt, id: { lt: before.id } }] } : {}),
      },
      orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }],
      take: page.limit,
    });
    return rows;
  }
}
