import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

const queueLimits = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return {};
    try {
      const parsed = JSON.parse(v) as unknown;
      const schema = z.record(
        z.string(),
        z.object({ max: z.number().int().min(1), durationMs: z.number().int().min(1) }).strict(),
      );
      return schema.parse(parsed);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of providerId → { "max": n, "durationMs": n }' });
      return z.NEVER;
    }
  });

const ratio = z.coerce.number().min(0).max(0.5);

/**
 * The sync-worker: per-provider queues and their limits, the scheduler, the incremental window and
 * the worker's crash recovery. Durations in the schedule (margin, lease, look-back) are on the
 * gateway's clock; queue limits and locks are real time.
 */
export const syncSection = defineSection(
  'sync',
  {
    /** Jobs one process works on at once, per provider queue. */
    SYNC_CONCURRENCY: env.int(4, 1, 256),
    /** Syncs started per provider queue: at most `max` per `durationMs` (BullMQ limiter, across workers). */
    SYNC_QUEUE_LIMIT_MAX: env.int(10, 1, 100_000),
    SYNC_QUEUE_LIMIT_DURATION_MS: env.int(1_000, 1, 3_600_000),
    /** Per-provider overrides of the queue limit: {"allstar":{"max":2,"durationMs":1000}}. */
    SYNC_QUEUE_LIMITS: queueLimits,
    /** How often the scheduler looks for due consents (a BullMQ job scheduler), and how many per look. */
    SYNC_SCHEDULER_EVERY_MS: env.int(15_000, 10, 3_600_000),
    SYNC_SCHEDULER_BATCH: env.int(500, 1, 100_000),
    /** While a sync is queued or running its consent's next_sync_at is pushed this far ahead (lost jobs heal). */
    SYNC_LEASE_SECONDS: env.int(900, 10, 86_400),
    /** Safety margin added to every budget boundary (bank and gateway clocks, request latency). */
    SYNC_MARGIN_SECONDS: env.int(120, 0, 3_600),
    /** Random extra delay between syncs, as a share of the interval (spreads consents over the day). */
    SYNC_JITTER_RATIO: ratio.default(0.05),
    /**
     * A scheduled sync reads from the provider's syncLookBackDays (its bank profile) before the newest
     * booked date held, and back to the oldest open pending transaction, at most this many days.
     */
    SYNC_PENDING_LOOKBACK_DAYS: env.int(30, 0, 365),
    /** An unattended first sync reads history newest first in chunks of this many days (see backfillWindows). */
    SYNC_BACKFILL_CHUNK_DAYS: env.int(30, 1, 3_650),
    /** Attempts of a sync job on transient failures, and the first backoff (exponential). */
    SYNC_ATTEMPTS: env.int(5, 1, 50),
    SYNC_BACKOFF_MS: env.int(30_000, 10, 3_600_000),
    /** A 429 whose retry time is at most this far away also pauses the provider's queue until then. */
    SYNC_PROVIDER_PAUSE_MAX_SECONDS: env.int(300, 0, 86_400),
    /** BullMQ job lock and stalled-job check: a crashed worker's job is picked up again after about their sum. */
    SYNC_LOCK_DURATION_MS: env.int(30_000, 500, 600_000),
    SYNC_STALLED_INTERVAL_MS: env.int(30_000, 200, 600_000),
    SYNC_MAX_STALLED_COUNT: env.int(3, 0, 100),
    /** Longest database transaction of one account batch. */
    SYNC_BATCH_TIMEOUT_MS: env.int(120_000, 1_000, 3_600_000),
  },
  (v) => ({
    concurrency: v.SYNC_CONCURRENCY,
    queueLimit: { max: v.SYNC_QUEUE_LIMIT_MAX, durationMs: v.SYNC_QUEUE_LIMIT_DURATION_MS },
    queueLimits: v.SYNC_QUEUE_LIMITS,
    schedulerEveryMs: v.SYNC_SCHEDULER_EVERY_MS,
    schedulerBatch: v.SYNC_SCHEDULER_BATCH,
    leaseSeconds: v.SYNC_LEASE_SECONDS,
    marginSeconds: v.SYNC_MARGIN_SECONDS,
    jitterRatio: v.SYNC_JITTER_RATIO,
    pendingLookbackDays: v.SYNC_PENDING_LOOKBACK_DAYS,
    backfillChunkDays: v.SYNC_BACKFILL_CHUNK_DAYS,
    attempts: v.SYNC_ATTEMPTS,
    backoffMs: v.SYNC_BACKOFF_MS,
    providerPauseMaxSeconds: v.SYNC_PROVIDER_PAUSE_MAX_SECONDS,
    lockDurationMs: v.SYNC_LOCK_DURATION_MS,
    stalledIntervalMs: v.SYNC_STALLED_INTERVAL_MS,
    maxStalledCount: v.SYNC_MAX_STALLED_COUNT,
    batchTimeoutMs: v.SYNC_BATCH_TIMEOUT_MS,
  }),
);
export type SyncConfig =
  ReturnType<typeof syncSection.parse> extends { ok: true; value: infer T } | { ok: false } ? T : never;
