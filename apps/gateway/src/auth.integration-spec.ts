import pg from 'pg';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startGateway, type GatewayUnderTest } from '../test/gateway-harness.js';

describe('gateway: tenants, credentials and auth', () => {
  let gw: GatewayUnderTest;
  let db: pg.Client;
  const admin = () => gw.adminToken;

  beforeAll(async () => {
    gw = await startGateway();
    db = new pg.Client({ connectionString: gw.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await gw.close();
  });

  const count = async (table: string) => Number((await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

  async function createTenant(name: string, extra: Record<string, unknown> = {}) {
    const res = await gw.request('POST', '/admin/tenants', {
      token: admin(),
      body: { name, redirectUris: ['https://app.example.com/cb'], ...extra },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  it('creates a tenant whose API key works, shown once and stored only as a hash', async () => {
    const tenant = await createTenant('Acme');
    expect(tenant.apiKey).toMatch(/^sk_/);
    expect(tenant.clientSecret).toMatch(/^cs_/);
    const res = await gw.request('GET', '/v1/providers', { token: tenant.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: expect.any(Array), nextCursor: null });
    const stored = await db.query('SELECT secret_hash, public_id FROM credentials WHERE tenant_id = $1', [tenant.id]);
    for (const row of stored.rows) {
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(tenant.apiKey);
      expect(JSON.stringify(row)).not.toContain(tenant.clientSecret);
    }
    const again = await gw.request('GET', `/admin/tenants/${tenant.id}`, { token: admin() });
    expect(again.body).not.toHaveProperty('apiKey');
    expect(
      JSON.stringify(await gw.request('GET', `/admin/tenants/${tenant.id}/credentials`, { token: admin() })),
    ).not.toContain(tenant.apiKey);
  });

  it('issues a short-lived JWT for client credentials (form, JSON or Basic) that authenticates', async () => {
    const tenant = await createTenant('Tokens Ltd');
    const form = await fetch(`${gw.baseUrl}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: tenant.clientId,
        client_secret: tenant.clientSecret,
      }),
    });
    expect(form.status).toBe(200);
    expect(form.headers.get('cache-control')).toBe('no-store');
    const token = (await form.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token.token_type).toBe('Bearer');
    expect(token.expires_in).toBe(900);
    expect(decodeJwt(token.access_token)).toMatchObject({ sub: tenant.id, client_id: tenant.clientId });

    const jwks = await gw.request('GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(decodeProtectedHeader(token.access_token).kid);
    expect(JSON.stringify(jwks.body)).not.toMatch(/"d":/); // public halves only

    expect((await gw.request('GET', '/v1/providers', { token: token.access_token })).status).toBe(200);

    const basic = await gw.request('POST', '/v1/oauth/token', {
      headers: {
        authorization: `Basic ${Buffer.from(`${tenant.clientId}:${tenant.clientSecret}`).toString('base64')}`,
      },
      body: { grant_type: 'client_credentials' },
    });
    expect(basic.status).toBe(200);

    const wrong = await gw.request('POST', '/v1/oauth/token', {
      body: { grant_type: 'client_credentials', client_id: tenant.clientId, client_secret: 'cs_wrong' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client', code: 'unauthorized' });
    const grant = await gw.request('POST', '/v1/oauth/token', { body: { grant_type: 'password' } });
    expect(grant.body).toMatchObject({ status: 400, error: 'unsupported_grant_type' });
  });

  it('rejects missing, malformed and tampered credentials with 401 problems', async () => {
    const tenant = await createTenant('Strict');
    for (const token of [
      undefined,
      'sk_notarealkey_notarealkey_notarealkey',
      'not-a-token',
      tenant.apiKey.slice(0, -2) + (tenant.apiKey.endsWith('xx') ? 'yy' : 'xx'),
    ]) {
      const res = await gw.request('GET', '/v1/providers', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('unauthorized');
    }
    const issued = await gw.request('POST', '/v1/oauth/token', {
      body: { grant_type: 'client_credentials', client_id: tenant.clientId, client_secret: tenant.clientSecret },
    });
    const [h, p, s] = issued.body.access_token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload.sub = 'ten_someone_else';
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    expect((await gw.request('GET', '/v1/providers', { token: forged })).status).toBe(401);
  });

  it('answers 403 tenant_suspended for a suspended tenant, for API keys and tokens alike, and audits it', async () => {
    const tenant = await createTenant('Suspend Me');
    const token = (
      await gw.request('POST', '/v1/oauth/token', {
        body: { grant_type: 'client_credentials', client_id: tenant.clientId, client_secret: tenant.clientSecret },
      })
    ).body.access_token;
    const patch = await gw.request('PATCH', `/admin/tenants/${tenant.id}`, {
      token: admin(),
      body: { status: 'suspended' },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.status).toBe('suspended');
    for (const credential of [tenant.apiKey, token]) {
      const res = await gw.request('GET', '/v1/providers', { token: credential });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('tenant_suspended');
    }
    const audit = await db.query(`SELECT action FROM audit_log WHERE tenant_id = $1 ORDER BY id`, [tenant.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['tenant.created', 'tenant.suspended']);
    await gw.request('PATCH', `/admin/tenants/${tenant.id}`, { token: admin(), body: { status: 'active' } });
    expect((await gw.request('GET', '/v1/providers', { token: tenant.apiKey })).status).toBe(200);
  });

  it('rotates and revokes credentials: rotated keys stop after the grace period, revoked ones at once', async () => {
    const tenant = await createTenant('Rotator');
    const rotated = await gw.request('POST', `/admin/tenants/${tenant.id}/credentials`, {
      token: admin(),
      body: { kind: 'api_key', rotates: tenant.apiKeyId },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.apiKey).toMatch(/^sk_/);
    expect((await gw.request('GET', '/v1/providers', { token: tenant.apiKey })).status).toBe(401);
    expect((await gw.request('GET', '/v1/providers', { token: rotated.body.apiKey })).status).toBe(200);

    const graceful = await gw.request('POST', `/admin/tenants/${tenant.id}/credentials`, {
      token: admin(),
      body: { kind: 'api_key', rotates: rotated.body.id, gracePeriodSeconds: 3600 },
    });
    expect((await gw.request('GET', '/v1/providers', { token: rotated.body.apiKey })).status).toBe(200);
    expect((await gw.request('GET', '/v1/providers', { token: graceful.body.apiKey })).status).toBe(200);

    const revoke = await gw.request('DELETE', `/admin/tenants/${tenant.id}/credentials/${graceful.body.id}`, {
      token: admin(),
    });
    expect(revoke.status).toBe(204);
    expect((await gw.request('GET', '/v1/providers', { token: graceful.body.apiKey })).status).toBe(401);

    const tokenBefore = (
      await gw.request('POST', '/v1/oauth/token', {
        body: { grant_type: 'client_credentials', client_id: tenant.clientId, client_secret: tenant.clientSecret },
      })
    ).body.access_token;
    await gw.request('DELETE', `/admin/tenants/${tenant.id}/credentials/${tenant.oauthClientCredentialId}`, {
      token: admin(),
    });
    expect((await gw.request('GET', '/v1/providers', { token: tokenBefore })).status).toBe(401); // JWTs of a revoked client stop at once
    const actions = (
      await db.query(`SELECT action FROM audit_log WHERE tenant_id = $1 ORDER BY id`, [tenant.id])
    ).rows.map((r) => r.action);
    expect(actions).toEqual([
      'tenant.created',
      'credential.rotated',
      'credential.rotated',
      'credential.revoked',
      'credential.revoked',
    ]);
  });

  it('answers bad bodies with 400 and a message per field, writing nothing', async () => {
    const before = {
      tenants: await count('tenants'),
      audit: await count('audit_log'),
      credentials: await count('credentials'),
    };
    const cases: Array<{ body?: unknown; raw?: string; fields?: string[]; code: string }> = [
      {
        body: { name: '', redirectUris: ['http://evil.example.com/cb', 'not a url'], rateLimitPerMinute: 0, extra: 1 },
        fields: ['name', 'redirectUris', 'rateLimitPerMinute', 'extra'],
        code: 'validation_failed',
      },
      {
        body: { name: 'x', redirectUris: ['https://a.example.com/cb#frag'] },
        fields: ['redirectUris'],
        code: 'validation_failed',
      },
      { raw: '{"name": "broken', code: 'malformed_body' },
      { raw: '[]', code: 'validation_failed' },
    ];
    for (const c of cases) {
      const res = await gw.request(
        'POST',
        '/admin/tenants',
        c.raw !== undefined
          ? { token: admin(), rawBody: c.raw, headers: { 'content-type': 'application/json' } }
          : { token: admin(), body: c.body },
      );
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(c.code);
      if (c.fields)
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(c.fields));
    }
    const patch = await gw.request('PATCH', '/admin/tenants/ten_missing', { token: admin(), body: { status: 'gone' } });
    expect(patch.status).toBe(400);
    // null is a value, not an absence: a 400 naming the field (it reached Prisma and answered 500).
    const nulled = await gw.request('PATCH', '/admin/tenants/ten_missing', {
      token: admin(),
      body: { rateLimitPerMinute: null },
    });
    expect(nulled.status).toBe(400);
    expect(new Set(nulled.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['rateLimitPerMinute']));
    expect({
      tenants: await count('tenants'),
      audit: await count('audit_log'),
      credentials: await count('credentials'),
    }).toEqual(before);
  });

  it('answers a JSON body nested 10,000 deep with a 400 problem, writing nothing (validation overflowed the stack: 500)', async () => {
    const tenant = await createTenant('Deep');
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const before = { tenants: await count('tenants'), webhooks: await count('webhook_endpoints') };
    for (const [method, path, token, raw] of [
      ['POST', '/admin/tenants', admin(), `{"name":"Deep","redirectUris":${deep}}`],
      ['PATCH', `/admin/tenants/${tenant.id}`, admin(), `{"redirectUris":${deep}}`],
      ['POST', '/v1/webhooks', tenant.apiKey, `{"url":"https://hooks.example.com/x","events":${deep}}`],
      ['POST', '/v1/consents', tenant.apiKey, `{"providerId":"allstar","metadata":{"a":${deep}}}`],
    ] as const) {
      const res = await gw.request(method, path, {
        token,
        rawBody: raw,
        headers: { 'content-type': 'application/json', 'idempotency-key': `deep-${method}-${path}` },
      });
      expect([method, path, res.status]).toEqual([method, path, 400]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 400, code: 'body_too_deep' });
    }
    expect({ tenants: await count('tenants'), webhooks: await count('webhook_endpoints') }).toEqual(before);
    // A body of ordinary depth on the same operations is parsed as before.
    const patched = await gw.request('PATCH', `/admin/tenants/${tenant.id}`, {
      token: admin(),
      body: { rateLimitPerMinute: 77 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.rateLimitPerMinute).toBe(77);
  });

  it('protects admin endpoints with the admin token', async () => {
    const tenant = await createTenant('Not Admin');
    expect((await gw.request('GET', '/admin/tenants')).status).toBe(401);
    expect((await gw.request('GET', '/admin/tenants', { token: tenant.apiKey })).status).toBe(401);
    expect((await gw.request('GET', '/admin/tenants/ten_nope', { token: admin() })).status).toBe(404);
  });

  it('replays a POST with the same Idempotency-Key and body; refuses the key with another body', async () => {
    const key = `idem-${Date.now()}`;
    const first = await gw.request('POST', '/admin/tenants', {
      token: admin(),
      headers: { 'idempotency-key': key },
      body: { name: 'Once', redirectUris: [] },
    });
    const second = await gw.request('POST', '/admin/tenants', {
      token: admin(),
      headers: { 'idempotency-key': key },
      body: { redirectUris: [], name: 'Once' },
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect((await db.query(`SELECT count(*)::int AS n FROM tenants WHERE name = 'Once'`)).rows[0].n).toBe(1);
    // The stored response holds the tenant's secrets: never in plaintext.
    const stored = await db.query('SELECT response_body FROM idempotency_records WHERE key = $1', [key]);
    expect(stored.rows[0].response_body).toMatch(/^v1\./);
    expect(stored.rows[0].response_body).not.toContain(first.body.apiKey);
    expect(stored.rows[0].response_body).not.toContain(first.body.clientSecret);
    const conflict = await gw.request('POST', '/admin/tenants', {
      token: admin(),
      headers: { 'idempotency-key': key },
      body: { name: 'Twice', redirectUris: [] },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('idempotency_conflict');
  });

  it('rate-limits per tenant with 429 and Retry-After, without slowing other tenants', async () => {
    const slow = await createTenant('Limited', { rateLimitPerMinute: 3 });
    const other = await createTenant('Unaffected', { rateLimitPerMinute: 3 });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await gw.request('GET', '/v1/providers', { token: slow.apiKey })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await gw.request('GET', '/v1/providers', { token: slow.apiKey });
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect((await gw.request('GET', '/v1/providers', { token: other.apiKey })).status).toBe(200);
  });

  it('carries x-request-id on every response and lists tenants with a stable cursor', async () => {
    const res = await gw.request('GET', '/admin/tenants?limit=2', {
      token: admin(),
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await gw.request(
        'GET',
        `/admin/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: admin() },
      );
      for (const t of page.body.data) {
        expect(seen.has(t.id)).toBe(false);
        seen.add(t.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(await count('tenants'));
    expect((await gw.request('GET', '/admin/tenants?cursor=garbage', { token: admin() })).body.errors[0].field).toBe(
      'cursor',
    );
  });

  it('serves its OpenAPI document and the docs UI', async () => {
    const doc = await gw.request('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/oauth/token', '/v1/providers', '/admin/tenants']),
    );
    expect((await fetch(`${gw.baseUrl}/docs`)).status).toBe(200);
  });
});
