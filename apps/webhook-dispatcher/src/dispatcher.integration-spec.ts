import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { WebhookDeliveryRepository } from '@ais/db';
import { newId } from '@ais/domain';
import { TestReceiver, createTestDatabase, until, verifyStandardWebhook, type TestDatabase } from '@ais/testing';
import { Fixtures, txnData } from '../test/fixtures.js';
import { dispatcherEnv, startDispatcher, type DispatcherUnderTest } from '../test/dispatcher-harness.js';

const ids = (r: TestReceiver) => r.received.map((x) => String(x.headers['webhook-id']));

async function setUp(label: string, overrides: Record<string, string> = {}) {
  const db = await createTestDatabase(label);
  const env = dispatcherEnv(db.url);
  const fx = new Fixtures(db.url, env.ENCRYPTION_KEYS);
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const dispatcher = await startDispatcher(env, overrides);
  return { db, env, fx, sql, dispatcher };
}

async function tearDown(
  ctx: { db: TestDatabase; fx: Fixtures; sql: pg.Client; dispatcher: DispatcherUnderTest },
  receivers: TestReceiver[],
) {
  await ctx.dispatcher.close();
  for (const r of receivers) await r.stop();
  await ctx.sql.end();
  await ctx.fx.close();
  await ctx.db.drop();
}

