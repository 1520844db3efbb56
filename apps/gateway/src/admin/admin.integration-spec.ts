import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import { Queue, Worker } from 'bullmq';
import { CONSENT_QUEUE, SCHEDULER_QUEUE, bullPrefix, syncQueueName } from '@ais/contracts';
import {
  CircuitStore,
  OpsStatsRepository,
  RegistrationGate,
  createPrismaClient,
  openBullConnection,
  type PrismaClient,
} from '@ais/db';
import { Redis } from 'ioredis';
import { newId } from '@ais/domain';
import { jsonSchemaOf } from '@ais/testing';
import { startGateway, type GatewayUnderTest } from '../../test/gateway-harness.js';

/**
 * The operators' API over a real Postgres and Redis: every figure against seeded data, queue actions
 * against real BullMQ queues in the test's Redis namespace, audit entries, pagination, auth.
 */
describe('gateway: admin operations', () => {
  let gw: GatewayUnderTest;
  let prisma: PrismaClient;
  let redis: Redis | undefined;
  const queues = new Map<string, Queue>();
  const now = Date.now();
  const ago = (minutes: number) => new Date(now - minutes * 60_000);
  let tenantA: string;
  let tenantB: string;
  const runIds: Record<string, string> = {};

  const admin = (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) =>
    gw.request(method, path, { token: gw.adminToken, ...init });
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: openBullConnection({ url: gw.env.REDIS_URL, prefix: gw.env.REDIS_PREFIX }).connection,
        prefix: bullPrefix(gw.env.REDIS_PREFIX, name),
      });
      queues.set(name, q);
    }
    return q;
  };

  /** Jobs that really failed: a worker runs them once and throws. */
  async function failJobs(name: string, jobs: { jobName: string; jobId: string; data: Record<string, unknown> }[]) {
    const q = queue(name);
    const worker = new Worker(
      name,
      async () => {
        throw new Error('the bank said no');
      },
      {
        connection: openBullConnection({ url: gw.env.REDIS_URL, prefix: gw.env.REDIS_PREFIX }).connection,
        prefix: bullPrefix(gw.env.REDIS_PREFIX, name),
      },
    );
    for (const j of jobs) await q.add(j.jobName, j.data, { jobId: j.jobId, attempts: 1, removeOnFail: false });
    for (let i = 0; i < 200 && (await q.getFailedCount()) < jobs.length; i++)
      await new Promise((r) => setTimeout(r, 25));
    await worker.close();
  }

  async function consent(
    tenantId: string,
    providerId: string,
    status: 'authorised' | 'awaiting_authorisation' | 'revoked' | 'expired',
  ) {
    const id = newId('consent');
    await prisma.consent.create({
      data: {
        id,
        tenantId,
        providerId,
        status,
        permissions: ['accounts'],
        expiresAt: new Date(now + 30 * 86_400_000),
        frequencyPerDay: 4,
        redirectUri: 'https://app.example.com/cb',
      },
    });
    return id;
  }

  async function run(
    key: string,
    consentId: string,
    tenantId: string,
    status: 'queued' | 'succeeded' | 'failed' | 'deferred',
    minutesAgo: number,
    errorCode?: string,
  ) {
    const id = newId('syncRun');
    runIds[key] = id;
    const finished = status === 'queued' ? null : ago(minutesAgo - 1);
    await prisma.syncRun.create({
      data: {
        id,
        tenantId,
        consentId,
        trigger: 'scheduled',
        status,
        queuedAt: ago(minutesAgo),
        startedAt: ago(minutesAgo),
        finishedAt: finished,
        ...(errorCode ? { errorCode, errorDetail: `${errorCode} detail <script>alert(1)</script>` } : {}),
      },
    });
  }

  beforeAll(async () => {
    gw = await startGateway();
    prisma = createPrismaClient({ url: gw.db.url, poolSize: 2 });
    for (const [id, status] of [
      ['bankok', 'active'],
      ['bankdown', 'active'],
      ['bankoff', 'inactive'],
    ] as const) {
      await prisma.provider.create({
        data: {
          id,
          name: `Bank ${id}`,
          country: 'GB',
          standard: 'obie_3_1',
          profile: 'allstar',
          status,
          capabilities: {},
        },
      });
    }
    await prisma.providerRegistration.create({
      data: {
        providerId: 'bankok',
        clientId: 'client-ok',
        tokenEndpointAuthMethod: 'private_key_jwt',
        secretsEncrypted: 'never-shown',
      },
    });

    tenantA = (await admin('POST', '/admin/tenants', { body: { name: 'Tenant A', redirectUris: [] } })).body.id;
    tenantB = (await admin('POST', '/admin/tenants', { body: { name: 'Tenant B', redirectUris: [] } })).body.id;
    await admin('PATCH', `/admin/tenants/${tenantB}`, { body: { status: 'suspended' } });

    const okA = await consent(tenantA, 'bankok', 'authorised');
    await consent(tenantA, 'bankok', 'authorised');
    await consent(tenantA, 'bankok', 'authorised');
    await consent(tenantA, 'bankok', 'awaiting_authorisation');
    await consent(tenantA, 'bankdown', 'revoked');
    const downB = await consent(tenantB, 'bankdown', 'authorised');
    await consent(tenantB, 'bankok', 'expired');

    // bankok: fine in the last hour, a failure, a 429 and a spent budget earlier in the day.
    await run('r1', okA, tenantA, 'succeeded', 10);
    await run('r2', okA, tenantA, 'succeeded', 30);
    await run('r3', okA, tenantA, 'failed', 120, 'bank_invalid_response');
    await run('r4', okA, tenantA, 'deferred', 180, 'bank_rate_limited');
    await run('r5', okA, tenantA, 'deferred', 300, 'budget_exhausted');
    await run('r6', okA, tenantA, 'succeeded', 30 * 60);
    await run('r7', okA, tenantA, 'queued', 1);
    // bankdown: failing for the last hour, a run being retried, the last success yesterday.
    for (const [key, minutes] of [
      ['d1', 20],
      ['d4', 50],
      ['d5', 55],
      ['d6', 40],
      ['d7', 45],
    ] as const)
      await run(key, downB, tenantB, 'failed', minutes, 'bank_unavailable');
    await run('d2', downB, tenantB, 'queued', 5, 'bank_unavailable');
    await run('d3', downB, tenantB, 'succeeded', 26 * 60);

    const acc1 = newId('account');
    for (const [id, key] of [
      [acc1, 'iban:GB01'],
      [newId('account'), 'iban:GB02'],
    ])
      await prisma.account.create({
        data: {
          id,
          tenantId: tenantA,
          consentId: okA,
          providerId: 'bankok',
          externalId: key,
          identityKey: key,
          type: 'personal',
          currency: 'GBP',
        },
      });
    for (let i = 0; i < 3; i++) {
      await prisma.transaction.create({
        data: {
          id: newId('transaction'),
          tenantId: tenantA,
          consentId: okA,
          accountId: acc1,
          idSource: 'bank',
          identityKey: `b:${i}`,
          status: 'booked',
          bookingDate: new Date('2026-11-01'),
          amount: '-1.50',
          currency: 'GBP',
          contentHash: `h${i}`,
        },
      });
    }
    for (const createdAt of [ago(1), ago(2), ago(3), ago(48 * 60)])
      await prisma.event.create({
        data: { id: newId('event'), tenantId: tenantA, type: 'sync.completed', data: {}, createdAt },
      });

    const enabled = newId('webhookEndpoint');
    await prisma.webhookEndpoint.create({
      data: {
        id: enabled,
        tenantId: tenantA,
        url: 'https://hooks.example.com/a',
        events: ['sync.completed'],
        secretEncrypted: 'x',
      },
    });
    await prisma.webhookEndpoint.create({
      data: {
        id: newId('webhookEndpoint'),
        tenantId: tenantA,
        url: 'https://hooks.example.com/b',
        events: [],
        secretEncrypted: 'x',
        failingSince: ago(60),
      },
    });
    await prisma.webhookEndpoint.create({
      data: {
        id: newId('webhookEndpoint'),
        tenantId: tenantA,
        url: 'https://hooks.example.com/c',
        events: [],
        secretEncrypted: 'x',
        status: 'disabled',
      },
    });
    let seq = 0;
    for (const [status, createdAt] of [
      ['pending', ago(120)],
      ['pending', ago(5)],
      ['failed', ago(2000)],
      ['succeeded', ago(3)],
    ] as const) {
      await prisma.webhookDelivery.create({
        data: {
          id: newId('webhookDelivery'),
          tenantId: tenantA,
          endpointId: enabled,
          eventId: newId('event'),
          eventSeq: ++seq,
          status,
          createdAt,
        },
      });
    }

    // Queues: a failed sync job and a failed revocation; two waiting and one delayed sync job; the
    // failing bank's queue held back the way the sync-worker does it after an open circuit.
    await failJobs(syncQueueName('bankok'), [
      {
        jobName: 'sync-consent',
        jobId: `sync-${okA}`,
        data: {
          tenantId: tenantA,
          consentId: okA,
          providerId: 'bankok',
          syncRunId: runIds.r3,
          trigger: 'scheduled',
          psuIpAddress: '203.0.113.7',
        },
      },
    ]);
    await failJobs(CONSENT_QUEUE, [
      {
        jobName: 'revoke-at-bank',
        jobId: 'revoke-x',
        data: { tenantId: tenantA, consentId: okA, providerId: 'bankok', externalConsentId: 'ext-1' },
      },
    ]);
    await queue(syncQueueName('bankok')).add('sync-consent', { consentId: 'c1' }, { jobId: 'sync-c1' });
    await queue(syncQueueName('bankok')).add('sync-consent', { consentId: 'c2' }, { jobId: 'sync-c2' });
    await queue(syncQueueName('bankok')).add(
      'sync-consent',
      { consentId: 'c3' },
      { jobId: 'sync-c3', delay: 3_600_000 },
    );
    await queue(syncQueueName('bankdown')).rateLimit(60_000);
    // Its breaker, as two connector-service instances publish it (one open, one probing).
    redis = new Redis(gw.env.REDIS_URL);
    const circuits = new CircuitStore(redis, gw.env.REDIS_PREFIX);
    await circuits.report('cs-1', { providerId: 'bankdown', state: 'open', at: ago(1), halfOpenAfterMs: 30 * 60_000 });
    await circuits.report('cs-2', { providerId: 'bankdown', state: 'half_open', at: ago(2), halfOpenAfterMs: null });
    await circuits.report('cs-1', { providerId: 'bankok', state: 'open', at: ago(50), halfOpenAfterMs: 60_000 });
    await circuits.report('cs-1', { providerId: 'bankok', state: 'closed', at: ago(49), halfOpenAfterMs: null });
  });

  afterAll(async () => {
    redis?.disconnect();
    for (const q of queues.values()) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await prisma?.$disconnect();
    await gw?.close();
  });

  it('refuses every operations endpoint without the admin token (401 problem+json)', async () => {
    const routes: [string, string][] = [
      ['GET', '/admin/stats'],
      ['GET', '/admin/providers/health'],
      ['POST', '/admin/providers/bankok/onboard'],
      ['GET', '/admin/queues'],
      ['GET', `/admin/queues/${SCHEDULER_QUEUE}/jobs`],
      ['POST', `/admin/queues/${CONSENT_QUEUE}/jobs/revoke-x/retry`],
      ['POST', `/admin/queues/${syncQueueName('bankok')}/pause`],
      ['POST', `/admin/queues/${syncQueueName('bankok')}/resume`],
      ['GET', '/admin/sync-runs'],
      ['GET', '/admin/audit-log'],
    ];
    for (const [method, path] of routes) {
      for (const token of [undefined, 'sk_not_the_admin_token', `${gw.adminToken}x`]) {
        const res = await gw.request(method, path, { token });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body).toMatchObject({ status: 401, code: 'unauthorized' });
      }
    }
    expect(await queue(syncQueueName('bankok')).isPaused()).toBe(false);
  });

  it('GET /admin/stats: counts of everything, from the seeded data', async () => {
    const res = await admin('GET', '/admin/stats');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      generatedAt: expect.any(String),
      tenants: { active: 1, suspended: 1, total: 2 },
      consents: {
        total: 7,
        byStatus: { awaiting_authorisation: 1, authorised: 4, rejected: 0, revoked: 1, expired: 1, failed: 0 },
      },
      providers: { active: 2, inactive: 1, total: 3 },
      syncRuns: {
        lastHour: { queued: 2, running: 0, succeeded: 2, failed: 5, deferred: 0, total: 9 },
        last24h: { queued: 2, running: 0, succeeded: 2, failed: 6, deferred: 2, total: 12 },
      },
      data: { accounts: { count: 2, estimated: false }, transactions: { count: 3, estimated: false } },
      events: { last24h: 3 },
      webhooks: {
        deliveries: {
          pending: 2,
          failed: 1,
          oldestPendingAt: ago(120).toISOString(),
          oldestPendingAgeSeconds: expect.any(Number),
        },
        endpoints: { enabled: 2, disabled: 1, failing: 1 },
      },
      queues: { waiting: 2, active: 0, delayed: 1, failed: 2, paused: [], backingOff: [syncQueueName('bankdown')] },
    });
    expect(res.body.webhooks.deliveries.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(7190);
  });

  it('counts large tables exactly while small and estimates them above the bound', async () => {
    const repo = new OpsStatsRepository(prisma);
    await prisma.$executeRawUnsafe('ANALYZE transactions');
    expect(await repo.tableCount('transactions')).toEqual({ count: 3, estimated: false });
    expect(await repo.tableCount('transactions', 2)).toEqual({ count: 3, estimated: true });
  });

  it('GET /admin/providers/health: registration, outcomes, error codes and rates, 429s, circuit, queue and verdict', async () => {
    const res = await admin('GET', '/admin/providers/health');
    expect(res.status).toBe(200);
    const by = Object.fromEntries((res.body.data as { providerId: string }[]).map((p) => [p.providerId, p])) as Record<
      string,
      any
    >;
    expect(Object.keys(by).sort()).toEqual(['bankdown', 'bankoff', 'bankok']);
    expect(JSON.stringify(res.body)).not.toContain('never-shown');

    const ok = by.bankok;
    expect(ok).toMatchObject({
      name: 'Bank bankok',
      status: 'active',
      verdict: 'degraded',
      reasons: ["1 run(s) hit the bank's rate limit (HTTP 429) in the last 24 h."],
      registration: {
        present: true,
        clientId: 'client-ok',
        tokenEndpointAuthMethod: 'private_key_jwt',
        registeredAt: expect.any(String),
      },
      lastSucceededAt: ago(9).toISOString(),
      lastFailure: {
        at: ago(119).toISOString(),
        code: 'bank_invalid_response',
        detail: expect.stringContaining('bank_invalid_response detail'),
      },
      lastHour: { runs: 3, succeeded: 2, failed: 0, deferred: 0, inFlight: 1, failureRate: 0, errors: [] },
      last24h: { runs: 6, succeeded: 2, failed: 1, deferred: 2, inFlight: 1 },
      budgetPressure: { bankRateLimited24h: 1, budgetExhausted24h: 1 },
      circuit: { state: 'closed', since: null, halfOpenAt: null, instances: 0 },
      queue: { name: 'sync.bankok', paused: false, backoffMs: 0, waiting: 2, active: 0, delayed: 1, failed: 1 },
    });
    expect(ok.last24h.failureRate).toBeCloseTo(1 / 3);
    expect(ok.budgetPressure.rateLimitedShare24h).toBeCloseTo(1 / 6);
    expect(ok.last24h.errors.map((e: { code: string; runs: number }) => [e.code, e.runs]).sort()).toEqual([
      ['bank_invalid_response', 1],
      ['bank_rate_limited', 1],
      ['budget_exhausted', 1],
    ]);

    const down = by.bankdown;
    expect(down).toMatchObject({
      verdict: 'down',
      registration: { present: false, clientId: null, tokenEndpointAuthMethod: null },
      lastSucceededAt: ago(26 * 60 - 1).toISOString(),
      lastFailure: { at: ago(19).toISOString(), code: 'bank_unavailable' },
      lastHour: {
        runs: 6,
        failed: 5,
        inFlight: 1,
        failureRate: 1,
        errors: [{ code: 'bank_unavailable', runs: 6, lastAt: expect.any(String) }],
      },
      circuit: { state: 'open', since: ago(1).toISOString(), halfOpenAt: ago(1 - 30).toISOString(), instances: 2 },
      queue: { paused: false, backoffMs: expect.any(Number) },
    });
    expect(down.queue.backoffMs).toBeGreaterThan(30_000);
    expect(down.reasons).toEqual([
      'The gateway is not registered at the bank: onboard the provider.',
      'The bank is failing: its circuit is open, calls to it are paused and the sync backs off.',
      '100% of the runs that finished in the last hour failed.',
    ]);
    expect(by.bankoff).toMatchObject({
      verdict: 'inactive',
      status: 'inactive',
      lastSucceededAt: null,
      lastFailure: null,
    });
  });

  it('GET /admin/queues: every queue with counts per state, paused, backoff and workers', async () => {
    const res = await admin('GET', '/admin/queues');
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    const names = (res.body.data as { name: string }[]).map((q) => q.name);
    expect(names).toEqual(
      expect.arrayContaining(['sync.bankok', 'sync.bankdown', 'sync.bankoff', SCHEDULER_QUEUE, CONSENT_QUEUE]),
    );
    expect(names).toHaveLength(5);
    const by = Object.fromEntries((res.body.data as { name: string }[]).map((q) => [q.name, q])) as Record<string, any>;
    expect(by['sync.bankok']).toEqual({
      name: 'sync.bankok',
      kind: 'sync',
      providerId: 'bankok',
      providerStatus: 'active',
      counts: {
        waiting: 2,
        active: 0,
        delayed: 1,
        prioritized: 0,
        waitingChildren: 0,
        failed: 1,
        completed: 0,
        paused: 0,
      },
      paused: false,
      backoffMs: 0,
      globalRateLimit: null,
      globalConcurrency: null,
      workers: 0,
    });
    expect(by[CONSENT_QUEUE]).toMatchObject({
      kind: 'consents',
      providerId: null,
      providerStatus: null,
      counts: { failed: 1 },
    });
    expect(by['sync.bankoff'].providerStatus).toBe('inactive');
    expect(by['sync.bankdown'].backoffMs).toBeGreaterThan(0);

    const jobs = await admin('GET', `/admin/queues/sync.bankok/jobs?state=failed`);
    expect(jobs.body).toEqual({
      data: [
        {
          id: expect.stringMatching(/^sync-cons_/),
          name: 'sync-consent',
          state: 'failed',
          attemptsMade: 1,
          maxAttempts: 1,
          failedReason: 'the bank said no',
          createdAt: expect.any(String),
          processedAt: expect.any(String),
          finishedAt: expect.any(String),
          data: {
            tenantId: tenantA,
            consentId: expect.any(String),
            providerId: 'bankok',
            syncRunId: runIds.r3,
            trigger: 'scheduled',
          },
        },
      ],
      nextCursor: null,
    });
    expect(JSON.stringify(jobs.body)).not.toContain('203.0.113.7');
    const waiting = await admin('GET', `/admin/queues/sync.bankok/jobs?state=waiting&limit=1`);
    expect(waiting.body.data).toHaveLength(1);
    const rest = await admin(
      'GET',
      `/admin/queues/sync.bankok/jobs?state=waiting&limit=1&cursor=${waiting.body.nextCursor}`,
    );
    expect(rest.body).toEqual({ data: [expect.objectContaining({ state: 'waiting' })], nextCursor: null });
    expect(new Set([waiting.body.data[0].id, rest.body.data[0].id])).toEqual(new Set(['sync-c1', 'sync-c2']));

    expect((await admin('GET', '/admin/queues/sync.nobank')).status).toBe(404);
    expect((await admin('GET', '/admin/queues/sync.bankok/jobs?state=stuck')).status).toBe(400);
    expect((await admin('GET', '/admin/queues/sync.bankok/jobs?colour=red')).status).toBe(400);
  });

  it('retries a failed job: back to waiting, audited; 404 for an unknown queue or job, 409 when not failed', async () => {
    await failJobs(SCHEDULER_QUEUE, [{ jobName: 'schedule-due-syncs', jobId: 'tick-1', data: {} }]);
    const path = `/admin/queues/${SCHEDULER_QUEUE}/jobs/tick-1/retry`;
    expect((await admin('POST', path, { body: { now: true } })).status).toBe(400);
    const res = await admin('POST', path, { headers: { 'x-request-id': 'req-retry-1' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'tick-1', name: 'schedule-due-syncs', state: 'waiting', attemptsMade: 0 });
    expect(await queue(SCHEDULER_QUEUE).getJobState('tick-1')).toBe('waiting');
    expect(await queue(SCHEDULER_QUEUE).getFailedCount()).toBe(0);

    const again = await admin('POST', path);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'conflict', state: 'waiting' });
    const unknownJob = await admin('POST', `/admin/queues/${SCHEDULER_QUEUE}/jobs/nope/retry`);
    expect(unknownJob.status).toBe(404);
    expect(unknownJob.headers.get('content-type')).toContain('application/problem+json');
    expect((await admin('POST', '/admin/queues/nope/jobs/tick-1/retry')).status).toBe(404);
    // Ids that name the queue's own keys are not jobs.
    for (const key of ['meta', 'failed', 'wait', 'events', 'limiter'])
      expect((await admin('POST', `/admin/queues/${SCHEDULER_QUEUE}/jobs/${key}/retry`)).status).toBe(404);

    const audit = await prisma.auditLog.findMany({ where: { action: 'queue.job_retried' } });
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'admin',
        targetType: 'job',
        targetId: `${SCHEDULER_QUEUE}/tick-1`,
        requestId: 'req-retry-1',
        details: {
          queue: SCHEDULER_QUEUE,
          providerId: null,
          jobName: 'schedule-due-syncs',
          attemptsMade: 1,
          failedReason: 'the bank said no',
        },
      }),
    ]);
  });

  it('retries a tenant’s job with the tenant on the audit entry', async () => {
    const res = await admin('POST', `/admin/queues/${CONSENT_QUEUE}/jobs/revoke-x/retry`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      tenantId: tenantA,
      consentId: expect.any(String),
      providerId: 'bankok',
      externalConsentId: 'ext-1',
    });
    const entries = await admin('GET', `/admin/audit-log?tenantId=${tenantA}`);
    expect(entries.body.data[0]).toMatchObject({
      action: 'queue.job_retried',
      targetId: `${CONSENT_QUEUE}/revoke-x`,
      tenantId: tenantA,
    });
  });

  it('pauses and resumes a provider queue, audited, and repeats a POST with the same Idempotency-Key without redoing it', async () => {
    const q = queue(syncQueueName('bankoff'));
    await q.add('sync-consent', { consentId: 'c9' }, { jobId: 'sync-c9' });
    const paused = await admin('POST', '/admin/queues/sync.bankoff/pause', {
      headers: { 'idempotency-key': 'pause-bankoff-1' },
    });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: 'sync.bankoff', paused: true, counts: { waiting: 1, paused: 1 } });
    expect(await q.isPaused()).toBe(true);
    const replay = await admin('POST', '/admin/queues/sync.bankoff/pause', {
      headers: { 'idempotency-key': 'pause-bankoff-1' },
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const stats = await admin('GET', '/admin/stats');
    expect(stats.body.queues.paused).toEqual(['sync.bankoff']);
    const health = await admin('GET', '/admin/providers/health');
    expect(health.body.data.find((p: { providerId: string }) => p.providerId === 'bankoff').queue.paused).toBe(true);

    const resumed = await admin('POST', '/admin/queues/sync.bankoff/resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, counts: { waiting: 1, paused: 0 } });
    expect(await q.isPaused()).toBe(false);
    expect((await admin('POST', '/admin/queues/sync.nobank/pause')).status).toBe(404);

    const actions = (
      await prisma.auditLog.findMany({ where: { targetId: 'sync.bankoff' }, orderBy: { id: 'asc' } })
    ).map((e) => [e.action, e.details]);
    expect(actions).toEqual([
      ['queue.paused', { providerId: 'bankoff', wasPaused: false }],
      ['queue.resumed', { providerId: 'bankoff', wasPaused: true }],
    ]);
  });

  it('GET /admin/sync-runs: newest first across tenants, filters, keyset pages stable while runs arrive', async () => {
    const all = await admin('GET', '/admin/sync-runs');
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(14);
    const queued = all.body.data.map((r: { queuedAt: string }) => r.queuedAt);
    expect([...queued].sort().reverse()).toEqual(queued);
    expect(all.body.data[0]).toEqual({
      id: runIds.r7,
      tenantId: tenantA,
      consentId: expect.any(String),
      providerId: 'bankok',
      trigger: 'scheduled',
      status: 'queued',
      queuedAt: ago(1).toISOString(),
      startedAt: ago(1).toISOString(),
      finishedAt: null,
      attempts: 0,
      counts: { accounts: 0, transactionsAdded: 0, transactionsModified: 0, transactionsRemoved: 0 },
      unavailable: [],
    });

    const ids = async (query: string, limit: number, afterFirstPage?: () => Promise<void>) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await admin('GET', `/admin/sync-runs?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        out.push(...page.body.data.map((r: { id: string }) => r.id));
        cursor = page.body.nextCursor;
        if (out.length === limit) await afterFirstPage?.();
      } while (cursor);
      return out;
    };
    // A run queued after the first page (newer than everything) does not shift the next pages.
    const downConsent = (await prisma.syncRun.findUniqueOrThrow({ where: { id: runIds.d1 } })).consentId;
    expect(
      await ids('&status=failed&providerId=bankdown', 2, () =>
        run('late', downConsent, tenantB, 'failed', 0, 'bank_unavailable'),
      ),
    ).toEqual([runIds.d1, runIds.d6, runIds.d7, runIds.d4, runIds.d5]);
    expect((await admin('GET', '/admin/sync-runs?status=failed&providerId=bankdown&limit=1')).body.data[0].id).toBe(
      runIds.late,
    );
    await prisma.syncRun.delete({ where: { id: runIds.late } });
    expect(await ids(`&providerId=bankok`, 3)).toEqual([
      runIds.r7,
      runIds.r1,
      runIds.r2,
      runIds.r3,
      runIds.r4,
      runIds.r5,
      runIds.r6,
    ]);
    expect(await ids(`&tenantId=${tenantB}`, 4)).toEqual([
      runIds.d2,
      runIds.d1,
      runIds.d6,
      runIds.d7,
      runIds.d4,
      runIds.d5,
      runIds.d3,
    ]);
    expect(await ids(`&status=deferred`, 1)).toEqual([runIds.r4, runIds.r5]);
    const failed = await admin('GET', '/admin/sync-runs?status=failed&limit=1');
    expect(failed.body.data[0]).toMatchObject({ status: 'failed', error: { code: 'bank_unavailable' } });

    expect((await admin('GET', '/admin/sync-runs?cursor=bm9wZQ')).status).toBe(400);
    expect((await admin('GET', '/admin/sync-runs?status=broken')).status).toBe(400);
    expect((await admin('GET', '/admin/sync-runs?limit=501')).status).toBe(400);
    expect((await admin('GET', '/admin/sync-runs?provider=bankok')).status).toBe(400);
    const runsCursor = (await admin('GET', '/admin/sync-runs?limit=1')).body.nextCursor as string;
    expect((await admin('GET', `/admin/audit-log?cursor=${runsCursor}`)).status).toBe(400);
  });

  it('GET /admin/audit-log: newest first, per tenant, in pages', async () => {
    const all = await admin('GET', '/admin/audit-log?limit=500');
    expect(all.status).toBe(200);
    const entries = all.body.data as { id: string; action: string; tenantId: string | null; createdAt: string }[];
    expect(entries.map((e) => BigInt(e.id))).toEqual(
      [...entries.map((e) => BigInt(e.id))].sort((a, b) => (a > b ? -1 : 1)),
    );
    expect(entries.filter((e) => e.action === 'tenant.created')).toHaveLength(2);

    const forB: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin(
        'GET',
        `/admin/audit-log?tenantId=${tenantB}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      forB.push(...page.body.data.map((e: { action: string }) => e.action));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(forB).toEqual(['tenant.suspended', 'tenant.created']);
    expect((await admin('GET', '/admin/audit-log?tenantId=bad%20id')).status).toBe(400);
  });

  it('GET /admin/tenants/{id}/credentials: pages by limit and cursor, every credential once', async () => {
    const t = (await admin('POST', '/admin/tenants', { body: { name: 'Many keys', redirectUris: [] } })).body;
    for (let i = 0; i < 3; i++)
      expect((await admin('POST', `/admin/tenants/${t.id}/credentials`, { body: { kind: 'api_key' } })).status).toBe(
        201,
      );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await admin(
        'GET',
        `/admin/tenants/${t.id}/credentials?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((c) => c.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    // The tenant's own two (API key, OAuth client) and the three issued here.
    expect(seen.length).toBe(5);
    expect(new Set(seen).size).toBe(5);
    expect(pages).toBe(3);
    expect((await admin('GET', `/admin/tenants/${t.id}/credentials?limit=501`)).status).toBe(400);
    const bad = await admin('GET', `/admin/tenants/${t.id}/credentials?cursor=eyJrIjoiY3JlZGVudGlhbHMifQ.AAAA`);
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'invalid_cursor' });
  });

  it.each([
    ['/admin/queues', (q: { name: string }) => q.name],
    ['/admin/providers/health', (p: { providerId: string }) => p.providerId],
  ] as const)('GET %s pages by limit and cursor, in name order, every item once', async (path, key) => {
    const all = (await admin('GET', path)).body.data.map(key);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: unknown[]; nextCursor: string | null } } = await admin(
        'GET',
        `${path}?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map(key as (x: unknown) => string));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...all].sort());
    expect((await admin('GET', `${path}?limit=0`)).status).toBe(400);
    expect((await admin('GET', `${path}?cursor=bm90LWEtY3Vyc29y.AAAA`)).body.code).toBe('invalid_cursor');
  });

  it('PATCH /admin/tenants/{id}: concurrent redirect-URI lists each succeed, and one of them is the result', async () => {
    const created = await admin('POST', '/admin/tenants', { body: { name: 'Busy', redirectUris: [] } });
    const lists = Array.from({ length: 8 }, (_, i) => [
      `https://app${i}.example.com/cb`,
      'https://shared.example.com/cb',
    ]);
    const answers = await Promise.all(
      lists.map((redirectUris) => admin('PATCH', `/admin/tenants/${created.body.id}`, { body: { redirectUris } })),
    );
    expect(answers.map((a) => a.status)).toEqual(lists.map(() => 200));
    const final = (await admin('GET', `/admin/tenants/${created.body.id}`)).body.redirectUris as string[];
    expect(lists.map((l) => [...l].sort())).toContainEqual([...final].sort());
  });

  it('POST /admin/providers/{id}/onboard: 404 for an unknown provider, unknown fields rejected', async () => {
    expect((await admin('POST', '/admin/providers/nobank/onboard')).status).toBe(404);
    const bad = await admin('POST', '/admin/providers/bankok/onboard', { body: { force: 'yes', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'extra', message: 'unknown field' },
        expect.objectContaining({ field: 'force' }),
      ]),
    );
    // A client issued by the bank: the method it was issued for, and a secret exactly when that method has one.
    const audited = await prisma.auditLog.count({ where: { targetId: 'bankok' } });
    for (const [body, field] of [
      [{ clientSecret: 's3cret-value' }, 'clientSecret'],
      [{ clientId: 'portal-client' }, 'tokenEndpointAuthMethod'],
      [{ clientId: 'portal-client', tokenEndpointAuthMethod: 'client_secret_basic' }, 'clientSecret'],
      [
        { clientId: 'portal-client', tokenEndpointAuthMethod: 'private_key_jwt', clientSecret: 's3cret-value' },
        'clientSecret',
      ],
      [{ clientId: '', tokenEndpointAuthMethod: 'private_key_jwt' }, 'clientId'],
    ] as const) {
      const res = await admin('POST', '/admin/providers/bankok/onboard', { body });
      expect([res.status, res.body.errors?.map((e: { field: string }) => e.field)]).toEqual([400, [field]]);
      expect(JSON.stringify(res.body)).not.toContain('s3cret-value');
    }
    expect(await prisma.auditLog.count({ where: { targetId: 'bankok' } })).toBe(audited);
  });

  it('serves the dashboard page with a strict CSP and no data in it', async () => {
    const res = await fetch(`${gw.baseUrl}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(html).not.toMatch(/ on[a-z]+=/);
    expect(html).not.toContain(tenantA);
    const script = await fetch(`${gw.baseUrl}/admin/assets/dashboard.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).not.toContain('innerHTML');
    expect((await fetch(`${gw.baseUrl}/admin/assets/dashboard.css`)).status).toBe(200);
  });

  it('GET /admin/providers/health: a bank whose consent creations fail is not healthy, and one that rejects our registration says since when', async () => {
    const op = (
      operation: string,
      outcome: string,
      minutesAgo: number,
      extra: { errorCode?: string; rejected?: string; detail?: string } = {},
    ) =>
      prisma.providerOperation.create({
        data: { providerId: 'bankok', operation, outcome, at: ago(minutesAgo), ...extra },
      });
    // Consent creations worked until 40 minutes ago; then the bank stopped knowing our client. The
    // connector-service registered again (which did not help) and waits for its interval.
    await op('consent_creation', 'succeeded', 50);
    await op('consent_creation', 'succeeded', 45);
    await op('consent_creation', 'failed', 40, {
      errorCode: 'bank_unauthorised',
      rejected: 'registration',
      detail: 'bank_unauthorised: obie.clientCredentials, invalid_client, HTTP 401',
    });
    await op('re_registration', 'succeeded', 40, { detail: 'the bank rejected our registration' });
    await op('consent_creation', 'failed', 39, {
      errorCode: 'bank_unauthorised',
      rejected: 'registration',
      detail: 'bank_unauthorised: obie.clientCredentials, invalid_client, HTTP 401',
    });
    await op('consent_creation', 'failed', 10, {
      errorCode: 'bank_unauthorised',
      rejected: 'registration',
      detail: 'bank_unauthorised: obie.clientCredentials, invalid_client, HTTP 401',
    });
    await op('token_refresh', 'failed', 20, { errorCode: 'consent_revoked' });
    await new RegistrationGate(redis!, gw.env.REDIS_PREFIX).claim('bankok', 'cs-1', 60 * 60_000, ago(40));

    const ok = ((await admin('GET', '/admin/providers/health')).body.data as any[]).find(
      (p) => p.providerId === 'bankok',
    );
    expect(ok.verdict).toBe('down');
    expect(ok.registration).toMatchObject({
      present: true,
      rejectedSince: ago(40).toISOString(),
      rejected: 'registration',
      rejectionDetail: expect.stringContaining('invalid_client'),
      lastReregistration: { at: ago(40).toISOString(), outcome: 'succeeded' },
      nextReregistrationAt: ago(40 - 60).toISOString(),
    });
    expect(ok.reasons).toEqual([
      `The bank rejects our registration (it does not know our client) since ${ago(40).toISOString()}. The connector-service registered again at ${ago(40).toISOString()}, which did not help. It will not try again by itself before ${ago(-20).toISOString()}: onboard the provider with force to register now.`,
      '60% of the consent creations in the last hour failed (bank_unauthorised).',
      "1 run(s) hit the bank's rate limit (HTTP 429) in the last 24 h.",
    ]);
    expect(ok.operations.consentCreations.lastHour).toEqual({
      succeeded: 2,
      failed: 3,
      failureRate: 0.6,
      errors: [{ code: 'bank_unauthorised', count: 3, lastAt: ago(10).toISOString() }],
      lastSucceededAt: ago(45).toISOString(),
      lastFailedAt: ago(10).toISOString(),
    });
    // A refresh refused because the PSU revoked the consent is not the bank's failure.
    expect(ok.operations.tokenRefreshes.lastHour).toMatchObject({
      succeeded: 0,
      failed: 0,
      errors: [{ code: 'consent_revoked', count: 1 }],
    });
    expect(ok.operations.codeExchanges.last24h).toMatchObject({
      succeeded: 0,
      failed: 0,
      failureRate: null,
      errors: [],
    });

    // An operator's onboarding that succeeded ends the rejection (the consent creations still count).
    await op('registration', 'succeeded', 5);
    const after = ((await admin('GET', '/admin/providers/health')).body.data as any[]).find(
      (p) => p.providerId === 'bankok',
    );
    expect(after.registration).toMatchObject({ rejectedSince: null, rejected: null, lastReregistration: null });
    expect(after.reasons[0]).toBe('60% of the consent creations in the last hour failed (bank_unauthorised).');
    await op('consent_creation', 'failed', 4, { errorCode: 'bank_unauthorised', rejected: 'registration' });
    const again = ((await admin('GET', '/admin/providers/health')).body.data as any[]).find(
      (p) => p.providerId === 'bankok',
    );
    expect(again.registration.rejectedSince).toBe(ago(4).toISOString());
  });

  it('documents the operations endpoints in OpenAPI under "Admin: operations", and the responses match their schemas', async () => {
    const doc = (await (await fetch(`${gw.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
    };
    const expected: [string, string][] = [
      ['/admin/stats', 'get'],
      ['/admin/providers/health', 'get'],
      ['/admin/providers/{providerId}/onboard', 'post'],
      ['/admin/queues', 'get'],
      ['/admin/queues/{queue}/jobs', 'get'],
      ['/admin/queues/{queue}/jobs/{jobId}/retry', 'post'],
      ['/admin/queues/{queue}/pause', 'post'],
      ['/admin/queues/{queue}/resume', 'post'],
      ['/admin/sync-runs', 'get'],
      ['/admin/audit-log', 'get'],
      ['/admin', 'get'],
    ];
    for (const [path, method] of expected) {
      expect({ path, tags: doc.paths[path]?.[method]?.tags }).toEqual({ path, tags: ['Admin: operations'] });
      if (path !== '/admin') expect(doc.paths[path][method].security).toEqual([{ admin: [] }]);
    }
    expect(doc.paths['/admin/assets/dashboard.js']).toBeUndefined();

    // Real responses against the documented 200 schemas, with no undocumented field.
    const api = (await SwaggerParser.validate(structuredClone(doc) as never)) as unknown as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
      >;
    };
    const ajv = new Ajv({ strict: false, allErrors: true });
    const checks: [string, string, string][] = [
      ['/admin/stats', 'get', '/admin/stats'],
      ['/admin/providers/health', 'get', '/admin/providers/health'],
      ['/admin/queues', 'get', '/admin/queues'],
      ['/admin/queues/{queue}/jobs', 'get', '/admin/queues/sync.bankok/jobs?state=waiting'],
      ['/admin/sync-runs', 'get', '/admin/sync-runs?limit=5'],
      ['/admin/audit-log', 'get', '/admin/audit-log?limit=5'],
    ];
    for (const [path, method, url] of checks) {
      const schema = api.paths[path][method].responses['200'].content?.['application/json']?.schema;
      expect({ path, documented: schema !== undefined }).toEqual({ path, documented: true });
      const validate = ajv.compile(jsonSchemaOf(schema) as object);
      const body = (await admin('GET', url)).body;
      expect({ path, errors: validate(body) ? [] : validate.errors }).toEqual({ path, errors: [] });
    }
  });
});
