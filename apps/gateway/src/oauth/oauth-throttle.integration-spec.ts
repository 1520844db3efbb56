import { startGateway, type GatewayUnderTest } from '../../test/gateway-harness.js';

/**
 * Failed client-credential attempts are throttled per client id and per source address, in Redis
 * (each gateway here has a REDIS_PREFIX of its own, so no test sees another's failures).
 */
interface Tenant {
  id: string;
  clientId: string;
  clientSecret: string;
}

async function createTenant(gw: GatewayUnderTest, name: string): Promise<Tenant> {
  const res = await gw.request('POST', '/admin/tenants', {
    token: gw.adminToken,
    body: { name, redirectUris: ['https://app.example.com/cb'] },
  });
  expect(res.status).toBe(201);
  return res.body;
}

const tokenRequest = (gw: GatewayUnderTest, clientId: string, clientSecret: string, from?: string) =>
  gw.request('POST', '/v1/oauth/token', {
    body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    headers: from ? { 'x-forwarded-for': from } : {},
  });

describe('POST /v1/oauth/token: failed attempts, from one address', () => {
  let gw: GatewayUnderTest;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    gw = await startGateway();
    a = await createTenant(gw, 'Client A');
    b = await createTenant(gw, 'Client B');
  });
  afterAll(() => gw.close());

  it('answers 429 with Retry-After after 10 wrong secrets for client A, while client B still gets a token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await tokenRequest(gw, a.clientId, `cs_wrong_${i}`)).status);
    expect(statuses).toEqual(Array(10).fill(401));

    for (let i = 0; i < 3; i++) {
      const throttled = await tokenRequest(gw, a.clientId, 'cs_wrong_again');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(throttled.headers.get('retry-after'))).toBeLessThanOrEqual(90);
      expect(throttled.body).toMatchObject({
        status: 429,
        code: 'rate_limited',
        type: 'https://ais-gateway.dev/problems/rate_limited',
        error: 'temporarily_unavailable',
        detail: expect.stringContaining('client_id'),
      });
    }
    // While A is throttled, its right secret is refused too: guessing gains nothing.
    expect((await tokenRequest(gw, a.clientId, a.clientSecret)).status).toBe(429);

    // B, from the same address, is not locked out by A's failures.
    const granted = await tokenRequest(gw, b.clientId, b.clientSecret);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    // And B's own wrong secret is an ordinary 401, not a 429.
    expect((await tokenRequest(gw, b.clientId, 'cs_typo')).status).toBe(401);
  });

  it('documents the 429 in the OpenAPI operation', async () => {
    const doc = await gw.request('GET', '/openapi.json');
    const responses = doc.body.paths['/v1/oauth/token'].post.responses;
    expect(responses['429'].description).toContain('client_id');
    expect(responses['429'].headers['Retry-After']).toBeDefined();
  });
});

describe('POST /v1/oauth/token: failed attempts, behind a proxy (TRUST_PROXY: the address from X-Forwarded-For)', () => {
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    gw = await startGateway({ TRUST_PROXY: 'true' });
  });
  afterAll(() => gw.close());

  it('throttles a client id from every address, and no other client id from another address', async () => {
    const a = await createTenant(gw, 'Guessed At');
    const b = await createTenant(gw, 'Bystander');
    for (let i = 0; i < 10; i++)
      expect((await tokenRequest(gw, a.clientId, 'cs_nope', '198.51.100.10')).status).toBe(401);
    expect((await tokenRequest(gw, a.clientId, 'cs_nope', '198.51.100.10')).status).toBe(429);
    // The client id is throttled wherever the next guess comes from...
    expect((await tokenRequest(gw, a.clientId, a.clientSecret, '198.51.100.11')).status).toBe(429);
    // ...and B is untouched, from another address or from the guesser's own.
    expect((await tokenRequest(gw, b.clientId, b.clientSecret, '198.51.100.11')).status).toBe(200);
    expect((await tokenRequest(gw, b.clientId, b.clientSecret, '198.51.100.10')).status).toBe(200);
  });

  it('refuses an address after 50 failures over any client ids (unknown ones too), and only that address', async () => {
    const c = await createTenant(gw, 'Behind The Sprayer');
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++)
      statuses.push((await tokenRequest(gw, `cli_made_up_${i}`, 'cs_x', '203.0.113.50')).status);
    expect(statuses).toEqual(Array(50).fill(401));
    const refused = await tokenRequest(gw, c.clientId, c.clientSecret, '203.0.113.50');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({ code: 'rate_limited', detail: expect.stringContaining('address') });
    expect((await tokenRequest(gw, c.clientId, c.clientSecret, '203.0.113.51')).status).toBe(200);
  });

  it('counts an IPv6 client by its /64', async () => {
    const d = await createTenant(gw, 'IPv6 Neighbour');
    for (let i = 0; i < 50; i++)
      await tokenRequest(gw, `cli_v6_${i}`, 'cs_x', `2001:db8:42:1::${(i + 1).toString(16)}`);
    expect((await tokenRequest(gw, d.clientId, d.clientSecret, '2001:db8:42:1::ffff')).status).toBe(429);
    expect((await tokenRequest(gw, d.clientId, d.clientSecret, '2001:db8:42:2::1')).status).toBe(200);
  });
});