describe('webhook dispatcher: delivery', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const receivers: TestReceiver[] = [];
  const receiver = async () => {
    const r = await new TestReceiver().start();
    receivers.push(r);
    return r;
  };
  const deliveries = async (endpointId: string) =>
    (await ctx.sql.query('SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id', [endpointId]))
      .rows as Record<string, any>[];

  beforeAll(async () => {
    ctx = await setUp('wd_delivery');
  });
  afterAll(async () => tearDown(ctx, receivers));

  it('delivers each committed event to every subscribed endpoint of its tenant, once, in event-log order, signed', async () => {
    const tenant = await ctx.fx.tenant();
    const stranger = await ctx.fx.tenant();
    const [a, b, s] = [await receiver(), await receiver(), await receiver()];
    const txns = await ctx.fx.endpoint(tenant, `${a.url}/txns`, ['transactions.added']);
    const all = await ctx.fx.endpoint(tenant, `${b.url}/all`, ['*']);
    await ctx.fx.endpoint(stranger, `${s.url}/other`, ['*']);

    const added = await ctx.fx.emit(tenant, 'transactions.added', txnData, 25);
    const synced = await ctx.fx.emit(tenant, 'sync.completed', (i) => ({
      consentId: 'cons_1',
      syncRunId: `sr_${i}`,
      trigger: 'scheduled',
      accounts: 1,
      transactionsAdded: 25,
      transactionsModified: 0,
      transactionsRemoved: 0,
      unavailable: [],
    }));

    await until('both endpoints served', () => a.received.length === 25 && b.received.length === 26);
    expect(ids(a)).toEqual(added);
    expect(ids(b)).toEqual([...added, ...synced]);
    expect(s.received).toHaveLength(0);

    const first = a.received[0];
    expect(first.path).toBe('/txns');
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first.body)).toEqual({
      id: added[0],
      type: 'transactions.added',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      data: txnData(0),
    });
    for (const r of a.received) expect(verifyStandardWebhook(txns.secret, r.headers, r.body)).toEqual({ ok: true });
    for (const r of b.received) expect(verifyStandardWebhook(all.secret, r.headers, r.body)).toEqual({ ok: true });
    expect(verifyStandardWebhook(all.secret, a.received[0].headers, a.received[0].body).ok).toBe(false);

    await until('outcomes recorded', async () => (await deliveries(txns.id)).every((d) => d.status === 'succeeded'));
    const rows = await deliveries(txns.id);
    expect(rows).toHaveLength(25);
    expect(rows[0]).toMatchObject({
      attempts: 1,
      last_response_status: 204,
      next_attempt_at: null,
      succeeded_at: expect.any(Date),
    });
    // First-attempt successes need no attempt-log row: the delivery row is that attempt.
    const attempts = await ctx.sql.query(
      'SELECT count(*)::int AS n FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1',
      [txns.id],
    );
    expect(attempts.rows[0].n).toBe(0);
  });

  it('delivers to an endpoint scoped to a consent only that consent’s events; tenant-wide endpoints get them all', async () => {
    const tenant = await ctx.fx.tenant();
    const [mine, other] = [await ctx.fx.consent(tenant), await ctx.fx.consent(tenant)];
    const [a, b, all] = [await receiver(), await receiver(), await receiver()];
    const scoped = await ctx.fx.endpoint(tenant, `${a.url}/mine`, ['*'], mine);
    await ctx.fx.endpoint(tenant, `${b.url}/other-revocations`, ['consent.revoked'], other);
    await ctx.fx.endpoint(tenant, `${all.url}/all`, ['*']);
    const ref = (consentId: string) => ({ consentId, providerId: 'fixture-bank', endUserId: null });
    const revoked = (consentId: string) => ({
      ...ref(consentId),
      revokedAt: new Date().toISOString(),
      revokedBy: 'bank' as const,
    });

    const forMine = await ctx.fx.emit(tenant, 'transactions.added', (i) => ({ ...txnData(i), consentId: mine }), 3);
    const forOther = await ctx.fx.emit(tenant, 'transactions.added', (i) => ({ ...txnData(i), consentId: other }), 2);
    const [otherRevoked] = await ctx.fx.emit(tenant, 'consent.revoked', () => revoked(other));
    const [mineRevoked] = await ctx.fx.emit(tenant, 'consent.revoked', () => revoked(mine));
    const test = await ctx.fx.emit(tenant, 'webhook.test', () => ({ webhookId: scoped.id, message: 'hi' }));

    await until(
      'every endpoint served',
      () => a.received.length === 5 && b.received.length === 1 && all.received.length === 7,
    );
    expect(ids(a)).toEqual([...forMine, mineRevoked, ...test]);
    expect(ids(b)).toEqual([otherRevoked]);
    expect(ids(all)).toEqual([...forMine, ...forOther, otherRevoked, mineRevoked]);
    for (const r of a.received) expect(verifyStandardWebhook(scoped.secret, r.headers, r.body)).toEqual({ ok: true });
  });

  it('delivers nothing before the writing transaction commits, and loses no event that commits late', async () => {
    const tenant = await ctx.fx.tenant();
    const r = await receiver();
    await ctx.fx.endpoint(tenant, r.url, ['transactions.added']);
    const writer = new pg.Client({ connectionString: ctx.db.url });
    await writer.connect();
    await writer.query('BEGIN');
    await writer.query('SELECT pg_current_xact_id()'); // takes its transaction id now: it is "older" than what follows
    const lateId = newId('event');
    await writer.query(`INSERT INTO events (id, tenant_id, type, data) VALUES ($1, $2, 'transactions.added', $3)`, [
      lateId,
      tenant,
      JSON.stringify(txnData(0)),
    ]);
    const [after] = await ctx.fx.emit(tenant, 'transactions.added', txnData);

    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.received).toHaveLength(0); // the uncommitted event is invisible, and the later one waits behind it

    await writer.query('COMMIT');
    await writer.end();
    await until('both delivered', () => r.received.length === 2);
    expect(ids(r)).toEqual([lateId, after]);
  });

  it('is not held back by a long transaction in another database of the cluster', async () => {
    const tenant = await ctx.fx.tenant();
    const r = await receiver();
    await ctx.fx.endpoint(tenant, r.url, ['transactions.added']);
    const elsewhere = new pg.Client({
      connectionString: Object.assign(new URL(ctx.db.url), { pathname: '/postgres' }).toString(),
    });
    await elsewhere.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()'); // an open writing transaction, older than what follows
      const [id] = await ctx.fx.emit(tenant, 'transactions.added', txnData);
      await until('delivered while the other database’s transaction is open', () => ids(r).includes(id), 5_000);
    } finally {
      await elsewhere.query('ROLLBACK');
      await elsewhere.end();
    }
  });

  it('keeps retrying while the receiver is down; once it is back every event arrives, accepted exactly once per webhook-id', async () => {
    const tenant = await ctx.fx.tenant();
    const r = await receiver();
    const endpoint = await ctx.fx.endpoint(tenant, `${r.url}/hook`, ['transactions.added']);
    await r.stop();
    const events = await ctx.fx.emit(tenant, 'transactions.added', txnData, 30);
    await until(
      'first attempts failed',
      async () => (await deliveries(endpoint.id)).filter((d) => d.attempts >= 1).length === 30,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await r.start();

    await until(
      'all accepted',
      () => new Set([...r.tally()].filter(([, t]) => t.accepted > 0).map(([id]) => id)).size === 30,
      20_000,
    );
    await until('all recorded', async () => (await deliveries(endpoint.id)).every((d) => d.status === 'succeeded'));
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more comes
    const tally = r.tally();
    expect([...tally.keys()].sort()).toEqual([...events].sort());
    for (const id of events) expect(tally.get(id)!.accepted).toBe(1);
    const rows = await deliveries(endpoint.id);
    expect(Math.min(...rows.map((d) => d.attempts))).toBeGreaterThanOrEqual(2);
    const errors = await ctx.sql.query(
      `SELECT error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1 AND a.response_status IS NULL LIMIT 1`,
      [endpoint.id],
    );
    expect(errors.rows[0].error).toContain('ECONNREFUSED');
  });

  it('does not let a slow endpoint (sleeping past the timeout) delay a healthy one', async () => {
    const tenant = await ctx.fx.tenant();
    const slow = await receiver();
    slow.behaviour = () => ({ status: 200, delayMs: 5_000 });
    const healthy = await receiver();
    const slowEndpoint = await ctx.fx.endpoint(tenant, slow.url, ['transactions.added']);
    await ctx.fx.endpoint(tenant, healthy.url, ['transactions.added']);

    const started = Date.now();
    const events = await ctx.fx.emit(tenant, 'transactions.added', txnData, 20);
    await until('healthy served', () => healthy.received.length === 20, 5_000);
    // Waiting on the slow endpoint would cost a 1 000 ms timeout per delivery (20 s for the 20); the
    // bound leaves room for a busy CI machine.
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(ids(healthy)).toEqual(events);

    await until(
      'slow attempt timed out',
      async () => (await deliveries(slowEndpoint.id)).some((d) => d.last_error === 'timed out after 1000 ms'),
      5_000,
    );
    const row = (await deliveries(slowEndpoint.id)).find((d) => d.last_error)!;
    expect(row).toMatchObject({ status: 'pending', last_response_status: null });
    expect(row.last_latency_ms).toBeGreaterThanOrEqual(990);
    expect(slow.received.length).toBeLessThanOrEqual(2); // one at a time: the slow endpoint's own lane
  });

  it('retries on the schedule, then marks the delivery failed; a manual retry sends it once more with the same webhook-id', async () => {
    const tenant = await ctx.fx.tenant();
    const r = await receiver();
    r.behaviour = () => ({ status: 503 });
    const endpoint = await ctx.fx.endpoint(tenant, r.url, ['transactions.added']);
    const [eventId] = await ctx.fx.emit(tenant, 'transactions.added', txnData);

    await until('failed', async () => (await deliveries(endpoint.id))[0]?.status === 'failed', 15_000);
    const [row] = await deliveries(endpoint.id);
    expect(row).toMatchObject({ attempts: 8, next_attempt_at: null, last_response_status: 503 });
    expect(r.received).toHaveLength(8);
    const gaps = r.received.slice(1).map((x, i) => x.at - r.received[i].at);
    [100, 200, 400, 800, 1000, 1000, 1000].forEach((ms, i) => expect(gaps[i]).toBeGreaterThanOrEqual(ms - 15));
    expect(new Set(ids(r))).toEqual(new Set([eventId]));

    r.behaviour = () => ({ status: 200 });
    const repo = ctx.dispatcher.app.get(WebhookDeliveryRepository);
    const retried = await repo.retry(tenant, endpoint.id, row.id);
    expect(retried).toMatchObject({ status: 'pending' });
    await until('retried', async () => (await deliveries(endpoint.id))[0].status === 'succeeded');
    expect(r.received.at(-1)!.headers['webhook-id']).toBe(eventId);
    expect((await deliveries(endpoint.id))[0].attempts).toBe(9);
  });

  it('disables an endpoint that answers 410 Gone, with a reason, an audit entry, and its pending deliveries failed', async () => {
    const tenant = await ctx.fx.tenant();
    const r = await receiver();
    r.behaviour = () => ({ status: 410 });
    const endpoint = await ctx.fx.endpoint(tenant, r.url, ['transactions.added']);
    await ctx.fx.emit(tenant, 'transactions.added', txnData, 3);

    await until(
      'disabled',
      async () =>
        (await ctx.sql.query('SELECT status FROM webhook_endpoints WHERE id = $1', [endpoint.id])).rows[0].status ===
        'disabled',
    );
    const row = (await ctx.sql.query('SELECT * FROM webhook_endpoints WHERE id = $1', [endpoint.id])).rows[0];
    expect(row.disabled_reason).toMatch(/^the endpoint answered 410 Gone at /);
    const audit = await ctx.sql.query(`SELECT * FROM audit_log WHERE action = 'webhook.disabled' AND target_id = $1`, [
      endpoint.id,
    ]);
    expect(audit.rows).toEqual([
      expect.objectContaining({
        actor: 'webhook-dispatcher',
        tenant_id: tenant,
        details: expect.objectContaining({ kind: 'gone' }),
      }),
    ]);
    await until('all failed', async () => (await deliveries(endpoint.id)).every((d) => d.status === 'failed'));
    expect(r.received).toHaveLength(1);
    const rows = await deliveries(endpoint.id);
    expect(rows.filter((d) => d.last_response_status === 410)).toHaveLength(1);
    expect(
      rows.filter((d) => String(d.last_error).startsWith('endpoint disabled: the endpoint answered 410 Gone')),
    ).toHaveLength(2);

    await ctx.fx.emit(tenant, 'transactions.added', txnData);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.received).toHaveLength(1); // disabled endpoints get nothing new
  });
});

