import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type Job, type JobState } from 'bullmq';
import { CONSENT_QUEUE, SCHEDULER_QUEUE, bullPrefix, syncQueueName } from '@ais/contracts';
import {
  ProviderOpsRepository,
  REDIS_SETTINGS,
  createRedisClient,
  type RedisClient,
  type RedisSettings,
} from '@ais/db';
import { AppError } from '@ais/domain';

export type QueueKind = 'sync' | 'scheduler' | 'consents';

/** A queue the gateway knows: one per provider (any status: an inactive bank may still hold jobs), the scheduler, consents. */
export interface QueueRef {
  name: string;
  kind: QueueKind;
  providerId: string | null;
  /** The provider's status, for a sync queue. */
  providerStatus: 'active' | 'inactive' | null;
}

export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
] as const;
export type ListableJobState = (typeof JOB_STATES)[number];

export interface QueueSnapshot extends QueueRef {
  counts: {
    waiting: number;
    active: number;
    delayed: number;
    prioritized: number;
    waitingChildren: number;
    failed: number;
    completed: number;
    /** Jobs held by an operator's pause (waiting and prioritized ones while the queue is paused). */
    paused: number;
  };
  paused: boolean;
  /** How long the sync-worker still keeps the queue waiting (Queue.rateLimit after a 429, a 503 or an open circuit); 0 = not. */
  backoffMs: number;
  /** The queue-wide rate limit stored in Redis (Queue.setGlobalRateLimit); workers may add their own limiter. */
  globalRateLimit: { max: number; durationMs: number } | null;
  globalConcurrency: number | null;
  /** Worker connections on the queue (CLIENT LIST); null when the Redis server does not allow it. */
  workers: number | null;
}

/** Job fields safe to show: ids and the trigger. A PSU's IP address or anything else in a payload stays out. */
const SHOWN_DATA_FIELDS = ['tenantId', 'consentId', 'providerId', 'syncRunId', 'trigger', 'externalConsentId'] as const;

export interface JobSnapshot {
  id: string;
  name: string;
  state: JobState | 'unknown';
  attemptsMade: number;
  maxAttempts: number;
  failedReason: string | null;
  createdAt: string;
  processedAt: string | null;
  finishedAt: string | null;
  data: Record<string, string>;
}

const iso = (ms: number | undefined | null): string | null => (ms ? new Date(ms).toISOString() : null);

export function jobSnapshot(job: Job, state: JobState | 'unknown'): JobSnapshot {
  const payload = (job.data ?? {}) as Record<string, unknown>;
  const data: Record<string, string> = {};
  for (const field of SHOWN_DATA_FIELDS) if (typeof payload[field] === 'string') data[field] = payload[field];
  return {
    id: String(job.id),
    name: job.name,
    state,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    failedReason: job.failedReason || null,
    createdAt: new Date(job.timestamp).toISOString(),
    processedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    data,
  };
}

/**
 * Read access to the BullMQ queues, as a producer would see them (it runs no worker): names from
 * libs/contracts, keys under bullPrefix(REDIS_PREFIX), one shared Redis connection for all of them.
 */
@Injectable()
export class QueueInspector implements OnApplicationShutdown {
  private readonly connection: RedisClient;
  private readonly queues = new Map<string, Queue>();

  constructor(
    @Inject(REDIS_SETTINGS) private readonly redis: RedisSettings,
    private readonly providers: ProviderOpsRepository,
  ) {
    this.connection = createRedisClient(redis, { maxRetriesPerRequest: null, lazyConnect: true });
  }

  async refs(): Promise<QueueRef[]> {
    const providers = await this.providers.list();
    return [
      ...providers.map((p): QueueRef => ({
        name: syncQueueName(p.id),
        kind: 'sync',
        providerId: p.id,
        providerStatus: p.status,
      })),
      { name: SCHEDULER_QUEUE, kind: 'scheduler', providerId: null, providerStatus: null },
      { name: CONSENT_QUEUE, kind: 'consents', providerId: null, providerStatus: null },
    ];
  }

  /** The queue of that name, or 404: names come from the URL, and only known queues are touched. */
  async resolve(name: string): Promise<QueueRef> {
    const ref = (await this.refs()).find((r) => r.name === name);
    if (!ref) throw AppError.notFound('Queue');
    return ref;
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: bullPrefix(this.redis.prefix, name) });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** `workers: false` skips the worker count (a CLIENT LIST per queue) where nobody shows it. */
  async snapshot(ref: QueueRef, options: { workers?: boolean } = {}): Promise<QueueSnapshot> {
    const queue = this.queue(ref.name);
    const [counts, paused, backoff, globalRateLimit, globalConcurrency, workers] = await Promise.all([
      queue.getJobCounts(...JOB_STATES),
      queue.isPaused(),
      // The sync-worker's rate limit sets the limiter to MAX_SAFE_INTEGER: asking with that max reports
      // only such a forced wait, not the ordinary per-window throttling.
      queue.getRateLimitTtl(Number.MAX_SAFE_INTEGER),
      queue.getGlobalRateLimit(),
      queue.getGlobalConcurrency(),
      options.workers === false ? null : queue.getWorkersCount().catch(() => null),
    ]);
    const n = (state: string) => counts[state] ?? 0;
    return {
      ...ref,
      counts: {
        waiting: n('waiting'),
        active: n('active'),
        delayed: n('delayed'),
        prioritized: n('prioritized'),
        waitingChildren: n('waiting-children'),
        failed: n('failed'),
        completed: n('completed'),
        paused: paused ? n('waiting') + n('prioritized') : 0,
      },
      paused,
      backoffMs: Math.max(0, backoff),
      globalRateLimit: globalRateLimit ? { max: globalRateLimit.max, durationMs: globalRateLimit.duration } : null,
      globalConcurrency,
      workers,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    if (this.connection.status === 'wait') this.connection.disconnect();
    else await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
