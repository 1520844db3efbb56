import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import {
  SCHEDULER_QUEUE,
  SCHEDULER_QUEUE_JOBS,
  SCHEDULE_DUE_SYNCS_SCHEDULER_ID,
  SYNC_QUEUE_JOBS,
  bullPrefix,
  syncQueueName,
  type JobName,
} from '@ais/contracts';
import { ProviderRepository, adoptLegacyJobs, openBullConnection, type BullConnection } from '@ais/db';
import { Metrics } from '@ais/observability';
import { LOGGER, SYNC_WORKER_CONFIG, type Logger } from '../tokens.js';
import type { SyncWorkerConfig } from '../sync-worker.config.js';
import { JOB_HANDLERS, handlerTable, type JobHandler } from './job-handler.js';

/** How often the pool looks for providers that were switched on since it started. */
const PROVIDER_REFRESH_MS = 60_000;

/** How often the backlog gauge (what an autoscaler reads) is sampled from Redis. */
const BACKLOG_SAMPLE_MS = 15_000;
const BACKLOG_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/**
 * The BullMQ workers of this process: one per active provider's sync queue (that queue's limiter,
 * this process's concurrency) and one on the scheduler queue, whose job scheduler ticks
 * `schedule-due-syncs`. Crash recovery is BullMQ's: a job whose lock lapses (its worker died) is
 * moved back to waiting by the stalled-job check and runs again. On shutdown the workers stop
 * taking jobs and finish the active ones before the database and Redis connections close.
 */
@Injectable()
export class WorkerPool implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly workers = new Map<string, Worker>();
  private readonly queues = new Map<string, Queue>();
  private readonly connections: BullConnection[] = [];
  private readonly handlers: Map<JobName, JobHandler>;
  private refreshTimer: NodeJS.Timeout | undefined;
  private backlogTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(JOB_HANDLERS) handlers: JobHandler[],
    private readonly providers: ProviderRepository,
    private readonly metrics: Metrics,
  ) {
    this.handlers = handlerTable(handlers, {
      [SCHEDULER_QUEUE]: SCHEDULER_QUEUE_JOBS,
      'sync.<provider>': SYNC_QUEUE_JOBS,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const scheduler = this.start(SCHEDULER_QUEUE, { concurrency: 1 });
    await this.adopt(scheduler);
    await scheduler.upsertJobScheduler(
      SCHEDULE_DUE_SYNCS_SCHEDULER_ID,
      { every: this.config.sync.schedulerEveryMs },
      { name: 'schedule-due-syncs', data: {}, opts: { removeOnComplete: true, removeOnFail: 50 } },
    );
    await this.refreshProviders();
    this.refreshTimer = setInterval(
      () => void this.refreshProviders().catch((err: unknown) => this.logger.error({ err }, 'provider refresh failed')),
      PROVIDER_REFRESH_MS,
    );
    this.refreshTimer.unref();
    await this.sampleBacklog();
    this.backlogTimer = setInterval(
      () => void this.sampleBacklog().catch((err: unknown) => this.logger.warn({ err }, 'backlog sample failed')),
      BACKLOG_SAMPLE_MS,
    );
    this.backlogTimer.unref();
  }

  /**
   * `sync_queue_jobs{queue,state}`: each queue's jobs by state, the same for every instance (it is
   * read from Redis), so an autoscaler (KEDA, k8s/base/sync-worker) can take max() across pods and
   * scale on the backlog, delayed and prioritised jobs included.
   */
  async sampleBacklog(): Promise<void> {
    const gauge = this.metrics.gauge('sync_queue_jobs', 'BullMQ jobs by queue and state (from Redis)', [
      'queue',
      'state',
    ]);
    for (const [name, queue] of this.queues) {
      const counts = await queue.getJobCounts(...BACKLOG_STATES);
      for (const state of BACKLOG_STATES) gauge.set({ queue: name, state }, counts[state] ?? 0);
    }
  }

  /** Starts a worker for every active provider that has none yet. */
  async refreshProviders(): Promise<void> {
    for (const p of await this.providers.list({ status: 'active' })) await this.ensureProvider(p.id);
  }

  /**
   * The bank's queue with its limit: stored on the queue in Redis (BullMQ's global rate limit, what
   * every worker process obeys and what GET /admin/queues shows), and the same limiter on this worker
   * should the stored one be removed.
   */
  async ensureProvider(providerId: string): Promise<void> {
    const name = syncQueueName(providerId);
    if (this.closing || this.workers.has(name)) return;
    const limit = this.config.sync.queueLimits[providerId] ?? this.config.sync.queueLimit;
    const queue = this.start(name, {
      concurrency: this.config.sync.concurrency,
      limiter: { max: limit.max, duration: limit.durationMs },
    });
    await queue.setGlobalRateLimit(limit.max, limit.durationMs);
    await this.adopt(queue);
  }

  /** Jobs an earlier version left under the queue's old keys (see adoptLegacyJobs). */
  private async adopt(queue: Queue): Promise<void> {
    const moved = await adoptLegacyJobs(queue, this.config.redis);
    if (moved > 0) this.logger.info({ queue: queue.name, moved }, 'moved jobs from the queue’s pre-cluster keys');
  }

  /** The producer side of a queue this pool works on (for rate limits and tests). */
  queue(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  private start(name: string, options: { concurrency: number; limiter?: { max: number; duration: number } }): Queue {
    const bull = openBullConnection(this.config.redis);
    this.connections.push(bull);
    const connection = bull.connection;
    const prefix = bullPrefix(this.config.redis.prefix, name);
    const queue = new Queue(name, { connection, prefix });
    const s = this.config.sync;
    const worker = new Worker(name, (job: Job, token?: string) => this.process(queue, job, token), {
      connection,
      prefix,
      concurrency: options.concurrency,
      ...(options.limiter ? { limiter: options.limiter } : {}),
      lockDuration: s.lockDurationMs,
      stalledInterval: s.stalledIntervalMs,
      maxStalledCount: s.maxStalledCount,
    });
    worker.on('error', (err) => this.logger.error({ err, queue: name }, 'worker error'));
    worker.on('failed', (job, err) =>
      this.logger.warn(
        { queue: name, jobId: job?.id, attemptsMade: job?.attemptsMade, err: { message: err.message, name: err.name } },
        'job failed',
      ),
    );
    worker.on('stalled', (jobId) =>
      this.logger.warn({ queue: name, jobId }, 'job stalled (its worker stopped): it will run again'),
    );
    this.queues.set(name, queue);
    this.workers.set(name, worker);
    return queue;
  }

  private async process(queue: Queue, job: Job, token?: string): Promise<unknown> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    const end = this.metrics
      .histogram(
        'sync_worker_job_duration_seconds',
        'Jobs by queue, name and outcome',
        ['queue', 'job', 'outcome'],
        [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      )
      .startTimer({ queue: queue.name, job: job.name });
    try {
      const result = await handler.handle(job as never, queue, token);
      end({ outcome: typeof result === 'string' ? result : 'completed' });
      return result;
    } catch (error) {
      end({ outcome: (error as Error)?.name ?? 'error' });
      throw error;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    // Stop taking jobs and let the active ones finish while the database is still open.
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await Promise.all(this.connections.splice(0).map((c) => c.release()));
    this.workers.clear();
    this.queues.clear();
  }
}
