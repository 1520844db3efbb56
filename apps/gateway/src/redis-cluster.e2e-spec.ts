import type { Browser } from 'playwright-core';
import {
  TestReceiver,
  launchChromium,
  startRedisCluster,
  startStack,
  until,
  verifyStandardWebhook,
  type LocalRedisCluster,
  type RunningStack,
} from '@ais/testing';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { actAsPsu, type SandboxPsu } from '../test/psu.js';

/**
 * Every app on a real Redis Cluster (3 masters, ports of its own): the consent, its first sync through the
 * BullMQ queues, the rate limiter, locks, circuit and throttle state, and a signed webhook, with nothing
 * of this stack in the standalone Redis. A queue's keys share one hash slot (BullMQ's scripts need it);
 * different families spread over the masters.
 */
describe('on a Redis Cluster: authorise, sync, read, be told', () => {
  let cluster: LocalRedisCluster;
  let stack: RunningStack;
  let browser: Browser;
  let redirects: Receiver;
  const hooks = new TestReceiver();
  let apiKey: string;
  let webhookSecret: string;

  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${apiKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    stack = await startStack({
      label: 'rcluster',
      env: { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', SANDBOX_CLOCK_SCALE: '0.000001' },
    });
    browser = await launchChromium();
    redirects = await startReceiver();
    await hooks.start(stack.webhookReceiverPort); // the port the stack's allow-list names
    const tenant = await fetch(`${stack.gatewayUrl}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'On a cluster', redirectUris: [redirects.url] }),
    });
    apiKey = ((await tenant.json()) as { apiKey: string }).apiKey;
    const webhook = await api('/v1/webhooks', {
      method: 'POST',
      body: { url: `${hooks.url}/hooks`, events: ['transactions.added', 'sync.completed'] },
    });
    expect(webhook.status).toBe(201);
    webhookSecret = webhook.body.secret;
  });
  afterAll(async () => {
    await browser?.close();
    await redirects?.close();
    await hooks.stop();
    await stack?.stop();
    await cluster?.stop();
  });

  it('runs a consent, its sync and a webhook delivery through the cluster', async () => {
    const created = await api('/v1/consents', {
      method: 'POST',
      body: { providerId: 'allstar', redirectUri: redirects.url, psuIpAddress: '203.0.113.9' },
    });
    expect(created.status).toBe(201);
    const psus = (await (await fetch(`${stack.sandboxUrl}/allstar/sandbox/psus`)).json()) as
      SandboxPsu[] | { psus: SandboxPsu[] };
    const alice = (Array.isArray(psus) ? psus : psus.psus).find((p) => p.username === 'alice')!;
    await actAsPsu(browser, created.body.authorisationUrl, alice, 'approve');
    expect((await redirects.next()).get('status')).toBe('authorised');
    const consentId: string = created.body.id;

    const run = await until(
      'the first sync to succeed',
      async () => {
        const runs = (await api(`/v1/consents/${consentId}/sync-runs`)).body.data as any[];
        const failed = runs.find((r) => r.status === 'failed');
        if (failed) throw new Error(`sync failed: ${JSON.stringify(failed.error)}`);
        return runs.find((r) => r.status === 'succeeded');
      },
      120_000,
      500,
    );
    expect(run.counts.transactionsAdded).toBeGreaterThan(0);
    const accounts = (await api(`/v1/accounts?consentId=${consentId}`)).body.data as any[];
    expect(accounts.length).toBeGreaterThan(0);
    const txs = (await api(`/v1/accounts/${accounts[0].id}/transactions?limit=5`)).body.data as any[];
    expect(txs.length).toBeGreaterThan(0);

    // A refresh through the gateway's own queue producer, on the cluster too.
    expect(
      (await api(`/v1/consents/${consentId}/refresh`, { method: 'POST', body: { psuIpAddress: '203.0.113.9' } }))
        .status,
    ).toBe(202);

    const delivered = await until(
      'a signed transactions.added webhook',
      () =>
        hooks.received.find((r) => {
          const body = JSON.parse(r.body);
          return body.type === 'transactions.added' && body.data.consentId === consentId;
        }),
      60_000,
      250,
    );
    expect(verifyStandardWebhook(webhookSecret, delivered.headers, delivered.body)).toEqual({ ok: true });

    // The state is on the cluster, spread over its masters, every key under the stack's prefix.
    const prefix = stack.env.REDIS_PREFIX;
    const keysByNode = await Promise.all(
      cluster.ports.map(async (port) =>
        (await cluster.cli(port, '--scan', '--pattern', '*')).split('\n').filter((k) => k.length > 0),
      ),
    );
    const all = keysByNode.flat();
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((k) => !k.startsWith(`${prefix}:`))).toEqual([]);
    expect(all.some((k) => k.startsWith(`${prefix}:bull:{sync.allstar}:`))).toBe(true);
    expect(all.some((k) => k.startsWith(`${prefix}:bull:{consents}:`))).toBe(true);
    expect(keysByNode.filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
  });
});
