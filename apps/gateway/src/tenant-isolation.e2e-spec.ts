import pg from 'pg';
import { startStack, type RunningStack } from '@ais/testing';
import { DataFixtures } from '../test/data-fixtures.js';

/**
 * Walks every tenant endpoint that takes an object id (from the generated OpenAPI document, so new
 * routes are covered automatically) with another tenant's ids: each must answer 404 and write nothing.
 */
describe('tenant isolation', () => {
  let stack: RunningStack;
  const gw = {
    request: async (method: string, path: string, init: { token?: string; body?: unknown } = {}) => {
      const res = await fetch(`${stack.gatewayUrl}${path}`, {
        method,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    get adminToken() {
      return stack.adminToken;
    },
  };
  let fx: DataFixtures;
  let db: pg.Client;
  const ids: Record<string, string> = {};
  let intruderKey: string;

  const TABLES = [
    'consents',
    'accounts',
    'transactions',
    'balances',
    'webhook_endpoints',
    'webhook_deliveries',
    'events',
    'sync_runs',
    'authorisation_sessions',
    'account_resources',
    'audit_log',
    'idempotency_records',
  ];
  const snapshot = async () => {
    const out: Record<string, unknown> = {};
    for (const t of TABLES)
      out[t] = (
        await db.query(
          `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h, count(*)::int AS n FROM ${t} x`,
        )
      ).rows[0];
    return out;
  };

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'sync-worker', 'gateway'],
      label: 'isolation',
    });
    fx = new DataFixtures(stack.db.url);
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await fx.prisma.provider.create({
      data: {
        id: 'testbank',
        name: 'Test Bank',
        country: 'GB',
        standard: 'obie_3_1',
        profile: 'allstar',
        status: 'active',
        capabilities: { supportedPermissions: ['accounts'], accessWindow: { kind: 'rolling24h' } },
      },
    });
    const owner = (
      await gw.request('POST', '/admin/tenants', {
        token: gw.adminToken,
        body: { name: 'Owner', redirectUris: ['https://owner.example.com/cb'] },
      })
    ).body;
    intruderKey = (
      await gw.request('POST', '/admin/tenants', {
        token: gw.adminToken,
        body: { name: 'Intruder', redirectUris: ['https://owner.example.com/cb'] },
      })
    ).body.apiKey;

    const permissions = [
      'accounts',
      'balances',
      'transactions',
      'statements',
      'party',
      'beneficiaries',
      'standingOrders',
      'directDebits',
      'scheduledPayments',
    ];
    ids.consentId = await fx.consent(owner.id, 'testbank', permissions);
    ids.accountId = await fx.account(owner.id, ids.consentId, 'testbank', 'GBP', 'GB33BUKB20201555555555');
    await fx.write(owner.id, ids.consentId, ids.accountId, [
      { row: fx.row({ bookingDate: '2026-01-01', amount: '-1', currency: 'GBP' }), kind: 'added' },
    ]);
    ids.statementId = 'res_owner_statement';
    await db.query(
      `INSERT INTO account_resources (id, tenant_id, account_id, kind, external_id, data, synced_at) VALUES ($1, $2, $3, 'statement', 'st-1', '{}', now())`,
      [ids.statementId, owner.id, ids.accountId],
    );
    const webhook = await gw.request('POST', '/v1/webhooks', {
      token: owner.apiKey,
      body: { url: 'https://owner.example.com/hooks', events: ['consent.authorised'] },
    });
    expect(webhook.status).toBe(201);
    ids.webhookId = webhook.body.id;
    const event = await gw.request('POST', `/v1/webhooks/${ids.webhookId}/test`, { token: owner.apiKey });
    expect(event.status).toBeLessThan(300);
    const evt = (
      await db.query(`SELECT id, seq FROM events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`, [owner.id])
    ).rows[0];
    ids.eventId = evt.id;
    ids.deliveryId = 'whd_owner_delivery';
    await db.query(
      `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'failed', now(), now()) ON CONFLICT DO NOTHING`,
      [ids.deliveryId, owner.id, ids.webhookId, evt.id, evt.seq],
    );
    const existing = (
      await db.query(`SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 LIMIT 1`, [ids.webhookId])
    ).rows[0];
    ids.deliveryId = existing.id;
    ids.syncRunId = 'sr_owner_run';
    await db.query(
      `INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status) VALUES ($1, $2, $3, 'manual', 'succeeded')`,
      [ids.syncRunId, owner.id, ids.consentId],
    );
  });
  afterAll(async () => {
    await db?.end();
    await fx?.close();
    await stack?.stop();
  });

  it('answers 404 on every tenant route for another tenant’s ids, and writes nothing', async () => {
    const doc = (await gw.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/') && path.includes('{') && !path.startsWith('/v1/providers'))
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))
          .map((method) => ({ path, method: method.toUpperCase() })),
      );
    expect(routes.length).toBeGreaterThanOrEqual(20);

    const before = await snapshot();
    const leaks: string[] = [];
    for (const { path, method } of routes) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (!(name in ids))
          throw new Error(`no owner id for path parameter {${name}} in ${path}: add one to this test`);
        return ids[name];
      });
      const res = await gw.request(method, url, {
        token: intruderKey,
        ...(['POST', 'PATCH', 'PUT'].includes(method) ? { body: {} } : {}),
      });
      if (res.status !== 404) leaks.push(`${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    for (const query of [
      `/v1/transactions/sync?consentId=${ids.consentId}`,
      `/v1/transactions/sync?accountId=${ids.accountId}`,
    ]) {
      const res = await gw.request('GET', query, { token: intruderKey });
      if (res.status !== 404) leaks.push(`GET ${query} → ${res.status}`);
    }
    for (const list of ['/v1/consents', `/v1/accounts?consentId=${ids.consentId}`, '/v1/webhooks', '/v1/events']) {
      const res = await gw.request('GET', list, { token: intruderKey });
      if (res.status !== 200 || res.body.data.length !== 0)
        leaks.push(`GET ${list} → ${res.status} with ${res.body?.data?.length} items`);
    }
    expect(leaks).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
