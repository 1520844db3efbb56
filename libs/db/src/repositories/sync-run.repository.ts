import { Inject, Injectable } from '@nestjs/common';
import type { SyncJobData, SyncTrigger } from '@ais/contracts';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

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
  /** Optional resources (permission names) the bank refused during the run; they do not fail it. */
  unavailable: string[];
}

export interface SyncCounts {
  added: number;
  modified: number;
  removed: number;
}

const IN_FLIGHT: SyncRunStatus[] = ['queued', 'running'];

/** Serialises everything that starts or writes a consent's sync (one transaction at a time per consent). */
export async function lockConsentSync(tx: Prisma.TransactionClient, consentId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sync:${consentId}`}, 0))`;
}

/**
 * Sync runs (one row per run: trigger, timings, counts, error). A consent has at most one run in
 * flight (queued or running); starting one is the `RequestSync` use case (libs/sync), which reads and
 * writes runs here under the consent's advisory lock. Tenant-owned reads take the tenant id.
 */
@Injectable()
export class SyncRunRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Runs `work` in one transaction under the consent's sync lock (see `lockConsentSync`). */
  async underConsentLock<T>(
    consentId: string,
    work: (tx: Prisma.TransactionClient) => Promise<T>,
    options?: { timeout: number; maxWait: number },
  ): Promise<T> {
    return this.prisma.$transaction(async (tx) => {
      await lockConsentSync(tx, consentId);
      return work(tx);
    }, options);
  }

  /** The consent's run in flight (queued or running), newest first, if any. */
  async findInFlight(
    tx: Prisma.TransactionClient,
    tenantId: string,
    consentId: string,
  ): Promise<{ id: string } | null> {
    return tx.syncRun.findFirst({
      where: { tenantId, consentId, status: { in: IN_FLIGHT } },
      orderBy: { queuedAt: 'desc' },
      select: { id: true },
    });
  }

  /** Closes a run whose job vanished from Redis (a lost enqueue, a flushed Redis) so it cannot block the consent for ever. */
  async closeLost(tx: Prisma.TransactionClient, runId: string, now: Date): Promise<void> {
    await tx.syncRun.updateMany({
      where: { id: runId, status: { in: IN_FLIGHT } },
      data: {
        status: 'failed',
        finishedAt: now,
        errorCode: 'job_lost',
        errorDetail: 'The run’s job was no longer queued; a new run replaced it.',
      },
    });
  }

  /** The `queued` row of a run whose job has just been added. */
  async createQueued(
    tx: Prisma.TransactionClient,
    run: { id: string; tenantId: string; consentId: string; trigger: SyncTrigger },
    now: Date,
  ): Promise<void> {
    await tx.syncRun.create({ data: { ...run, status: 'queued', queuedAt: now } });
  }

  /**
   * Marks the run running (creating it when the enqueuer wrote no row). Answers null when the run has
   * already finished: a redelivered job after its run committed, which must do nothing.
   */
  async start(job: SyncJobData, now: Date): Promise<SyncRunRecord | null> {
    return this.underConsentLock(job.consentId, async (tx) => {
      const existing = await tx.syncRun.findFirst({ where: { id: job.syncRunId, tenantId: job.tenantId } });
      if (existing && !IN_FLIGHT.includes(existing.status)) return null;
      const row = existing
        ? await tx.syncRun.update({
            where: { id: job.syncRunId },
            data: { status: 'running', startedAt: existing.startedAt ?? now, attempts: { increment: 1 } },
          })
        : await tx.syncRun.create({
            data: {
              id: job.syncRunId,
              tenantId: job.tenantId,
              consentId: job.consentId,
              trigger: job.trigger,
              status: 'running',
              queuedAt: now,
              startedAt: now,
              attempts: 1,
            },
          });
      return row;
    });
  }

  /** Adds the counts of one account batch, inside that batch's transaction (exact across crashes). */
  async addCounts(tx: Prisma.TransactionClient, runId: string, counts: SyncCounts): Promise<void> {
    if (counts.added + counts.modified + counts.removed === 0) return;
    await tx.syncRun.update({
      where: { id: runId },
      data: {
        transactionsAdded: { increment: counts.added },
        transactionsModified: { increment: counts.modified },
        transactionsRemoved: { increment: counts.removed },
      },
    });
  }

  /** Lists optional resources the bank refused, inside the account batch's transaction that stored the rest. */
  async addUnavailable(tx: Prisma.TransactionClient, runId: string, resources: readonly string[]): Promise<void> {
    if (resources.length === 0) return;
    await tx.$executeRaw`
      UPDATE sync_runs SET unavailable = ARRAY(SELECT DISTINCT r FROM unnest(coalesce(unavailable, '{}') || ${[...resources]}::text[]) AS r ORDER BY r)
       WHERE id = ${runId}`;
  }

  /** Ends the run (succeeded, failed or deferred) inside the caller's transaction; returns its final row. */
  async finish(
    tx: Prisma.TransactionClient,
    runId: string,
    outcome: {
      status: 'succeeded' | 'failed' | 'deferred';
      accounts?: number;
      error?: { code: string; detail: string };
    },
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
    await this.prisma.syncRun.updateMany({
      where: { id: runId, status: 'running' },
      data: { status: 'queued', errorCode: error.code, errorDetail: error.detail },
    });
  }

  /** Newest first, keyset on (queued_at, id): sync_runs_tenant_id_consent_id_queued_at_id_idx. */
  /** One run of the tenant's, or null. */
  async findForTenant(tenantId: string, id: string): Promise<SyncRunRecord | null> {
    return this.prisma.syncRun.findFirst({ where: { id, tenantId } });
  }

  async listForConsent(
    tenantId: string,
    consentId: string,
    page: { limit: number; before?: { queuedAt: Date; id: string } },
  ): Promise<SyncRunRecord[]> {
    const before = page.before;
    const rows = await this.prisma.syncRun.findMany({
      where: {
        tenantId,
        consentId,
        ...(before
          ? { OR: [{ queuedAt: { lt: before.queuedAt } }, { queuedAt: before.queuedAt, id: { lt: before.id } }] }
          : {}),
      },
      orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }],
      take: page.limit,
    });
    return rows;
  }
}
