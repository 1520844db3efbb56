import { Queue } from 'bullmq';
import { createPrismaClient, openBullConnection, type PrismaClient } from '@ais/db';
import { bullPrefix, syncJobId, syncQueueName } from '@ais/contracts';
import { newId } from '@ais/domain';
import { startGateway, type GatewayUnderTest } from '../../test/gateway-harness.js';

/** POST /v1/consents/{id}/refresh and GET /v1/consents/{id}/sync-runs; no worker runs, jobs stay queued. */
describe('gateway: refresh and sync runs', () => {
  let gw: GatewayUnderTest;
  let prisma: PrismaClient;
  let queue: Queue;
  const tenants: { id: string; key: string }[] = [];

  const capabilities = {
    supportedPermissions: ['accounts', 'balances', 'transactions'],
    bulkEndpoints: [],
    accessWindow: { kind: 'rolling24h' },
    psuPresentRefresh: true,
    maxConsentDays: 90,
    maxHistoryDays: 730,
    maxFrequencyPerDay: 4,
    timeZone: 'Europe/London',
  };

  beforeAll(async () => {
    gw = await startGateway();
    prisma = createPrismaClient({ url: gw.db.url, poolSize: 2 });
    await prisma.provider.create({
      data: {
        id: 'testbank',
        name: 'Test Bank',
        country: 'GB',
        standard: 'obie_3_1',
        profile: 'allstar',
        status: 'active',
        capabilities,
      },
    });
    for (const name of ['Refresher', 'Other']) {
      const t = await gw.request('POST', '/admin/tenants', { token: gw.adminToken, body: { name, redirectUris: [] } });
      tenants.push({ id: t.body.id, key: t.body.apiKey });
    }
    queue = new Queue(syncQueueName('testbank'), {
      connection: openBullConnection({ url: gw.env.REDIS_URL, prefix: gw.env.REDIS_PREFIX }).connection,
      prefix: bullPrefix(gw.env.REDIS_PREFIX, syncQueueName('testbank')),
    });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await prisma.$disconnect();
    await gw.close();
  });

  async function consent(tenantId: string, status: 'authorised' | 'revoked' | 'expired' = 'authorised') {
    const id = newId('consent');
    await prisma.consent.create({
      data: {
        id,
        tenantId,
        providerId: 'testbank',
        status,
        permissions: ['accounts', 'balances', 'transactions'],
        expiresAt: new Date(Date.now() + 30 * 86_400_000),
        frequencyPerDay: 4,
        redirectUri: 'https://app.example.com/cb',
        authorisedAt: new Date(),
      },
    });
    await prisma.account.create({
      data: {
        id: newId('account'),
        tenantId,
        consentId: id,
        providerId: 'testbank',
        externalId: 'acc-1',
        identityKey: `iban:GB00${id}:GBP`,
        type: 'personal',
        currency: 'GBP',
      },
    });
    return id;
  }
  const refresh = (tenant: { key: string }, consentId: string, body: unknown = {}) =>
    gw.request('POST', `/v1/consents/${consentId}/refresh`, { token: tenant.key, body });
  const runs = (tenant: { key: string }, consentId: string, query = '') =>
    gw.request('GET', `/v1/consents/${consentId}/sync-runs${query}`, { token: tenant.key });

  it('starts a PSU-present sync (202 with its run) and never a second one while it is in flight', async () => {
    const [t] = tenants;
    const id = await consent(t.id);
    const first = await refresh(t, id, { psuIpAddress: '203.0.113.7' });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ syncRunId: expect.stringMatching(/^sr_/) });
    const job = await queue.getJob(syncJobId(id));
    expect(job?.data).toEqual({
      tenantId: t.id,
      consentId: id,
      providerId: 'testbank',
      syncRunId: first.body.syncRunId,
      trigger: 'psu_present',
      psuIpAddress: '203.0.113.7',
    });

    const second = await refresh(t, id);
    expect(second.status).toBe(202);
    expect(second.body.syncRunId).toBe(first.body.syncRunId);
    expect(await prisma.syncRun.count({ where: { consentId: id } })).toBe(1);
    const list = await runs(t, id);
    expect(list.body).toEqual({
      data: [
        {
          id: first.body.syncRunId,
          trigger: 'psu_present',
          status: 'queued',
          queuedAt: expect.any(String),
          startedAt: null,
          finishedAt: null,
          counts: { accounts: 0, transactionsAdded: 0, transactionsModified: 0, transactionsRemoved: 0 },
          unavailable: [],
        },
      ],
      nextCursor: null,
    });
  });

  it('answers 429 budget_exhausted with Retry-After and nextAllowedAt when no unattended call is left, and starts nothing', async () => {
    const [t] = tenants;
    const id = await consent(t.id);
    const oldest = new Date(Date.now() - 20 * 3_600_000);
    for (const resource of ['balances', 'transactions'])
      for (let i = 0; i < 4; i++)
        await prisma.accessLedgerEntry.create({
          data: {
            consentId: id,
            scope: 'acc-1',
            resource,
            psuPresent: false,
            at: new Date(oldest.getTime() + i * 60_000),
          },
        });
    const res = await refresh(t, id);
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'budget_exhausted',
      status: 429,
      nextAllowedAt: new Date(oldest.getTime() + 86_400_000).toISOString(),
      retryAt: new Date(oldest.getTime() + 86_400_000).toISOString(),
    });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3 * 3600 - 60);
    expect(retryAfter).toBeLessThanOrEqual(4 * 3600);
    expect(await prisma.syncRun.count({ where: { consentId: id } })).toBe(0);
    // The user being present is not limited by the budget.
    expect((await refresh(t, id, { psuIpAddress: '2001:db8::7' })).status).toBe(202);
  });

  it('starts an unattended (manual) sync when the budget allows', async () => {
    const [t] = tenants;
    const id = await consent(t.id);
    const res = await refresh(t, id);
    expect(res.status).toBe(202);
    expect(await prisma.syncRun.findUniqueOrThrow({ where: { id: res.body.syncRunId } })).toMatchObject({
      trigger: 'manual',
      status: 'queued',
    });
    expect((await queue.getJob(syncJobId(id)))?.data).not.toHaveProperty('psuIpAddress');
  });

  it('hides another tenant’s consent (404) and refuses an ended consent', async () => {
    const [t, other] = tenants;
    const id = await consent(t.id);
    expect((await refresh(other, id)).status).toBe(404);
    expect((await runs(other, id)).status).toBe(404);
    expect((await refresh(t, 'cons_nope')).status).toBe(404);
    const revoked = await consent(t.id, 'revoked');
    expect((await refresh(t, revoked)).body).toMatchObject({ status: 409, code: 'consent_revoked' });
    const expired = await consent(t.id, 'expired');
    expect((await refresh(t, expired)).body).toMatchObject({ status: 409, code: 'consent_expired' });
  });

  it('asks for the whole history with full: true (the job says so, the backfill restarts); full is a boolean', async () => {
    const [t] = tenants;
    const id = await consent(t.id);
    await prisma.account.updateMany({ where: { consentId: id }, data: { backfilledFrom: new Date('2024-01-01') } });
    const bad = await refresh(t, id, { full: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'full', message: 'full must be a boolean' }]);
    expect(await prisma.account.count({ where: { consentId: id, backfilledFrom: null } })).toBe(0);

    const accepted = await refresh(t, id, { psuIpAddress: '203.0.113.7', full: true });
    expect(accepted.status).toBe(202);
    expect((await queue.getJob(syncJobId(id)))?.data).toMatchObject({
      syncRunId: accepted.body.syncRunId,
      trigger: 'psu_present',
      full: true,
    });
    // Until every account has its full history again, whichever sync runs next reads the full window.
    expect(await prisma.account.count({ where: { consentId: id, backfilledFrom: { not: null } } })).toBe(0);
  });

  it('validates the body: an IP address, nothing else', async () => {
    const [t] = tenants;
    const id = await consent(t.id);
    const bad = await refresh(t, id, { psuIpAddress: 'localhost' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'psuIpAddress', message: expect.stringContaining('IPv4 or IPv6') }]);
    expect((await refresh(t, id, { force: true })).status).toBe(400);
  });

  it('lists runs newest first with stable cursors, with what failed or was deferred', async () => {
    const [t] = tenants;
    const id = await consent(t.id);
    const base = Date.now() - 3_600_000;
    const made = [];
    for (let i = 0; i < 3; i++) {
      const runId = newId('syncRun');
      made.push(runId);
      await prisma.syncRun.create({
        data: {
          id: runId,
          tenantId: t.id,
          consentId: id,
          trigger: 'scheduled',
          status: i === 1 ? 'deferred' : 'succeeded',
          queuedAt: new Date(base + i * 60_000),
          startedAt: new Date(base + i * 60_000 + 1_000),
          finishedAt: new Date(base + i * 60_000 + 2_000),
          accounts: 1,
          transactionsAdded: i,
          ...(i === 1 ? { errorCode: 'budget_exhausted', errorDetail: 'spent' } : {}),
        },
      });
    }
    const page1 = await runs(t, id, '?limit=2');
    expect(page1.body.data.map((r: { id: string }) => r.id)).toEqual([made[2], made[1]]);
    expect(page1.body.data[1]).toMatchObject({
      status: 'deferred',
      error: { code: 'budget_exhausted', detail: 'spent' },
    });
    expect(page1.body.data[0]).not.toHaveProperty('error');
    // A run added meanwhile does not shift the next page.
    await refresh(t, id, { psuIpAddress: '203.0.113.9' });
    const page2 = await runs(t, id, `?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toEqual({
      data: [expect.objectContaining({ id: made[0], counts: expect.objectContaining({ accounts: 1 }) })],
      nextCursor: null,
    });
    expect((await runs(t, id, '?cursor=garbage')).status).toBe(400);
  });
});
