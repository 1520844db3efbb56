import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import { Queue } from 'bullmq';
import { bullPrefix, syncQueueName } from '@ais/contracts';
import { createPrismaClient, openBullConnection, type PrismaClient } from '@ais/db';
import { newId } from '@ais/domain';
import { jsonSchemaOf } from '@ais/testing';
import { startGateway, type GatewayUnderTest } from '../../../test/gateway-harness.js';
import { ApiTrafficSampler } from './api-traffic.sampler.js';
import { QueueDepthSampler } from './queue-depth.sampler.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const SIX_HOURS = 6 * HOUR;
const PATHS = [
  '/admin/timeseries/sync-runs',
  '/admin/timeseries/webhooks',
  '/admin/timeseries/api-requests',
  '/admin/timeseries/queues',
];

/**
 * The dashboard's time series over a real Postgres and Redis: sync runs, unattended calls and webhook
 * deliveries seeded at known offsets come back in the right buckets with exact counts; API traffic is
 * what the gateway answered; queue depths are live and sampled; windows are validated; admin only.
 */
describe('gateway: admin time series', () => {
  let gw: GatewayUnderTest;
  let prisma: PrismaClient;
  let queue: Queue | undefined;
  /** The start of the current hour when the data was seeded (the test waits out an hour boundary first). */
  let hourStart: number;
  let now: number;

  const admin = (path: string) => gw.request('GET', path, { token: gw.adminToken });
  /** The bucket an instant falls in, counted back from the last one (epoch-aligned buckets, like the gateway's). */
  const indexOf = (at: number, size: number, buckets: number) =>
    buckets - 1 - (Math.floor(now / size) - Math.floor(at / size));

  async function consent(tenantId: string, providerId: string) {
    const id = newId('consent');
    await prisma.consent.create({
      data: {
        id,
        tenantId,
        providerId,
        status: 'authorised',
        permissions: ['accounts'],
        expiresAt: new Date(now + 30 * 86_400_000),
        frequencyPerDay: 4,
        redirectUri: 'https://app.example.com/cb',
      },
    });
    return id;
  }

  async function runs(
    tenantId: string,
    consentId: string,
    at: number,
    count: number,
    status: 'queued' | 'succeeded' | 'failed' | 'deferred',
    errorCode?: string,
  ) {
    for (let i = 0; i < count; i++)
      await prisma.syncRun.create({
        data: {
          id: newId('syncRun'),
          tenantId,
          consentId,
          trigger: 'scheduled',
          status,
          queuedAt: new Date(at),
          ...(status === 'queued' ? {} : { startedAt: new Date(at), finishedAt: new Date(at + 1000) }),
          ...(errorCode ? { errorCode, errorDetail: `${errorCode} detail` } : {}),
        },
      });
  }

  beforeAll(async () => {
    // Seeding and reading must see the same buckets: not within a minute of the next hour.
    const untilNextHour = HOUR - (Date.now() % HOUR);
    if (untilNextHour < 90_000) await new Promise((r) => setTimeout(r, untilNextHour + 1_000));
    now = Date.now();
    hourStart = Math.floor(now / HOUR) * HOUR;

    gw = await startGateway();
    prisma = createPrismaClient({ url: gw.db.url, poolSize: 2 });
    for (const [id, name, status] of [
      ['bankts', 'Bank TS', 'active'],
      ['bankidle', 'Bank Idle', 'active'],
      ['bankzz', 'Bank ZZ', 'inactive'],
      ['bankgone', 'Bank Gone', 'inactive'],
    ] as const)
      await prisma.provider.create({
        data: { id, name, country: 'GB', standard: 'obie_3_1', profile: 'allstar', status, capabilities: {} },
      });
    const tenantId = (
      await gw.request('POST', '/admin/tenants', { token: gw.adminToken, body: { name: 'T', redirectUris: [] } })
    ).body.id as string;
    const ts = await consent(tenantId, 'bankts');
    const zz = await consent(tenantId, 'bankzz');

    // bankts: this hour 2 succeeded and 1 failed; 3 h ago a 429 and a spent budget; 5 h ago one still
    // queued; 30 h ago (in 7 days only) 4 succeeded; 10 days ago (in neither) 5.
    await runs(tenantId, ts, hourStart, 2, 'succeeded');
    await runs(tenantId, ts, hourStart + 1, 1, 'failed', 'bank_unavailable');
    await runs(tenantId, ts, hourStart - 3 * HOUR + 10 * MINUTE, 1, 'deferred', 'bank_rate_limited');
    await runs(tenantId, ts, hourStart - 3 * HOUR + 20 * MINUTE, 1, 'deferred', 'budget_exhausted');
    await runs(tenantId, ts, hourStart - 5 * HOUR, 1, 'queued');
    await runs(tenantId, ts, hourStart - 30 * HOUR, 4, 'succeeded');
    await runs(tenantId, ts, hourStart - 240 * HOUR, 5, 'succeeded');
    // bankzz (inactive): one failure an hour ago, so it is charted; bankgone (inactive, nothing) is not.
    await runs(tenantId, zz, hourStart - HOUR + 5 * MINUTE, 1, 'failed', 'bank_invalid_response');

    // The access ledger: 3 unattended calls this hour (and one with the PSU present), 2 three hours ago.
    const ledger = (at: number, psuPresent: boolean) =>
      prisma.accessLedgerEntry.create({
        data: { consentId: ts, scope: '*', resource: 'accounts', psuPresent, at: new Date(at) },
      });
    for (let i = 0; i < 3; i++) await ledger(hourStart + i, false);
    await ledger(hourStart, true);
    for (let i = 0; i < 2; i++) await ledger(hourStart - 3 * HOUR + i, false);

    // Webhooks: three deliveries this hour after 200 ms, 1 s and 3 s; one given up 2 h ago after four
    // failed attempts; one still pending after a failed attempt; one delivered 40 h ago.
    const endpointId = newId('webhookEndpoint');
    await prisma.webhookEndpoint.create({
      data: { id: endpointId, tenantId, url: 'https://hooks.example.com/a', events: [], secretEncrypted: 'x' },
    });
    let seq = 0;
    const delivery = async (
      status: 'succeeded' | 'failed' | 'pending',
      committedAt: number,
      lastAttemptAt: number,
      latencyMs: number | null,
      attempts: [number, number | null][] = [],
    ) => {
      const eventId = newId('event');
      await prisma.event.create({
        data: { id: eventId, tenantId, type: 'sync.completed', data: {}, createdAt: new Date(committedAt) },
      });
      const id = newId('webhookDelivery');
      await prisma.webhookDelivery.create({
        data: {
          id,
          tenantId,
          endpointId,
          eventId,
          eventSeq: ++seq,
          status,
          attempts: attempts.length + (status === 'succeeded' ? 1 : 0),
          lastAttemptAt: new Date(lastAttemptAt),
          succeededAt: latencyMs === null ? null : new Date(committedAt + latencyMs),
        },
      });
      let n = 0;
      for (const [at, responseStatus] of attempts)
        await prisma.webhookAttempt.create({
          data: { deliveryId: id, attempt: ++n, startedAt: new Date(at), latencyMs: 30, responseStatus },
        });
    };
    await delivery('succeeded', hourStart, hourStart + 150, 200);
    await delivery('succeeded', hourStart, hourStart + 950, 1000, [[hourStart + 10, 503]]);
    await delivery('succeeded', hourStart, hourStart + 2950, 3000);
    await delivery('failed', hourStart - 2 * HOUR, hourStart - 2 * HOUR + 4_000, null, [
      [hourStart - 2 * HOUR + 1_000, 500],
      [hourStart - 2 * HOUR + 2_000, 500],
      [hourStart - 2 * HOUR + 3_000, null],
      [hourStart - 2 * HOUR + 4_000, 410],
    ]);
    await delivery('pending', hourStart, hourStart + 20, null, [[hourStart + 20, 500]]);
    await delivery('succeeded', hourStart - 40 * HOUR, hourStart - 40 * HOUR + 500, 500);
  }, 180_000);

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await prisma?.$disconnect();
    await gw?.close();
  });

  it('refuses every time series without the admin token (401 problem+json)', async () => {
    for (const path of PATHS)
      for (const token of [undefined, 'sk_not_the_admin_token', `${gw.adminToken}x`]) {
        const res = await gw.request('GET', path, { token });
        expect({ path, status: res.status }).toEqual({ path, status: 401 });
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body).toMatchObject({ status: 401, code: 'unauthorized' });
      }
  });

  it('validates the window: an unknown one or an unknown field is a 400 problem naming it', async () => {
    for (const path of [
      '/admin/timeseries/sync-runs?window=1h',
      '/admin/timeseries/webhooks?window=30d',
      '/admin/timeseries/api-requests?window=7d',
      '/admin/timeseries/queues?window=',
      '/admin/timeseries/sync-runs?window=24h&window=7d',
    ]) {
      const res = await admin(path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['window']);
    }
    const unknown = await admin('/admin/timeseries/sync-runs?window=24h&providerId=bankts');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: 'providerId', message: 'unknown field' }]);
  });

  it('GET /admin/timeseries/sync-runs: runs by outcome, 429s, spent budgets and unattended calls per bank and hour', async () => {
    const res = await admin('/admin/timeseries/sync-runs?window=24h');
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body).toMatchObject({
      window: '24h',
      bucketSeconds: 3600,
      from: new Date(hourStart - 23 * HOUR).toISOString(),
      to: new Date(hourStart + HOUR).toISOString(),
    });
    expect(body.buckets).toHaveLength(24);
    expect(body.buckets[23]).toBe(new Date(hourStart).toISOString());
    // Active banks by name, and the inactive one that has runs; not the inactive one without any.
    expect(body.providers.map((p: { providerId: string }) => p.providerId)).toEqual(['bankidle', 'bankts', 'bankzz']);
    const ts = body.providers.find((p: { providerId: string }) => p.providerId === 'bankts');
    const hourly = (cells: Record<number, number>) => {
      const out = new Array<number>(24).fill(0);
      for (const [hoursAgo, v] of Object.entries(cells)) out[23 - Number(hoursAgo)] = v;
      return out;
    };
    expect(ts).toMatchObject({ name: 'Bank TS', status: 'active' });
    expect(ts.runs).toEqual(hourly({ 0: 3, 3: 2, 5: 1 }));
    expect(ts.succeeded).toEqual(hourly({ 0: 2 }));
    expect(ts.failed).toEqual(hourly({ 0: 1 }));
    expect(ts.deferred).toEqual(hourly({ 3: 2 }));
    expect(ts.inFlight).toEqual(hourly({ 5: 1 }));
    expect(ts.bankRateLimited).toEqual(hourly({ 3: 1 }));
    expect(ts.budgetExhausted).toEqual(hourly({ 3: 1 }));
    expect(ts.unattendedCalls).toEqual(hourly({ 0: 3, 3: 2 })); // not the call with the PSU present
    const zz = body.providers.find((p: { providerId: string }) => p.providerId === 'bankzz');
    expect(zz.failed[22]).toBe(1);
    expect(zz.runs.reduce((a: number, b: number) => a + b, 0)).toBe(1);
    const idle = body.providers.find((p: { providerId: string }) => p.providerId === 'bankidle');
    expect(idle.runs).toEqual(new Array(24).fill(0));

    const week = (await admin('/admin/timeseries/sync-runs?window=7d')).body;
    expect(week).toMatchObject({ window: '7d', bucketSeconds: 21600 });
    expect(week.buckets).toHaveLength(28);
    const tsWeek = week.providers.find((p: { providerId: string }) => p.providerId === 'bankts');
    const runsWeek = new Array<number>(28).fill(0);
    const add = (atMs: number, n: number) => (runsWeek[indexOf(atMs, SIX_HOURS, 28)] += n);
    add(hourStart, 3);
    add(hourStart - 3 * HOUR, 2);
    add(hourStart - 5 * HOUR, 1);
    add(hourStart - 30 * HOUR, 4);
    expect(tsWeek.runs).toEqual(runsWeek);
    expect(tsWeek.succeeded.reduce((a: number, b: number) => a + b, 0)).toBe(6); // not the 5 of 10 days ago
  });

  it('GET /admin/timeseries/webhooks: delivered, given up, failed attempts and commit→delivery p50/p99 per hour', async () => {
    const body = (await admin('/admin/timeseries/webhooks')).body;
    expect(body).toMatchObject({ window: '24h', bucketSeconds: 3600 });
    const series = (fill: number | null, cells: Record<number, number | null>) => {
      const out = new Array<number | null>(24).fill(fill);
      for (const [hoursAgo, v] of Object.entries(cells)) out[23 - Number(hoursAgo)] = v;
      return out;
    };
    expect(body.delivered).toEqual(series(0, { 0: 3 }));
    expect(body.failed).toEqual(series(0, { 2: 1 }));
    // This hour: the delivery retried once and the pending one; 2 h ago: the four of the one given up.
    expect(body.failedAttempts).toEqual(series(0, { 0: 2, 2: 4 }));
    // percentile_cont over 200, 1000 and 3000 ms: the median, and 1000 + 0.98 × 2000 for the 99th.
    expect(body.latencyP50Ms).toEqual(series(null, { 0: 1000 }));
    expect(body.latencyP99Ms).toEqual(series(null, { 0: 2960 }));

    const week = (await admin('/admin/timeseries/webhooks?window=7d')).body;
    const delivered = new Array<number>(28).fill(0);
    delivered[indexOf(hourStart, SIX_HOURS, 28)] += 3;
    delivered[indexOf(hourStart - 40 * HOUR, SIX_HOURS, 28)] += 1;
    expect(week.delivered).toEqual(delivered);
  });

  it('GET /admin/timeseries/api-requests: what the gateway answered, per minute, without the operators’ own calls', async () => {
    const sampler = gw.app.get(ApiTrafficSampler);
    const total = (body: any, key: string) => (body[key] as number[]).reduce((a, b) => a + b, 0);
    await sampler.flush();
    const before = (await admin('/admin/timeseries/api-requests?window=1h')).body;
    expect(before).toMatchObject({ window: '1h', bucketSeconds: 60 });
    expect(before.buckets).toHaveLength(60);

    for (let i = 0; i < 5; i++) expect((await gw.request('GET', '/v1/consents')).status).toBe(401);
    expect((await gw.request('GET', '/v1/no-such-route')).status).toBe(404);
    expect((await gw.request('GET', '/openapi.json')).status).toBe(200);
    expect((await admin('/admin/stats')).status).toBe(200); // not counted
    await sampler.flush();

    const after = (await admin('/admin/timeseries/api-requests?window=1h')).body;
    expect(total(after, 'requests') - total(before, 'requests')).toBe(7);
    expect(total(after, 'clientErrors') - total(before, 'clientErrors')).toBe(6);
    expect(total(after, 'serverErrors') - total(before, 'serverErrors')).toBe(0);
    const day = (await admin('/admin/timeseries/api-requests?window=24h')).body;
    expect(day.buckets).toHaveLength(1440);
    expect(total(day, 'requests')).toBe(total(after, 'requests'));
  });

  it('GET /admin/timeseries/queues: every queue’s depth now and once a minute', async () => {
    queue = new Queue(syncQueueName('bankts'), {
      connection: openBullConnection({ url: gw.env.REDIS_URL, prefix: gw.env.REDIS_PREFIX }).connection,
      prefix: bullPrefix(gw.env.REDIS_PREFIX, syncQueueName('bankts')),
    });
    await queue.add('sync-consent', { n: 1 }, { jobId: 'ts-1' });
    await queue.add('sync-consent', { n: 2 }, { jobId: 'ts-2' });
    await queue.add('sync-consent', { n: 3 }, { jobId: 'ts-3', delay: 600_000 });
    // A sample for a minute five minutes ago (no instance has taken that one).
    const sampledAt = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE);
    await gw.app.get(QueueDepthSampler).sample(sampledAt);

    const body = (await admin('/admin/timeseries/queues')).body;
    expect(body).toMatchObject({ window: '1h', bucketSeconds: 60 });
    expect(body.queues.map((q: { name: string }) => q.name).sort()).toEqual(
      ['sync.bankts', 'sync.bankidle', 'sync.bankzz', 'sync.bankgone', 'sync-scheduler', 'consents'].sort(),
    );
    const ts = body.queues.find((q: { name: string }) => q.name === 'sync.bankts');
    expect(ts).toMatchObject({ kind: 'sync', providerId: 'bankts' });
    expect(ts.current).toEqual({ waiting: 2, active: 0, delayed: 1, failed: 0 });
    expect([ts.waiting[59], ts.delayed[59]]).toEqual([2, 1]); // the last minute is the live count
    const i = body.buckets.indexOf(sampledAt.toISOString());
    expect(i).toBeGreaterThanOrEqual(0);
    expect([ts.waiting[i], ts.active[i], ts.delayed[i], ts.failed[i]]).toEqual([2, 0, 1, 0]);
    // A minute nobody sampled has no value (a gap in the chart, not a zero).
    expect(ts.waiting[i - 1]).toBeNull();
    // One sample per minute across instances: the same minute is not taken twice.
    await queue.add('sync-consent', { n: 4 }, { jobId: 'ts-4' });
    await gw.app.get(QueueDepthSampler).sample(sampledAt);
    expect(
      (await admin('/admin/timeseries/queues')).body.queues.find((q: any) => q.name === 'sync.bankts').waiting[i],
    ).toBe(2);
  });

  it('documents the time series in OpenAPI, and the real answers match their schemas with no undeclared field', async () => {
    const doc = (await (await fetch(`${gw.baseUrl}/openapi.json`)).json()) as any;
    const api = (await SwaggerParser.validate(structuredClone(doc))) as any;
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const [path, query] of [
      ['/admin/timeseries/sync-runs', '?window=7d'],
      ['/admin/timeseries/webhooks', ''],
      ['/admin/timeseries/api-requests', '?window=24h'],
      ['/admin/timeseries/queues', ''],
    ]) {
      const op = doc.paths[path]?.get;
      expect({ path, tags: op?.tags, security: op?.security }).toEqual({
        path,
        tags: ['Admin: operations'],
        security: [{ admin: [] }],
      });
      expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['query:window']);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
      const schema = api.paths[path].get.responses['200'].content['application/json'].schema;
      const validate = ajv.compile(jsonSchemaOf(schema) as object);
      const body = (await admin(`${path}${query}`)).body;
      expect({ path, errors: validate(body) ? [] : validate.errors }).toEqual({ path, errors: [] });
    }
  });
});