describe('webhook dispatcher: SSRF', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const servers: Server[] = [];
  const hits = new Map<string, number>();
  let loopback: number;
  let allowed: number;
  let otherPort: number;

  async function listen(host: string): Promise<number> {
    let port = 0;
    const server = createServer((_req, res) => {
      hits.set(`${host}:${port}`, (hits.get(`${host}:${port}`) ?? 0) + 1);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
    servers.push(server);
    port = (server.address() as AddressInfo).port;
    return port;
  }

  beforeAll(async () => {
    loopback = await listen('127.0.0.1');
    allowed = await listen('127.0.0.3');
    otherPort = await listen('127.0.0.3');
    // Only 127.0.0.3 on one port is allowed here: 127.0.0.1 (and localhost) count as private, and so
    // does 127.0.0.3 on any other port.
    ctx = await setUp('wd_ssrf', { WEBHOOK_ALLOWED_PRIVATE_TARGETS: `127.0.0.3:${allowed}` });
  });
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await tearDown(ctx, []);
  });

  it('refuses private, loopback and metadata targets on every attempt, sending nothing, and delivers to configured ones', async () => {
    const tenant = await ctx.fx.tenant();
    // Stored directly, as if the rules had changed or DNS had moved since the gateway checked them.
    const refused = [
      `http://127.0.0.1:${loopback}/`,
      `https://127.0.0.1:${loopback}/`,
      `https://localhost:${loopback}/`, // a name: refused for what it resolves to
      `https://[::ffff:127.0.0.1]:${loopback}/`,
      `http://127.0.0.3:${otherPort}/`, // the allowed address, on a port that is not allowed
      `http://2130706435:${otherPort}/`, // the same, spelled as one number
      'http://169.254.169.254/latest/meta-data',
      'https://10.255.255.1/',
      'https://[fd00:ec2::254]/',
    ];
    const endpoints = [];
    for (const url of refused) endpoints.push(await ctx.fx.endpoint(tenant, url, ['transactions.added']));
    // The allowed address and port, and two aliases of it: all three are the same target.
    for (const url of [
      `http://127.0.0.3:${allowed}/hook`,
      `http://2130706435:${allowed}/alias`,
      `http://0x7f.0.0.3:${allowed}/alias`,
    ])
      await ctx.fx.endpoint(tenant, url, ['transactions.added']);
    await ctx.fx.emit(tenant, 'transactions.added', txnData);

    for (const [i, endpoint] of endpoints.entries()) {
      const row = await until(
        `attempted ${refused[i]}`,
        async () =>
          (
            await ctx.sql.query('SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 AND attempts >= 1', [
              endpoint.id,
            ])
          ).rows[0],
      );
      expect([refused[i], row.last_error]).toEqual([
        refused[i],
        expect.stringMatching(/^refused to connect to \S+: (plain http is only allowed|.* is a .* address)/),
      ]);
      expect(row.last_response_status).toBeNull();
      expect(row.status).toBe('pending'); // retried like any failure: the target may be fixed
    }
    await until('allowed target served, under each of its names', () => hits.get(`127.0.0.3:${allowed}`) === 3);
    expect(hits.get(`127.0.0.1:${loopback}`)).toBeUndefined();
    expect(hits.get(`127.0.0.3:${otherPort}`)).toBeUndefined();
  });
});

