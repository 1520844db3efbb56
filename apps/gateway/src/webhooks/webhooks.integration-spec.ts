import type pg from 'pg';
import { KeyRing } from '@ais/crypto';
import { newId } from '@ais/domain';
import { startGateway, type GatewayUnderTest } from '../../test/gateway-harness.js';
import { appendEvents, createTenant, sqlClient, txnData, type TestTenant } from './test/fixtures.js';

describe('gateway: webhook endpoints', () => {
  let gw: GatewayUnderTest;
  let sql: pg.Client;
  let acme: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    gw = await startGateway({
      // One loopback receiver port (its IPv6 spelling too): every other local port stays refused.
      WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1:9,[::1]:9',
      WEBHOOK_MAX_ENDPOINTS_PER_TENANT: '10',
    });
    sql = await sqlClient(gw.db.url);
    acme = await createTenant(gw, 'Acme');
    other = await createTenant(gw, 'Other');
  });
  afterAll(async () => {
    await sql.end();
    await gw.close();
  });

  const count = async (table: string, where = 'TRUE', params: unknown[] = []) =>
    Number((await sql.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n);
  const create = (tenant: TestTenant, body: Record<string, unknown>) =>
    gw.request('POST', '/v1/webhooks', { token: tenant.apiKey, body });

  /** Pretends the relay ran: one delivery per event for this endpoint. */
  async function insertDeliveries(tenantId: string, endpointId: string, eventIds: string[], status = 'pending') {
    let n = 0;
    for (const eventId of eventIds) {
      n++;
      await sql.query(
        `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, status, attempts, next_attempt_at, last_response_status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::text::"WebhookDeliveryStatus", $7, CASE WHEN $6::text = 'pending' THEN now() + interval '1 hour' END, $8, now(), now())`,
        [
          newId('webhookDelivery'),
          tenantId,
          endpointId,
          eventId,
          n,
          status,
          status === 'pending' ? 0 : 8,
          status === 'failed' ? 500 : 200,
        ],
      );
    }
  }

  it('creates an endpoint with a whsec_ secret shown once and stored sealed to the endpoint', async () => {
    const res = await create(acme, {
      url: 'https://hooks.example.com/ais',
      events: ['transactions.added', 'consent.revoked'],
      description: ' main ',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^we_/),
      url: 'https://hooks.example.com/ais',
      events: ['consent.revoked', 'transactions.added'],
      description: 'main',
      status: 'enabled',
      disabledReason: null,
      previousSecretExpiresAt: null,
    });
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(res.body.secret.slice(6), 'base64')).toHaveLength(32);

    const row = (await sql.query('SELECT * FROM webhook_endpoints WHERE id = $1', [res.body.id])).rows[0];
    expect(JSON.stringify(row)).not.toContain(res.body.secret.slice(6));
    const ring = gw.app.get(KeyRing);
    expect(ring.openText(row.secret_encrypted, res.body.id)).toBe(res.body.secret);
    expect(() => ring.openText(row.secret_encrypted, 'we_other')).toThrow(); // bound to its endpoint

    const again = await gw.request('GET', `/v1/webhooks/${res.body.id}`, { token: acme.apiKey });
    expect(again.status).toBe(200);
    expect(again.body).not.toHaveProperty('secret');
    expect(JSON.stringify(again.body)).not.toContain(res.body.secret);
    expect(await count('audit_log', "action = 'webhook.created' AND target_id = $1", [res.body.id])).toBe(1);

    const all = await create(acme, { url: 'https://hooks.example.com/all', events: ['sync.failed', '*'] });
    expect(all.body.events).toEqual(['*']);
  });

  it.each([
    [{ url: 'http://hooks.example.com/x', events: ['sync.completed'] }, 'url', 'must use https'],
    [{ url: 'https://10.0.0.8/x', events: ['sync.completed'] }, 'url', 'private'],
    [{ url: 'https://169.254.169.254/latest/meta-data', events: ['sync.completed'] }, 'url', 'metadata'],
    [{ url: 'https://[::1]:8443/x', events: ['sync.completed'] }, 'url', 'loopback'],
    [{ url: 'https://localhost/x', events: ['sync.completed'] }, 'url', 'localhost'],
    [{ url: 'https://127.0.0.2/x', events: ['sync.completed'] }, 'url', 'loopback'],
    [{ url: 'https://user:pw@hooks.example.com/x', events: ['sync.completed'] }, 'url', 'credentials'],
    [{ url: 'not a url', events: ['sync.completed'] }, 'url', 'absolute URL'],
    [{ url: 'https://hooks.example.com/x', events: [] }, 'events', 'should not be empty'],
    [{ url: 'https://hooks.example.com/x', events: ['transactions.deleted'] }, 'events', 'must be one of'],
    [{ url: 'https://hooks.example.com/x', events: ['sync.failed'], secret: 'whsec_mine' }, 'secret', 'unknown field'],
    [{ events: ['sync.failed'] }, 'url', 'url'],
  ])('refuses %j with 400 on %s, writing nothing', async (body, field, message) => {
    const before = await count('webhook_endpoints');
    const res = await create(acme, body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field, message: expect.stringContaining(message) })]),
    );
    expect(await count('webhook_endpoints')).toBe(before);
  });

  it('accepts plain http and private addresses only for targets in WEBHOOK_ALLOWED_PRIVATE_TARGETS', async () => {
    const res = await create(other, { url: 'http://127.0.0.1:9/hook', events: ['webhook.test'] });
    expect(res.status).toBe(201);
    expect((await create(other, { url: 'http://127.0.0.2:9/hook', events: ['webhook.test'] })).status).toBe(400);
  });

  it.each([
    ['http://127.0.0.1:6379/', 'port 6379 is not allowed'], // Redis
    ['http://127.0.0.1:5432/', 'port 5432 is not allowed'], // Postgres
    ['http://127.0.0.1/hook', 'port 80 is not allowed'], // no port: the scheme's
    ['https://127.0.0.1/hook', 'port 443 is not allowed'],
    ['http://2130706433:6379/', 'port 6379 is not allowed'],
    ['http://127.1:6379/', 'port 6379 is not allowed'],
    ['http://0x7f.0.0.1:6379/', 'port 6379 is not allowed'],
    ['http://[::ffff:127.0.0.1]:6379/', 'port 6379 is not allowed'],
    ['http://localhost:6379/', 'port 6379 is not allowed'],
    ['http://127.0.0.2:9/', '127.0.0.2 is a loopback address'],
  ])(
    'refuses %s, the allowed host on a port that is not allowed (or another host), writing nothing',
    async (url, why) => {
      const before = await count('webhook_endpoints');
      const res = await create(other, { url, events: ['webhook.test'] });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
      expect(res.body.errors).toEqual([{ field: 'url', message: expect.stringContaining(why) }]);
      expect(await count('webhook_endpoints')).toBe(before);
    },
  );

  it('refuses the gateway’s own admin routes as a target', async () => {
    const own = new URL(gw.baseUrl);
    const res = await create(other, { url: `http://127.0.0.1:${own.port}/admin/tenants`, events: ['webhook.test'] });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toContain(`port ${own.port} is not allowed`);
  });

  it.each([
    ['http://2130706433:9/hook', 'http://127.0.0.1:9/hook'],
    ['http://127.1:9/hook', 'http://127.0.0.1:9/hook'],
    ['http://0x7f.0.0.1:9/hook', 'http://127.0.0.1:9/hook'],
    ['http://[::ffff:127.0.0.1]:9/hook', 'http://[::ffff:7f00:1]:9/hook'],
    ['http://localhost:9/hook', 'http://localhost:9/hook'],
    ['http://[::1]:9/hook', 'http://[::1]:9/hook'],
  ])('accepts %s, an alias of the allowed 127.0.0.1:9, stored as %s', async (url, stored) => {
    const res = await create(other, { url, events: ['webhook.test'] });
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(stored);
    await gw.request('DELETE', `/v1/webhooks/${res.body.id}`, { token: other.apiKey });
  });

  it('applies the same rule when a URL is changed', async () => {
    const hook = (await create(other, { url: 'http://127.0.0.1:9/patch', events: ['webhook.test'] })).body;
    const patch = (url: string) =>
      gw.request('PATCH', `/v1/webhooks/${hook.id}`, { token: other.apiKey, body: { url } });
    const refused = await patch('http://2130706433:6379/');
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const moved = await patch('http://127.1:9/moved');
    expect(moved.status).toBe(200);
    expect(moved.body.url).toBe('http://127.0.0.1:9/moved');
    await gw.request('DELETE', `/v1/webhooks/${hook.id}`, { token: other.apiKey });
  });

  it('lists endpoints with a stable cursor and caps how many a tenant may have', async () => {
    const t = await createTenant(gw, 'Lister');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++)
      ids.push((await create(t, { url: `https://hooks.example.com/${i}`, events: ['*'] })).body.id);
    const capped = await create(t, { url: 'https://hooks.example.com/11', events: ['*'] });
    expect(capped.status).toBe(409);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await gw.request(
        'GET',
        `/v1/webhooks?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        { token: t.apiKey },
      );
      seen.push(...page.body.data.map((w) => w.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect((await gw.request('GET', '/v1/webhooks?cursor=garbage', { token: t.apiKey })).status).toBe(400);
  });

  it('updates url, events and description; disabling fails pending deliveries visibly, enabling clears the reason', async () => {
    const hook = (await create(acme, { url: 'https://hooks.example.com/patch', events: ['sync.completed'] })).body;
    const [eventId] = await appendEvents(gw, acme.id, 'sync.completed', () => ({
      consentId: 'cons_1',
      syncRunId: 'sr_1',
      trigger: 'manual',
      accounts: 1,
      transactionsAdded: 0,
      transactionsModified: 0,
      transactionsRemoved: 0,
      unavailable: [],
    }));
    await insertDeliveries(acme.id, hook.id, [eventId]);

    const patched = await gw.request('PATCH', `/v1/webhooks/${hook.id}`, {
      token: acme.apiKey,
      body: { url: 'https://hooks2.example.com/p', events: ['sync.failed', 'sync.completed'], description: 'x' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: 'https://hooks2.example.com/p',
      events: ['sync.completed', 'sync.failed'],
      description: 'x',
    });
    expect(
      (
        await gw.request('PATCH', `/v1/webhooks/${hook.id}`, {
          token: acme.apiKey,
          body: { url: 'https://192.168.1.1/' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await gw.request('PATCH', `/v1/webhooks/${hook.id}`, { token: acme.apiKey, body: { status: 'paused' } })).status,
    ).toBe(400);
    // null is not "left out" (it answered 500): a 400 naming the field, and nothing changes.
    for (const field of ['url', 'events', 'status']) {
      const res = await gw.request('PATCH', `/v1/webhooks/${hook.id}`, { token: acme.apiKey, body: { [field]: null } });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await gw.request('GET', `/v1/webhooks/${hook.id}`, { token: acme.apiKey })).body).toMatchObject({
      url: 'https://hooks2.example.com/p',
      description: 'x',
    });

    const disabled = await gw.request('PATCH', `/v1/webhooks/${hook.id}`, {
      token: acme.apiKey,
      body: { status: 'disabled', description: null },
    });
    expect(disabled.body).toMatchObject({
      status: 'disabled',
      disabledReason: 'disabled by the tenant',
      description: null,
      disabledAt: expect.any(String),
    });
    const log = await gw.request('GET', `/v1/webhooks/${hook.id}/deliveries`, { token: acme.apiKey });
    expect(log.body.data).toEqual([
      expect.objectContaining({
        eventId,
        status: 'failed',
        lastError: 'endpoint disabled: disabled by the tenant',
        nextAttemptAt: null,
      }),
    ]);
    expect((await gw.request('POST', `/v1/webhooks/${hook.id}/test`, { token: acme.apiKey })).status).toBe(409);

    const enabled = await gw.request('PATCH', `/v1/webhooks/${hook.id}`, {
      token: acme.apiKey,
      body: { status: 'enabled' },
    });
    expect(enabled.body).toMatchObject({
      status: 'enabled',
      disabledReason: null,
      disabledAt: null,
      failingSince: null,
    });
    expect(
      await count(
        'audit_log',
        "target_id = $1 AND action IN ('webhook.disabled', 'webhook.enabled', 'webhook.updated')",
        [hook.id],
      ),
    ).toBe(3);
  });

  it('rotates the secret: a new one shown once, the old one kept (sealed) for 24 hours', async () => {
    const hook = (await create(acme, { url: 'https://hooks.example.com/rotate', events: ['*'] })).body;
    const rotated = await gw.request('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { token: acme.apiKey });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    const expiresIn = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(23.9 * 3_600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3_600_000);
    const row = (
      await sql.query('SELECT secret_encrypted, previous_secret_encrypted FROM webhook_endpoints WHERE id = $1', [
        hook.id,
      ])
    ).rows[0];
    const ring = gw.app.get(KeyRing);
    expect(ring.openText(row.secret_encrypted, hook.id)).toBe(rotated.body.secret);
    expect(ring.openText(row.previous_secret_encrypted, hook.id)).toBe(hook.secret);
    expect(
      (await gw.request('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { token: acme.apiKey, body: { x: 1 } }))
        .status,
    ).toBe(400);
    expect(await count('audit_log', "action = 'webhook.secret_rotated' AND target_id = $1", [hook.id])).toBe(1);
  });

  it('sends webhook.test as an event of the log, addressed to the endpoint', async () => {
    const hook = (await create(acme, { url: 'https://hooks.example.com/test', events: ['transactions.added'] })).body;
    const res = await gw.request('POST', `/v1/webhooks/${hook.id}/test`, { token: acme.apiKey });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'webhook.test',
      data: { webhookId: hook.id, message: expect.any(String) },
    });
    const event = await gw.request('GET', `/v1/events/${res.body.id}`, { token: acme.apiKey });
    expect(event.body).toEqual(res.body);
    // The log lists an event once every older transaction of the database has ended (its read
    // horizon): under load (other tests' databases on the cluster) that can take a moment.
    let ids: string[] = [];
    for (const until = Date.now() + 10_000; !ids.includes(res.body.id) && Date.now() < until;) {
      const log = await gw.request('GET', '/v1/events?type=webhook.test', { token: acme.apiKey });
      ids = log.body.data.map((e: { id: string }) => e.id);
      if (!ids.includes(res.body.id)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toContain(res.body.id);
  });

  it('keeps a delivery log with a cursor and status filter, per-attempt detail, and manual retry', async () => {
    const hook = (await create(acme, { url: 'https://hooks.example.com/log', events: ['transactions.added'] })).body;
    const eventIds = await appendEvents(gw, acme.id, 'transactions.added', txnData, 5);
    await insertDeliveries(acme.id, hook.id, eventIds.slice(0, 3), 'failed');
    await insertDeliveries(acme.id, hook.id, eventIds.slice(3), 'succeeded');
    const failedId = (await sql.query('SELECT id FROM webhook_deliveries WHERE event_id = $1', [eventIds[0]])).rows[0]
      .id;
    await sql.query(
      `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, latency_ms, response_status, error) VALUES ($1, 1, now(), 12, 500, NULL), ($1, 2, now(), 15000, NULL, 'timed out after 15000 ms')`,
      [failedId],
    );

    const page1 = await gw.request('GET', `/v1/webhooks/${hook.id}/deliveries?limit=2`, { token: acme.apiKey });
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((d: { eventId: string }) => d.eventId)).toEqual([eventIds[4], eventIds[3]]);
    expect(page1.body.data[0]).toMatchObject({
      webhookId: hook.id,
      eventType: 'transactions.added',
      status: 'succeeded',
      attempts: 8,
      lastResponseStatus: 200,
    });
    const rest = await gw.request('GET', `/v1/webhooks/${hook.id}/deliveries?limit=5&cursor=${page1.body.nextCursor}`, {
      token: acme.apiKey,
    });
    expect(rest.body.data.map((d: { eventId: string }) => d.eventId)).toEqual([eventIds[2], eventIds[1], eventIds[0]]);
    const failed = await gw.request('GET', `/v1/webhooks/${hook.id}/deliveries?status=failed`, { token: acme.apiKey });
    expect(failed.body.data).toHaveLength(3);

    const detail = await gw.request('GET', `/v1/webhooks/${hook.id}/deliveries/${failedId}`, { token: acme.apiKey });
    expect(detail.body.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, responseStatus: 500, latencyMs: 12, error: null }),
      expect.objectContaining({ attempt: 2, responseStatus: null, error: 'timed out after 15000 ms' }),
    ]);

    const retried = await gw.request('POST', `/v1/webhooks/${hook.id}/deliveries/${failedId}/retry`, {
      token: acme.apiKey,
    });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: failedId, status: 'pending', nextAttemptAt: expect.any(String) });
    expect(
      (await sql.query('SELECT manual_retry FROM webhook_deliveries WHERE id = $1', [failedId])).rows[0].manual_retry,
    ).toBe(true);

    // Retrying one that is waiting for its next attempt brings it forward; it stays automatic.
    await sql.query(
      `UPDATE webhook_deliveries SET status = 'pending', manual_retry = false, attempts = 2, next_attempt_at = now() + interval '1 hour' WHERE id = $1`,
      [failedId],
    );
    const forward = await gw.request('POST', `/v1/webhooks/${hook.id}/deliveries/${failedId}/retry`, {
      token: acme.apiKey,
    });
    expect(Date.parse(forward.body.nextAttemptAt)).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(
      (await sql.query('SELECT manual_retry FROM webhook_deliveries WHERE id = $1', [failedId])).rows[0].manual_retry,
    ).toBe(false);
    expect(
      (await gw.request('POST', `/v1/webhooks/${hook.id}/deliveries/whd_nope/retry`, { token: acme.apiKey })).status,
    ).toBe(404);
  });

  it('shows operators deliveries across tenants by status, behind the admin token', async () => {
    const res = await gw.request('GET', '/admin/webhooks/deliveries?status=failed&limit=2', { token: gw.adminToken });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(2);
    expect(
      res.body.data.every((d: { status: string; tenantId: string }) => d.status === 'failed' && d.tenantId === acme.id),
    ).toBe(true);
    const next = await gw.request(
      'GET',
      `/admin/webhooks/deliveries?status=failed&limit=2&cursor=${res.body.nextCursor}`,
      { token: gw.adminToken },
    );
    expect(next.body.data.map((d: { id: string }) => d.id)).not.toContain(res.body.data[0].id);
    expect((await gw.request('GET', '/admin/webhooks/deliveries', { token: acme.apiKey })).status).toBe(401);
    expect((await gw.request('GET', '/admin/webhooks/deliveries?status=lost', { token: gw.adminToken })).status).toBe(
      400,
    );
  });

  it('answers 404 to another tenant on every webhook route and changes nothing', async () => {
    const hook = (await create(acme, { url: 'https://hooks.example.com/isolated', events: ['transactions.added'] }))
      .body;
    const [eventId] = await appendEvents(gw, acme.id, 'transactions.added', txnData);
    await insertDeliveries(acme.id, hook.id, [eventId], 'failed');
    const deliveryId = (await sql.query('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1', [hook.id])).rows[0]
      .id;
    const snapshot = async () => ({
      endpoint: (await sql.query('SELECT * FROM webhook_endpoints WHERE id = $1', [hook.id])).rows,
      deliveries: (await sql.query('SELECT * FROM webhook_deliveries WHERE endpoint_id = $1', [hook.id])).rows,
      events: await count('events'),
      audit: await count('audit_log'),
    });
    const before = await snapshot();
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/webhooks/${hook.id}`],
      ['PATCH', `/v1/webhooks/${hook.id}`, { url: 'https://evil.example.com/', status: 'disabled' }],
      ['DELETE', `/v1/webhooks/${hook.id}`],
      ['POST', `/v1/webhooks/${hook.id}/rotate-secret`],
      ['POST', `/v1/webhooks/${hook.id}/test`],
      ['GET', `/v1/webhooks/${hook.id}/deliveries`],
      ['GET', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}`],
      ['POST', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}/retry`],
      ['GET', `/v1/events/${eventId}`],
      ['GET', `/v1/events?after=${eventId}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await gw.request(method, path, { token: other.apiKey, body });
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'not_found']);
    }
    const list = await gw.request('GET', '/v1/webhooks', { token: other.apiKey });
    expect(list.body.data.map((w: { id: string }) => w.id)).not.toContain(hook.id);
    // Another tenant's delivery under one's own endpoint id is not found either.
    const own = (await create(other, { url: 'https://hooks.example.com/mine', events: ['*'] })).body;
    expect(
      (await gw.request('GET', `/v1/webhooks/${own.id}/deliveries/${deliveryId}`, { token: other.apiKey })).status,
    ).toBe(404);
    expect(
      (await gw.request('POST', `/v1/webhooks/${own.id}/deliveries/${deliveryId}/retry`, { token: other.apiKey }))
        .status,
    ).toBe(404);
    const after = await snapshot();
    expect({ ...after, audit: after.audit - 1 }).toEqual(before); // the one audit entry is `other` creating its own endpoint
  });

  it('deletes an endpoint with its delivery log', async () => {
    const hook = (await create(acme, { url: 'https://hooks.example.com/gone', events: ['transactions.added'] })).body;
    const [eventId] = await appendEvents(gw, acme.id, 'transactions.added', txnData);
    await insertDeliveries(acme.id, hook.id, [eventId], 'succeeded');
    expect((await gw.request('DELETE', `/v1/webhooks/${hook.id}`, { token: acme.apiKey })).status).toBe(204);
    expect((await gw.request('GET', `/v1/webhooks/${hook.id}`, { token: acme.apiKey })).status).toBe(404);
    expect(await count('webhook_deliveries', 'endpoint_id = $1', [hook.id])).toBe(0);
    expect((await gw.request('DELETE', `/v1/webhooks/${hook.id}`, { token: acme.apiKey })).status).toBe(404);
  });

  it('documents a JSON schema per event type and the webhook contract in the OpenAPI document', async () => {
    const doc = (await gw.request('GET', '/openapi.json')).body;
    for (const name of [
      'TransactionsAddedEvent',
      'ConsentAuthorisedEvent',
      'SyncFailedEvent',
      'WebhookTestEvent',
      'TransactionsChangedData',
    ]) {
      expect(doc.components.schemas).toHaveProperty(name);
    }
    expect(doc.components.schemas.TransactionsAddedEvent.properties.type.enum).toEqual(['transactions.added']);
    expect(doc.paths['/v1/webhooks'].post.description).toContain('webhook-signature');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhooks/{webhookId}/deliveries/{deliveryId}/retry',
        '/v1/events',
        '/admin/webhooks/deliveries',
      ]),
    );
  });
});
