import { jest } from '@jest/globals';
import { addDays, localDateOf } from '@ais/domain';
import { AccessBudgetRepository } from '@ais/db';
import { Redis } from 'ioredis';
import { bullPrefix, syncJobId, syncQueueName } from '@ais/contracts';
import { oracleTotals, storedTotals } from '../../test/assertions.js';
import { PSUS, PSU_IP, SyncHarness } from '../../test/sync-harness.js';
import { SchedulerService } from '../scheduler/scheduler.service.js';
import { WorkerPool } from '../queues/worker-pool.js';
import { Metrics } from '@ais/observability';

jest.setTimeout(120_000);

const DAY = 86_400_000;

/** How the consent's schedule, its budget and the bank's error codes drive the runs. */
describe('sync: budget, schedule and the bank’s answers', () => {
  let h: SyncHarness;

  beforeAll(async () => {
    h = await SyncHarness.start({
      env: { SYNC_QUEUE_LIMITS: JSON.stringify({ saltbank: { max: 50, durationMs: 2_000 } }) },
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  // Each test starts with the banks' clocks at real time (some tests move them on by days).
  beforeEach(() => h.sandbox.setClock(new Date()));
  afterEach(async () => {
    for (const bank of ['allstar', 'alsalam', 'saltbank'] as const) await h.sandbox.resetFaults(bank);
  });

  const recent = (days: number) => addDays(localDateOf(h.clock.now(), 'Europe/London'), -days);
  const events = (consentId: string, type: string) =>
    h.prisma.event.findMany({ where: { type, data: { path: ['consentId'], equals: consentId } } });

  it('stores each bank’s queue limit on its queue, where every worker and GET /admin/queues read it', async () => {
    const pool = h.worker!.get(WorkerPool);
    expect(await pool.queue(syncQueueName('allstar'))!.getGlobalRateLimit()).toEqual({ max: 10, duration: 1_000 });
    expect(await pool.queue(syncQueueName('saltbank'))!.getGlobalRateLimit()).toEqual({ max: 50, duration: 2_000 });
  });

  it('exports each queue’s backlog by state, delayed jobs included, for an autoscaler', async () => {
    const pool = h.worker!.get(WorkerPool);
    const queue = pool.queue(syncQueueName('saltbank'))!;
    const job = await queue.add('probe-backlog', {}, { delay: 3_600_000 });
    try {
      await pool.sampleBacklog();
      const text = await h.worker!.get(Metrics).registry.metrics();
      const value = (state: string) =>
        Number(
          text
            .split('\n')
            .find(
              (l) =>
                l.startsWith('sync_queue_jobs{') &&
                l.includes('queue="sync.saltbank"') &&
                l.includes(`state="${state}"`),
            )
            ?.split(' ')
            .at(-1),
        );
      expect(value('delayed')).toBeGreaterThanOrEqual(1);
      expect(value('waiting')).toBeGreaterThanOrEqual(0);
    } finally {
      await job.remove();
    }
  });

  it('defers an unattended sync the budget cannot carry, without calling the bank; a PSU-present one still runs', async () => {
    const c = await h.authorise('allstar', PSUS.bob, { transactionsFrom: recent(20) });
    expect(await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP })).toMatchObject({
      status: 'succeeded',
    });
    for (let i = 0; i < 4; i++)
      expect(await h.sync(c.consentId, { trigger: 'manual' })).toMatchObject({ status: 'succeeded' });
    const budget = await h.worker!.get(AccessBudgetRepository).consentBudget(h.tenantId, c.consentId, h.clock.now());
    expect(budget).toMatchObject({ unattendedPerDay: 4, usedInWindow: 4, nextAllowedAt: expect.any(String) });

    const deferred = await h.sync(c.consentId, { trigger: 'scheduled' });
    expect(deferred).toMatchObject({ status: 'deferred', errorCode: 'budget_exhausted', transactionsAdded: 0 });
    const consent = await h.prisma.consent.findUniqueOrThrow({ where: { id: c.consentId } });
    const margin = h.workerConfig.sync.marginSeconds * 1000;
    expect(consent.nextSyncAt!.getTime()).toBe(Date.parse(budget!.nextAllowedAt!) + margin);
    const counters = await h.sandbox.counters('allstar', c.bankConsentId);
    expect(counters.every((k) => k.rejected429 === 0 && k.unattended <= 4)).toBe(true);
    expect(counters.filter((k) => k.resource === 'transactions').map((k) => k.unattended)).toEqual([4, 4]);

    expect(await h.sync(c.consentId, { trigger: 'psu_present', psuIpAddress: PSU_IP })).toMatchObject({
      status: 'succeeded',
    });
    h.sandbox.advance(DAY + margin);
    expect(await h.sync(c.consentId, { trigger: 'scheduled' })).toMatchObject({ status: 'succeeded' });
    expect((await h.sandbox.counters('allstar', c.bankConsentId)).every((k) => k.rejected429 === 0)).toBe(true);
  });

  it('reads an unattended first sync in chunks over as many days as the budget needs, and ends exactly at the oracle', async () => {
    await h.sandbox.faults('allstar', { unattendedPerDay: 2 });
    const from = recent(100);
    const c = await h.authorise('allstar', PSUS.alice, { transactionsFrom: from, frequencyPerDay: 2 });
    const runs = [];
    for (let day = 0; day < 8; day++) {
      const run = await h.sync(c.consentId, { trigger: day === 0 ? 'initial' : 'scheduled' });
      runs.push(run.status);
      if (run.status === 'succeeded') break;
      expect(run).toMatchObject({ status: 'deferred', errorCode: 'budget_exhausted' });
      h.sandbox.advance(DAY + h.workerConfig.sync.marginSeconds * 1000);
    }
    expect(runs.at(-1)).toBe('succeeded');
    expect(runs.length).toBeGreaterThan(1);
    expect(await storedTotals(h.prisma, c.consentId)).toEqual(await oracleTotals(h.sandbox, 'allstar', 'alice', from));
    const counters = await h.sandbox.counters('allstar', c.bankConsentId);
    expect(counters.every((k) => k.rejected429 === 0)).toBe(true);
    // Never a transaction twice, even though the latest days were read on every run.
    const dupes = await h.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM (SELECT transaction_id FROM transaction_changes WHERE consent_id = ${c.consentId} AND kind = 'added' GROUP BY transaction_id HAVING count(*) > 1) d`;
    expect(dupes[0].n).toBe(0);
  });

  it('stops scheduling and revokes the consent when the bank says it was revoked', async () => {
    const c = await h.authorise('saltbank', PSUS.erika, { transactionsFrom: recent(10) });
    expect(await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP })).toMatchObject({
      status: 'succeeded',
    });
    await h.sandbox.revoke('saltbank', c.bankConsentId);
    const run = await h.sync(c.consentId, { trigger: 'scheduled' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'consent_revoked' });
    expect(await h.prisma.consent.findUniqueOrThrow({ where: { id: c.consentId } })).toMatchObject({
      status: 'revoked',
      nextSyncAt: null,
      failureCode: 'consent_revoked',
    });
    expect(await events(c.consentId, 'consent.revoked')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ revokedBy: 'bank' }) }),
    ]);
    expect(await events(c.consentId, 'sync.failed')).toHaveLength(1);
  });

  it('expires the consent when the bank says it expired', async () => {
    const c = await h.authorise('saltbank', PSUS.jonas, { transactionsFrom: recent(5) });
    await h.sandbox.expire('saltbank', c.bankConsentId);
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'consent_expired' });
    expect(await h.prisma.consent.findUniqueOrThrow({ where: { id: c.consentId } })).toMatchObject({
      status: 'expired',
      nextSyncAt: null,
    });
    expect(await events(c.consentId, 'consent.expired')).toHaveLength(1);
  });

  it('reschedules at the bank’s retry time when it answers 429', async () => {
    const c = await h.authorise('alsalam', PSUS.ahmed, { transactionsFrom: recent(10) });
    await h.sandbox.faults('alsalam', { failNext: { status: 429, count: 1 }, retryAfterSeconds: 600 });
    const before = h.clock.now();
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'deferred', errorCode: 'bank_rate_limited' });
    const next = (await h.prisma.consent.findUniqueOrThrow({ where: { id: c.consentId } })).nextSyncAt!.getTime();
    const margin = h.workerConfig.sync.marginSeconds * 1000;
    expect(next).toBeGreaterThanOrEqual(before.getTime() + 600_000 + margin - 5_000);
    expect(next).toBeLessThanOrEqual(h.clock.now().getTime() + 600_000 + margin + 5_000);
    expect(await h.prisma.transaction.count({ where: { consentId: c.consentId } })).toBe(0);
  });

  it('retries a bank that fails with 5xx, and succeeds when it is back', async () => {
    const c = await h.authorise('allstar', PSUS.alice, { transactionsFrom: recent(10) });
    // More failures than the connector's own attempts (3): the job's retry has to bring it home.
    await h.sandbox.faults('allstar', { failNext: { status: 500, count: 4 }, pathContains: '/transactions' });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'succeeded', attempts: 2, errorCode: null });
    expect(await storedTotals(h.prisma, c.consentId)).toEqual(
      await oracleTotals(h.sandbox, 'allstar', 'alice', recent(10)),
    );
  });

  it('fails the run visibly on an invalid bank response, storing none of that account’s data', async () => {
    const c = await h.authorise('allstar', PSUS.bob, { transactionsFrom: recent(10) });
    await h.sandbox.faults('allstar', { malformedJsonRate: 1, pathContains: '/transactions' });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'bank_invalid_response', attempts: 1 });
    expect(await h.prisma.transaction.count({ where: { consentId: c.consentId } })).toBe(0);
    expect(
      await h.prisma.balance.count({
        where: {
          account: undefined,
          accountId: { in: (await h.prisma.account.findMany({ where: { consentId: c.consentId } })).map((a) => a.id) },
        },
      }),
    ).toBe(0);
    expect(await events(c.consentId, 'sync.failed')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ error: expect.objectContaining({ code: 'bank_invalid_response' }) }),
      }),
    ]);
    expect(await events(c.consentId, 'transactions.added')).toEqual([]);
  });

  it('starts the syncs that are due, one per consent however often the scheduler ticks', async () => {
    const c = await h.authorise('saltbank', PSUS.max, { transactionsFrom: recent(5) });
    await h.prisma.consent.update({ where: { id: c.consentId }, data: { nextSyncAt: h.clock.now() } });
    const scheduler = h.worker!.get(SchedulerService);
    await Promise.all([scheduler.tick(), scheduler.tick(), scheduler.tick()]);
    const runs = await h.prisma.syncRun.findMany({ where: { consentId: c.consentId, trigger: 'scheduled' } });
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(await h.waitForRun(run.id)).toMatchObject({ status: 'succeeded' });
    const consent = await h.prisma.consent.findUniqueOrThrow({ where: { id: c.consentId } });
    // Salt Bank counts per calendar day: the next sync is in a later slot of the bank's day.
    expect(consent.nextSyncAt!.getTime()).toBeGreaterThan(h.clock.now().getTime());
    expect(consent.nextSyncAt!.getTime()).toBeLessThan(h.clock.now().getTime() + 12 * 3_600_000);
    expect(consent.lastSyncedAt).not.toBeNull();
  });
  it('gives a claimed consent back for a retry soon when its run cannot be requested, not after the whole lease', async () => {
    const c = await h.authorise('saltbank', PSUS.max, { transactionsFrom: recent(5) });
    await h.prisma.consent.update({ where: { id: c.consentId }, data: { nextSyncAt: h.clock.now() } });
    // The request fails for real: what Redis holds under the consent's job id is not a job BullMQ can
    // read (as a request fails when its transaction cannot start on a busy pool, or Redis is away).
    const name = syncQueueName('saltbank');
    const jobKey = `${bullPrefix(h.env.REDIS_PREFIX, name)}:${name}:${syncJobId(c.consentId)}`;
    const redis = new Redis(h.env.REDIS_URL);
    await redis.hset(jobKey, { name: 'sync-consent', data: 'not json', opts: '{}', timestamp: '0' });
    const claimedAt = h.clock.now().getTime();
    try {
      await h.worker!.get(SchedulerService).tick();
    } finally {
      await redis.del(jobKey);
      await redis.quit();
    }
    expect(await h.prisma.syncRun.count({ where: { consentId: c.consentId, trigger: 'scheduled' } })).toBe(0);
    const { nextSyncAt } = await h.prisma.consent.findUniqueOrThrow({ where: { id: c.consentId } });
    // Due again 30 s after the failure, not at the end of the claim's lease (SYNC_LEASE_SECONDS, 900 s).
    expect(nextSyncAt!.getTime()).toBeGreaterThan(claimedAt + 20_000);
    expect(nextSyncAt!.getTime()).toBeLessThan(h.clock.now().getTime() + 31_000);
  });
});