describe('webhook dispatcher: endpoints failing for too long', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const r = new TestReceiver();
  beforeAll(async () => {
    ctx = await setUp('wd_disable', {
      WEBHOOK_DISABLE_AFTER: '1500ms',
      WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms',
    });
    await r.start();
  });
  afterAll(async () => tearDown(ctx, [r]));

  it('clears the failing streak on a success, and disables an endpoint that fails every attempt for WEBHOOK_DISABLE_AFTER', async () => {
    const tenant = await ctx.fx.tenant();
    let failing = true;
    r.behaviour = () => ({ status: failing ? 500 : 200 });
    const endpoint = await ctx.fx.endpoint(tenant, r.url, ['transactions.added']);
    const state = async () =>
      (
        await ctx.sql.query('SELECT status, failing_since, disabled_reason FROM webhook_endpoints WHERE id = $1', [
          endpoint.id,
        ])
      ).rows[0];

    await ctx.fx.emit(tenant, 'transactions.added', txnData);
    await until('failing', async () => (await state()).failing_since !== null);
    failing = false;
    await until('healthy again', async () => (await state()).failing_since === null);

    failing = true;
    const since = Date.now();
    await ctx.fx.emit(tenant, 'transactions.added', txnData, 2);
    await until('disabled', async () => (await state()).status === 'disabled', 10_000);
    expect(Date.now() - since).toBeGreaterThanOrEqual(1_400);
    expect((await state()).disabled_reason).toMatch(/^failing continuously since \S+Z \(1500 ms or more\)$/);
    const audit = await ctx.sql.query(
      `SELECT details FROM audit_log WHERE action = 'webhook.disabled' AND target_id = $1`,
      [endpoint.id],
    );
    expect(audit.rows).toEqual([{ details: expect.objectContaining({ kind: 'failing' }) }]);
    const pending = await ctx.sql.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'`,
      [endpoint.id],
    );
    expect(pending.rows[0].n).toBe(0);
  });
});

