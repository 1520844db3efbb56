import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { JobPayloads } from '@ais/contracts';
import type { SyncOutcome, SyncService } from '../sync/sync.service.js';
import { SyncConsentJob } from './sync-consent.job.js';

/** The processor only translates the run's outcome into BullMQ's terms; these are those terms. */
describe('SyncConsentJob', () => {
  const data: JobPayloads['sync-consent'] = {
    tenantId: 't',
    consentId: 'c',
    providerId: 'p',
    syncRunId: 'r',
    trigger: 'scheduled',
  };

  function run(outcome: SyncOutcome) {
    const calls: { rateLimit: number[]; delayedUntil: number[] } = { rateLimit: [], delayedUntil: [] };
    const queue = { rateLimit: async (ms: number) => void calls.rateLimit.push(ms) } as unknown as Queue;
    const job = { data, moveToDelayed: async (at: number) => void calls.delayedUntil.push(at) } as unknown as Job<
      JobPayloads['sync-consent']
    >;
    const handler = new SyncConsentJob({ run: async () => outcome } as unknown as SyncService);
    return { result: handler.handle(job, queue, 'token'), calls };
  }

  it('completes a deferred run, pausing the provider’s queue when the bank asked for a short wait', async () => {
    const { result, calls } = run({ kind: 'done', status: 'deferred', pauseProviderMs: 30_000 });
    await expect(result).resolves.toBe('deferred');
    expect(calls.rateLimit).toEqual([30_000]);
  });

  it('pauses the provider’s queue and puts the job back while the bank’s circuit is open', async () => {
    const { result, calls } = run({ kind: 'pause', ms: 5_000 });
    await expect(result).rejects.toThrow(Worker.RateLimitError().message);
    expect(calls.rateLimit).toEqual([5_000]);
  });

  it('delays a transient failure by the worker’s own backoff', async () => {
    const before = Date.now();
    const { result, calls } = run({ kind: 'retry', delayMs: 400, reason: 'bank_unavailable: down' });
    await expect(result).rejects.toBeInstanceOf(DelayedError);
    expect(calls.delayedUntil[0]).toBeGreaterThanOrEqual(before + 400);
  });

  it('ends a failed run’s job without retries', async () => {
    const { result } = run({ kind: 'failed', code: 'bank_invalid_response', detail: 'garbage' });
    await expect(result).rejects.toBeInstanceOf(UnrecoverableError);
  });
});
