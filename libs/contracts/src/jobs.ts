/**
 * BullMQ queues and jobs. Queue names never change once shipped. Enqueueing takes the job's
 * `JobPayloads` entry, so a wrong payload is a compile error; job ids are built here, in one place,
 * where de-duplication matters.
 */

/** One queue per provider for bank work, carrying that bank's outbound rate limit. */
export const syncQueueName = (providerId: string): string => `sync.${providerId}`;
/** Consent lifecycle maintenance (expiry notices, bank-side revocation retries). */
export const CONSENT_QUEUE = 'consents';
/** Scheduling: finds due consents and enqueues their syncs. */
export const SCHEDULER_QUEUE = 'sync-scheduler';

export type SyncTrigger = 'initial' | 'scheduled' | 'psu_present' | 'manual';

export interface JobPayloads {
  /** Sync one consent: accounts, balances, transactions (and permitted resources). */
  'sync-consent': {
    tenantId: string;
    consentId: string;
    providerId: string;
    syncRunId: string;
    trigger: SyncTrigger;
    /**
     * PSU-present refresh: the PSU's IP, sent to the bank; the call does not use the budget. The
     * first sync right after the PSU authorised (trigger `initial`) should carry the IP of the
     * callback request: the PSU is present, and only then does a full history fit the bank's limits.
     */
    psuIpAddress?: string;
    /**
     * Read the whole history the consent allows, not only what can have changed since the newest
     * booked date held: a full refresh (POST /v1/consents/{id}/refresh `full`) and every `initial`
     * sync (after an authorisation or a re-authorisation). Unattended, it is read in chunks within
     * the budget, like a first sync.
     */
    full?: true;
  };
  /** Periodic: finds consents whose next sync is due and enqueues them. */
  'schedule-due-syncs': Record<string, never>;
  /** Periodic: consent.expiring notices and expiry of lapsed consents. */
  'consent-maintenance': Record<string, never>;
  /** Periodic: reads due consents' status at their banks (revocations and expiries made there). */
  'consent-status-checks': Record<string, never>;
  /** Revoke a consent at the bank, retried until the bank confirms. */
  'revoke-at-bank': { tenantId: string; consentId: string; providerId: string; externalConsentId: string };
}
export type JobName = keyof JobPayloads;
/** The payload of a `sync-consent` job: what the queue carries, and what a run starts from. */
export type SyncJobData = JobPayloads['sync-consent'];

/** The job names each queue carries: a worker refuses to start unless each has exactly one handler. */
export const SYNC_QUEUE_JOBS = ['sync-consent'] as const satisfies readonly JobName[];
export const SCHEDULER_QUEUE_JOBS = ['schedule-due-syncs'] as const satisfies readonly JobName[];

/**
 * At most one sync of a consent in flight: the job id is the consent's. BullMQ refuses custom ids
 * with ':' (its own key separator), hence '-'.
 */
export const syncJobId = (consentId: string): string => `sync-${consentId}`;
export const revokeJobId = (consentId: string): string => `revoke-${consentId}`;
/** The job scheduler (BullMQ `upsertJobScheduler`) that ticks `schedule-due-syncs`. */
export const SCHEDULE_DUE_SYNCS_SCHEDULER_ID = 'schedule-due-syncs';

/**
 * BullMQ key prefix of a queue: namespaced by REDIS_PREFIX, like every other key, and hash-tagged by the
 * queue's name, because BullMQ's scripts touch several keys of one queue at once: on a Redis Cluster each
 * queue lives in one hash slot, and different queues spread over the nodes.
 * `bullPrefix('ais', 'sync.allstar')` → `ais:bull:{sync.allstar}` (keys `ais:bull:{sync.allstar}:sync.allstar:…`).
 */
export const bullPrefix = (redisPrefix: string, queueName: string): string => `${redisPrefix}:bull:{${queueName}}`;

/**
 * Options of every `sync-consent` job, whoever enqueues it (scheduler, gateway refresh, consent-service
 * after authorisation). Finished jobs are removed: the job id is the consent's, so a kept job would
 * block the consent's next sync; the run's outcome lives in `sync_runs`. A sync's own failures are
 * retried by the worker (its backoff, counted on the run); these attempts cover failures before the
 * run is recorded (database or Redis down).
 */
export const SYNC_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 30_000 },
  removeOnComplete: true,
  removeOnFail: true,
} as const;