describe('webhook dispatcher: several instances, shutdown', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const receivers: TestReceiver[] = [];
  beforeAll(async () => {
    ctx = await setUp('wd_multi', { WEBHOOK_LEASE: '30s' });
  });
  afterAll(async () => tearDown(ctx, receivers));

  it('shares the work between instances without double delivery, keeping each endpoint in order', async () => {
    const second = await startDispatcher(ctx.env, { WEBHOOK_LEASE: '30s' });
    try {
      const tenant = await ctx.fx.tenant();
      const lanes: { r: TestReceiver; id: string }[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await new TestReceiver().start();
        r.behaviour = () => ({ status: 200, delayMs: 2 });
        receivers.push(r);
        lanes.push({ r, id: (await ctx.fx.endpoint(tenant, r.url, ['transactions.added'])).id });
      }
      const events: string[] = [];
      for (let batch = 0; batch < 5; batch++)
        events.push(...(await ctx.fx.emit(tenant, 'transactions.added', txnData, 40)));
      await until('all delivered', () => lanes.every(({ r }) => r.received.length >= 200), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const { r } of lanes) expect(ids(r)).toEqual(events);
      const recorded = await until('all recorded', async () => {
        const { rows } = await ctx.sql.query(
          `SELECT count(*)::int AS n, sum(attempts)::int AS attempts FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE w.tenant_id = $1 AND d.status = 'succeeded'`,
          [tenant],
        );
        return rows[0].n === 800 && rows[0];
      });
      expect(recorded.attempts).toBe(800); // each exactly once: no instance sent what another had
    } finally {
      await second.close();
    }
  });

  it('on shutdown finishes what is in flight and gives back what it had claimed, so another instance carries on at once', async () => {
    const tenant = await ctx.fx.tenant();
    const r = await new TestReceiver().start();
    receivers.push(r);
    r.behaviour = () => ({ status: 200, delayMs: 100 });
    const endpoint = await ctx.fx.endpoint(tenant, r.url, ['transactions.added']);
    const events = await ctx.fx.emit(tenant, 'transactions.added', txnData, 30);
    await until('started', () => r.received.length >= 2);

    await ctx.dispatcher.close();
    const leases = await ctx.sql.query(
      `SELECT count(*)::int AS n FROM webhook_endpoint_leases WHERE endpoint_id = $1`,
      [endpoint.id],
    );
    expect(leases.rows[0].n).toBe(0);
    const accepted = r.received.filter((x) => x.status === 200).length;
    expect(accepted).toBe(r.received.length); // the in-flight one was awaited, not cut off

    const started = Date.now();
    ctx.dispatcher = await startDispatcher(ctx.env, { WEBHOOK_LEASE: '30s' });
    await until('rest delivered', () => new Set(ids(r)).size === 30, 15_000);
    expect(Date.now() - started).toBeLessThan(10_000); // far less than the 30 s lease
    expect(ids(r)).toEqual(events); // released work keeps its place: still in order
  });
});
