import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { bullPrefix, syncJobId, syncQueueName } from '@ais/contracts';
import { createPrismaClient, poolOf, SyncConsentRepository, SyncRunRepository, type PrismaClient } from '@ais/db';
import { createTestDatabase, type TestDatabase } from '@ais/testing';
import { RequestSync, SyncJobQueues } from '@ais/sync';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * RequestSync (libs/sync: how the scheduler, the refresh endpoint and the callback start a run) over
 * real Postgres and Redis: its transaction (two round trips on one pooled connection, Redis in
 * between) serialises requests of one consent, writes nothing when it fails, and gives its lock and
 * connection back either way.
 */
describe('RequestSync (Postgres, Redis)', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let useCase: RequestSync;
  let runsRepo: SyncRunRepository;
  let queues: SyncJobQueues;
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const now = new Date('2026-12-05T10:00:00.000Z');
  let consentNo = 0;

  /** A new authorised consent of the tenant. */
  const consent = async () => {
    const id = `cons_${++consentNo}`;
    await prisma.$executeRawUnsafe(`
      INSERT INTO consents (id, tenant_id, provider_id, status, expires_at, frequency_per_day, redirect_uri, end_user_id, created_at, updated_at)
      VALUES ('${id}', 'ten_a', 'bank', 'authorised', now() + interval '30 days', 4, 'https://x/cb', 'u', now(), now())`);
    return { tenantId: 'ten_a', consentId: id, providerId: 'bank', trigger: 'manual' as const };
  };
  const runs = (consentId: string) =>
    prisma.syncRun.findMany({ where: { consentId }, select: { id: true, status: true }, orderBy: { queuedAt: 'asc' } });
  const inUse = () => poolOf(prisma).totalCount - poolOf(prisma).idleCount;

  beforeAll(async () => {
    db = await createTestDatabase('request-sync');
    prisma = createPrismaClient({ url: db.url, poolSize: 4 });
    await prisma.$executeRawUnsafe(`
      INSERT INTO providers (id, name, country, standard, profile, status, capabilities, updated_at)
        VALUES ('bank', 'Bank', 'GB', 'obie_3_1', 'allstar', 'active', '{}', now());
      INSERT INTO tenants (id, name, rate_limit_per_minute, updated_at) VALUES ('ten_a', 'A', 100, now())`);
    queues = new SyncJobQueues({ url: REDIS_URL, prefix });
    runsRepo = new SyncRunRepository(prisma);
    useCase = new RequestSync(runsRepo, new SyncConsentRepository(prisma), queues);
  });

  afterAll(async () => {
    await queues.onApplicationShutdown();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await prisma.$disconnect();
    await db.drop();
  });

  it('starts one run for requests of one consent at once, and every request answers it', async () => {
    const command = await consent();
    // Each request is two round trips on one connection (lock and reads; writes and commit), not an
    // interactive transaction.
    const interactive = jest.spyOn(runsRepo, 'underConsentLock');
    const answers = await Promise.all(Array.from({ length: 6 }, () => useCase.execute(command, now)));
    expect(interactive).not.toHaveBeenCalled();
    interactive.mockRestore();
    const rows = await runs(command.consentId);
    expect(rows).toEqual([{ id: expect.stringMatching(/^sr_/), status: 'queued' }]);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.syncRunId))).toEqual(new Set([rows[0].id]));
    expect((await queues.find('bank', command.consentId))?.syncRunId).toBe(rows[0].id);
    expect(inUse()).toBe(0);
  });

  it('writes nothing when Redis fails inside the transaction, and frees the lock and the connection', async () => {
    const command = await consent();
    // A run left in flight whose job is gone: the request would close it, then add a job. What Redis
    // holds under the job id is not a job BullMQ can read, so the request fails after the lock.
    await prisma.$executeRawUnsafe(`
      INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status, queued_at)
      VALUES ('sr_lost', 'ten_a', '${command.consentId}', 'manual', 'queued', '2026-12-05T09:00:00Z')`);
    const name = syncQueueName('bank');
    const jobKey = `${bullPrefix(prefix, name)}:${name}:${syncJobId(command.consentId)}`;
    await redis.hset(jobKey, { name: 'sync-consent', data: 'not json', opts: '{}', timestamp: '0' });
    await expect(useCase.execute(command, now)).rejects.toThrow();
    expect(await runs(command.consentId)).toEqual([{ id: 'sr_lost', status: 'queued' }]);
    expect(inUse()).toBe(0);

    // The lock was let go with the transaction: the next request goes through at once.
    await redis.del(jobKey);
    const started = Date.now();
    const next = await useCase.execute(command, now);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(next.created).toBe(true);
    expect(await runs(command.consentId)).toEqual([
      { id: 'sr_lost', status: 'failed' },
      { id: next.syncRunId, status: 'queued' },
    ]);
  });

  it('does nothing when the scheduler’s claim was overtaken', async () => {
    const command = await consent();
    const claimedUntil = new Date(now.getTime() + 900_000);
    await prisma.consent.update({
      where: { id: command.consentId },
      data: { nextSyncAt: new Date(now.getTime() + 3_600_000) },
    });
    expect(await useCase.execute({ ...command, trigger: 'scheduled', claimedUntil }, now)).toBeNull();
    expect(await runs(command.consentId)).toEqual([]);
    expect(await queues.find('bank', command.consentId)).toBeUndefined();

    await prisma.consent.update({ where: { id: command.consentId }, data: { nextSyncAt: claimedUntil } });
    expect(await useCase.execute({ ...command, trigger: 'scheduled', claimedUntil }, now)).toMatchObject({
      created: true,
    });
    expect(inUse()).toBe(0);
  });

  it('fails, and gives no broken connection back, when the session ends while it waits for Redis', async () => {
    const command = await consent();
    const request = runsRepo.requestUnderLock(command, async () => {
      // The server ends the session holding the consent's lock (an operator, a failover, or its
      // idle-in-transaction timeout) between the request's two round trips.
      await prisma.$executeRaw`
        SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()`;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { answer: 'written', writes: [{ kind: 'closeLost', runId: 'sr_none', now }] };
    });
    await expect(request).rejects.toThrow();
    expect(await runs(command.consentId)).toEqual([]);
    expect(inUse()).toBe(0);
    // The pool still serves: the next request goes through.
    expect(await useCase.execute(command, now)).toMatchObject({ created: true });
  });

  it('answers service_unavailable when no connection is free in time, and writes nothing', async () => {
    const command = await consent();
    const held = await Promise.all(Array.from({ length: 4 }, () => poolOf(prisma).connect()));
    try {
      await expect(useCase.execute(command, now)).rejects.toMatchObject({ code: 'service_unavailable' });
    } finally {
      for (const c of held) c.release();
    }
    // The connection that came too late went back to the pool.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inUse()).toBe(0);
    expect(await runs(command.consentId)).toEqual([]);
  });
});
