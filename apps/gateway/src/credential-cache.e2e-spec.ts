import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTenant, freePort, startStack, until, type RunningStack } from '@ais/testing';

/**
 * Credentials are cached for a moment on each gateway instance (a tenant's burst costs one lookup),
 * yet revocation, rotation and suspension take effect within a second on every instance: black box,
 * two gateway processes on one database and Redis, the change made through one, requests sent to the
 * other from the moment the change is answered.
 */
describe('credential cache: revocation and suspension reach every gateway instance within a second', () => {
  let stack: RunningStack;
  let second: ChildProcess;
  let secondUrl: string;

  const admin = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${stack.gatewayUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${stack.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const status = async (base: string, bearer: string) =>
    (await fetch(`${base}/v1/providers/allstar`, { headers: { authorization: `Bearer ${bearer}` } })).status;
  /** Polls the other instance until `bearer` is refused; answers how long that took after `since`. */
  const refusedAfter = async (bearer: string, since: number, expected: number) => {
    for (;;) {
      const answer = await status(secondUrl, bearer);
      if (answer === expected) return performance.now() - since;
      expect(answer).toBe(200);
      if (performance.now() - since > 5_000) throw new Error('still accepted 5 s after the change');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const tenantWithKey = (name: string) => createTenant(stack, { name, redirectUris: ['https://app.example/cb'] });
  /** Warms both instances' caches with this credential (and proves it works on both). */
  const warm = async (bearer: string) => {
    for (let i = 0; i < 5; i++) {
      expect(await status(stack.gatewayUrl, bearer)).toBe(200);
      expect(await status(secondUrl, bearer)).toBe(200);
    }
  };

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'credcache',
    });
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    second = spawn(process.execPath, [path.join(process.cwd(), 'dist/apps/gateway/src/main.js')], {
      env: { ...stack.env, GATEWAY_PORT: String(port) },
      stdio: 'ignore',
    });
    await until(
      'the second gateway instance is ready',
      async () => (await fetch(`${secondUrl}/health/ready`).catch(() => null))?.status === 200,
      60_000,
      250,
    );
  }, 120_000);
  afterAll(async () => {
    second?.kill('SIGTERM');
    await stack?.stop();
  });

  it('stops a revoked API key on the other instance within a second', async () => {
    const created = await tenantWithKey('Revoked key');
    await warm(created.apiKey);
    const revoked = await admin('DELETE', `/admin/tenants/${created.id}/credentials/${created.apiKeyId}`);
    expect(revoked.status).toBe(204);
    const since = performance.now();
    // The instance that made the change refuses at once; the other within a second.
    expect(await status(stack.gatewayUrl, created.apiKey)).toBe(401);
    expect(await refusedAfter(created.apiKey, since, 401)).toBeLessThan(1_000);
  });

  it('stops a suspended tenant’s API key and OAuth access token on the other instance within a second', async () => {
    const created = await tenantWithKey('Suspended');
    const token = await fetch(`${secondUrl}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: created.clientId,
        client_secret: created.clientSecret,
      }),
    });
    expect(token.status).toBe(200);
    const accessToken = ((await token.json()) as { access_token: string }).access_token;
    await warm(created.apiKey);
    await warm(accessToken);
    expect((await admin('PATCH', `/admin/tenants/${created.id}`, { status: 'suspended' })).status).toBe(200);
    const since = performance.now();
    expect(await status(stack.gatewayUrl, created.apiKey)).toBe(403);
    expect(await refusedAfter(created.apiKey, since, 403)).toBeLessThan(1_000);
    expect(await refusedAfter(accessToken, since, 403)).toBeLessThan(1_000);
  });
});
