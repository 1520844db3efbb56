import { Inject, Injectable } from '@nestjs/common';
import { AuditLogRepository, PRISMA, type PrismaClient } from '@ais/db';
import { AppError } from '@ais/domain';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, pageByKey, type Page } from '@ais/http-kit';
import type { AdminContext } from '../../auth/request-context.js';
import {
  JOB_STATES,
  QueueInspector,
  jobSnapshot,
  type JobSnapshot,
  type ListableJobState,
  type QueueSnapshot,
} from './queue-inspector.js';

export const DEFAULT_JOB_PAGE = 20;

/** A position in one queue's jobs of one state (the cursor of one queue never pages another's). */
const jobsCursor = (name: string) =>
  defineCursor(`queue-jobs:${name}`, { s: cursorFields.oneOf(JOB_STATES), o: cursorFields.offset });

/**
 * Operators' hands on the queues: look, retry a failed job, pause and resume. Each action and its
 * audit entry go in one database transaction with the Redis change as its last step, so a change
 * that fails leaves no entry; the entry commits right after the change.
 */
const QUEUES = defineCursor('queues', { n: cursorFields.name });

@Injectable()
export class QueuesService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly inspector: QueueInspector,
    private readonly audit: AuditLogRepository,
    private readonly cursors: CursorCodec,
  ) {}

  /** Every queue by name, a page at a time (only the page's queues are read from Redis). */
  async list(query: { limit?: number; cursor?: string } = {}): Promise<Page<QueueSnapshot>> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(QUEUES, query.cursor);
    const page = pageByKey(await this.inspector.refs(), (r) => r.name, limit, after?.n);
    const data = await Promise.all(page.items.map((ref) => this.inspector.snapshot(ref)));
    return { data, nextCursor: page.more ? this.cursors.encode(QUEUES, { n: page.items.at(-1)!.name }) : null };
  }

  async get(name: string): Promise<QueueSnapshot> {
    return this.inspector.snapshot(await this.inspector.resolve(name));
  }

  /**
   * Jobs in one state, newest first. BullMQ keeps states as lists and sorted sets, not as a keyset, so
   * the cursor is a position: a job that changes state between pages may be skipped or seen twice.
   */
  async jobs(
    name: string,
    query: { state?: ListableJobState; limit?: number; cursor?: string },
  ): Promise<Page<JobSnapshot>> {
    await this.inspector.resolve(name);
    const state = query.state ?? 'failed';
    const limit = query.limit ?? DEFAULT_JOB_PAGE;
    const position = this.cursors.decode(jobsCursor(name), query.cursor);
    if (position && position.s !== state)
      throw AppError.validation([{ field: 'cursor', message: 'cursor is for another state' }]);
    const offset = position?.o ?? 0;
    const jobs = await this.inspector.queue(name).getJobs([state], offset, offset + limit, false);
    const page = jobs.slice(0, limit).filter((j) => j.id !== undefined);
    return {
      data: page.map((job) => jobSnapshot(job, state)),
      nextCursor: jobs.length > limit ? this.cursors.encode(jobsCursor(name), { s: state, o: offset + limit }) : null,
    };
  }

  /** A failed job back to waiting, with its attempts counted afresh. */
  async retry(name: string, jobId: string, ctx: AdminContext): Promise<JobSnapshot> {
    const ref = await this.inspector.resolve(name);
    const queue = this.inspector.queue(name);
    // The state first: it looks the id up in the queue's lists, so an id that names one of the queue's
    // own keys ('meta', 'failed'…) is unknown rather than read as a job.
    const state = await queue.getJobState(jobId);
    const job = state === 'unknown' ? undefined : await queue.getJob(jobId);
    if (!job) throw AppError.notFound('Job');
    if (state !== 'failed')
      throw new AppError('conflict', `Job ${jobId} is ${state}: only a failed job can be retried.`, { state });
    await this.prisma.$transaction(async (tx) => {
      await this.audit.record(tx, {
        actor: 'admin',
        action: 'queue.job_retried',
        targetType: 'job',
        targetId: `${name}/${jobId}`,
        tenantId: typeof job.data?.tenantId === 'string' ? job.data.tenantId : null,
        details: {
          queue: name,
          providerId: ref.providerId,
          jobName: job.name,
          attemptsMade: job.attemptsMade,
          failedReason: job.failedReason || null,
        },
        requestId: ctx.requestId,
      });
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      } catch (error) {
        // Someone else retried or removed it meanwhile: say so rather than fail with a 500.
        const now = await queue.getJobState(jobId);
        if (now !== 'failed')
          throw new AppError('conflict', `Job ${jobId} is ${now} now: only a failed job can be retried.`, {
            state: now,
          });
        throw error;
      }
    });
    const after = await queue.getJob(jobId);
    if (!after) throw AppError.notFound('Job');
    return jobSnapshot(after, await after.getState());
  }

  /** Pause (no job starts; running ones finish) or resume a queue. Repeating either is harmless, and audited. */
  async setPaused(name: string, paused: boolean, ctx: AdminContext): Promise<QueueSnapshot> {
    const ref = await this.inspector.resolve(name);
    const queue = this.inspector.queue(name);
    const wasPaused = await queue.isPaused();
    await this.prisma.$transaction(async (tx) => {
      await this.audit.record(tx, {
        actor: 'admin',
        action: paused ? 'queue.paused' : 'queue.resumed',
        targetType: 'queue',
        targetId: name,
        details: { providerId: ref.providerId, wasPaused },
        requestId: ctx.requestId,
      });
      if (paused) await queue.pause();
      else await queue.resume();
    });
    return this.inspector.snapshot(ref);
  }
}
