import pg from 'pg';
import type { Browser } from 'playwright-core';
import { loadConfig, redisSection, rpcSection } from '@ais/config';
import { createRpcClient, type RpcClient } from '@ais/rpc';
import { launchChromium, startStack, until, type RunningStack } from '@ais/testing';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { actAsPsu, type SandboxPsu } from '../test/psu.js';

/**
 * The token vault refreshes an expiring bank token before handing it out, once, however many ask;
 * a token shorter-lived than the refresh margin is refreshed in the second half of its life.
 */
describe('bank token refresh', () => {
  let stack: RunningStack;
  let browser: Browser;
  let receiver: Receiver;
  let db: pg.Client;
  let rpc: RpcClient;
  let config: ReturnType<typeof loadRpcConfig>;
  const loadRpcConfig = (env: Record<string, string>) => loadConfig({ rpc: rpcSection, redis: redisSection }, env);

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'refresh',
    });
    receiver = await startReceiver();
    browser = await launchChromium();
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await until(
      'sandbox banks onboarded',
      async () => (await db.query('SELECT 1 FROM provider_registrations')).rowCount! >= 3,
      30_000,
      250,
    );
    config = loadRpcConfig(stack.env);
    rpc = createRpcClient('consent-service', config.rpc, config.redis);
  });
  afterAll(async () => {
    await rpc?.close();
    await db?.end();
    await browser?.close();
    await receiver?.close();
    await stack?.stop();
  });

  it('refreshes an expiring token once under concurrent use, and every caller gets the fresh one', async () => {
    // The bank issues access tokens that live 4 seconds (well inside the vault's 120 s refresh margin).
    await fetch(`${stack.sandboxUrl}/allstar/sandbox/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tokenLifetimeSeconds: 4 }),
    });
    const tenant: any = await (
      await fetch(`${stack.gatewayUrl}/admin/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Refresh', redirectUris: [receiver.url] }),
      })
    ).json();
    const created: any = await (
      await fetch(`${stack.gatewayUrl}/v1/consents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ providerId: 'allstar', redirectUri: receiver.url }),
      })
    ).json();
    const psus: any = await (await fetch(`${stack.sandboxUrl}/allstar/sandbox/psus`)).json();
    const carol = (Array.isArray(psus) ? psus : psus.psus).find((p: SandboxPsu) => p.username === 'carol');
    await actAsPsu(browser, created.authorisationUrl, carol, 'approve');
    expect((await receiver.next()).get('status')).toBe('authorised');
    const before = (
      await db.query('SELECT version, ciphertext FROM consent_token_sets WHERE consent_id = $1', [created.id])
    ).rows[0];
    await new Promise((r) => setTimeout(r, 4_500)); // the first access token has expired at the bank

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => rpc.send('consent-service.getAccessToken', { consentId: created.id })),
    );
    expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
    const after = (
      await db.query('SELECT version, ciphertext FROM consent_token_sets WHERE consent_id = $1', [created.id])
    ).rows[0];
    expect(after.version).toBe(before.version + 1); // exactly one refresh
    expect(after.ciphertext).not.toBe(before.ciphertext);
    expect(after.ciphertext).not.toContain(answers[0].accessToken);
    const refreshedAt = Date.now();

    // Shorter than the margin, a token is refreshed in the second half of its life, not on every use.
    const again = await rpc.send('consent-service.getAccessToken', { consentId: created.id });
    expect(again.accessToken).toBe(answers[0].accessToken);
    await new Promise((r) => setTimeout(r, Math.max(0, refreshedAt + 2_500 - Date.now())));
    const later = await rpc.send('consent-service.getAccessToken', { consentId: created.id });
    expect(later.accessToken).not.toBe(answers[0].accessToken);
    expect(
      (await db.query('SELECT version FROM consent_token_sets WHERE consent_id = $1', [created.id])).rows[0].version,
    ).toBe(before.version + 2);

    // The vault's tokens work at the bank (certificate-bound: only the connector-service can use them).
    const connector = createRpcClient('connector-service', config.rpc, config.redis);
    try {
      const { accounts } = await connector.send('connector.listAccounts', {
        providerId: 'allstar',
        context: { consentId: created.id, frequencyPerDay: 4, psu: { ipAddress: '203.0.113.1' } },
      });
      expect(accounts.length).toBeGreaterThan(0);
    } finally {
      await connector.close();
    }
  });
});
