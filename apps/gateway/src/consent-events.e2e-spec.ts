import pg from 'pg';
import type { Browser } from 'playwright-core';
import {
  TestReceiver,
  createTenant,
  launchChromium,
  startStack,
  until,
  verifyStandardWebhook,
  waitForOnboarding,
  type RunningStack,
} from '@ais/testing';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { actAsPsu, type SandboxPsu } from '../test/psu.js';

/** The status check interval this stack runs with (CONSENT_STATUS_CHECK_SECONDS), and its tick. */
const CHECK_SECONDS = 4;
const TICK_SECONDS = 1;

/**
 * Black box, every app a process, the sandbox banks over HTTP: a consent revoked or expired at the
 * bank (the sandbox's control endpoints, as a PSU would in online banking) becomes consent.revoked /
 * consent.expired within one status-check interval, read from the bank's status endpoint and never
 * from a data call; and webhook endpoints scoped to one consent (POST /v1/consents `webhookUrl`, POST
 * /v1/webhooks `consentId`) receive that consent's events only, signed like any other.
 */
describe('consent events: bank-side ends noticed by status checks, per-consent webhooks', () => {
  let stack: RunningStack;
  let browser: Browser;
  let redirects: Receiver;
  let db: pg.Client;
  let apiKey: string;
  const hooks = new TestReceiver();

  const api = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${init.key ?? apiKey}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const sandbox = async (path: string, method = 'GET') =>
    (await fetch(`${stack.sandboxUrl}${path}`, { method })).json() as Promise<any>;
  const psu = async (bank: string, username: string): Promise<SandboxPsu> => {
    const list = await sandbox(`/${bank}/sandbox/psus`);
    return (Array.isArray(list) ? list : list.psus).find((p: SandboxPsu) => p.username === username);
  };
  const events = async (type: string) =>
    ((await api(`/v1/events?type=${type}&limit=500`)).body.data as any[]).map((e) => e.data);
  /** The bank's access counters for one of its consents: every data call it counted, attended or not. */
  const dataCalls = async (bank: string, externalId: string) =>
    ((await sandbox(`/${bank}/sandbox/counters?consentId=${encodeURIComponent(externalId)}`)).counters as any[]).map(
      (c) => JSON.stringify(c),
    );
  const externalIdOf = async (consentId: string) =>
    (await db.query('SELECT external_id FROM consents WHERE id = $1', [consentId])).rows[0].external_id as string;

  async function authorise(bank: string, username: string, extra: Record<string, unknown> = {}) {
    const created = await api('/v1/consents', {
      method: 'POST',
      body: { providerId: bank, redirectUri: redirects.url, psuIpAddress: '203.0.113.9', ...extra },
    });
    if (created.status !== 201) throw new Error(`consent: ${created.status} ${JSON.stringify(created.body)}`);
    await actAsPsu(browser, created.body.authorisationUrl, await psu(bank, username), 'approve');
    expect((await redirects.next()).get('status')).toBe('authorised');
    await until(
      `first sync of ${created.body.id}`,
      async () =>
        ((await api(`/v1/consents/${created.body.id}/sync-runs`)).body.data as any[]).some(
          (r) => r.status === 'succeeded',
        ),
      120_000,
      500,
    );
    return created.body as { id: string; webhookId?: string; webhookSecret?: string };
  }

  beforeAll(async () => {
    stack = await startStack({
      label: 'consentevents',
      env: {
        CONSENT_STATUS_CHECK_SECONDS: String(CHECK_SECONDS),
        CONSENT_STATUS_CHECK_TICK_SECONDS: String(TICK_SECONDS),
      },
    });
    browser = await launchChromium();
    redirects = await startReceiver();
    await hooks.start(stack.webhookReceiverPort); // the one loopback port the stack may send webhooks to
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await waitForOnboarding(stack);
    ({ apiKey } = await createTenant(stack, { name: 'Consent events', redirectUris: [redirects.url] }));
    const everything = await api('/v1/webhooks', { method: 'POST', body: { url: `${hooks.url}/all`, events: ['*'] } });
    expect(everything.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await redirects?.close();
    await hooks.stop();
    await stack?.stop();
  });

  it('shows each provider’s status check interval in its capabilities', async () => {
    for (const bank of ['allstar', 'alsalam', 'saltbank']) {
      const provider = await api(`/v1/providers/${bank}`);
      expect(provider.body.capabilities.consentStatusCheckSeconds).toBe(CHECK_SECONDS);
    }
  });

  it('turns a revocation or expiry made at each bank into consent.revoked / consent.expired within one interval, spending no data call', async () => {
    const cases = [
      { bank: 'allstar', username: 'alice', act: 'revoke', status: 'revoked' },
      { bank: 'alsalam', username: 'fatima', act: 'revoke', status: 'revoked' },
      { bank: 'saltbank', username: 'max', act: 'revoke', status: 'revoked' },
      // OBIE has no "expired" status: the consent stays Authorised with ExpirationDateTime passed.
      { bank: 'allstar', username: 'bob', act: 'expire', status: 'expired' },
      { bank: 'saltbank', username: 'erika', act: 'expire', status: 'expired' },
    ] as const;
    const consents = [];
    for (const c of cases) consents.push({ ...c, id: (await authorise(c.bank, c.username)).id });
    for (const c of consents) {
      const externalId = await externalIdOf(c.id);
      const callsBefore = await dataCalls(c.bank, externalId);
      expect(callsBefore.length).toBeGreaterThan(0); // the first sync's calls: the counters see this consent
      const runsBefore = (await api(`/v1/consents/${c.id}/sync-runs`)).body.data.length;
      const at = Date.now();
      await sandbox(`/${c.bank}/sandbox/consents/${encodeURIComponent(externalId)}/${c.act}`, 'POST');

      const type = c.status === 'revoked' ? 'consent.revoked' : 'consent.expired';
      await until(
        `${type} for ${c.bank}/${c.username}`,
        async () => (await events(type)).some((e) => e.consentId === c.id),
        30_000,
        200,
      );
      const elapsed = Date.now() - at;
      // One interval (+10 % spread), one tick, and a margin for a busy two-core machine.
      expect(elapsed).toBeLessThan((CHECK_SECONDS * 1.1 + TICK_SECONDS) * 1000 + 5_000);
      const event = (await events(type)).find((e) => e.consentId === c.id);
      if (c.status === 'revoked') expect(event).toMatchObject({ revokedBy: 'bank', providerId: c.bank });
      const consent = (await api(`/v1/consents/${c.id}`)).body;
      expect(consent).toMatchObject({ status: c.status, nextSyncAt: null });
      // Noticed by the status read alone: the bank counted no data call, no sync ran.
      expect(await dataCalls(c.bank, externalId)).toEqual(callsBefore);
      expect((await api(`/v1/consents/${c.id}/sync-runs`)).body.data.length).toBe(runsBefore);
    }
  }, 300_000);

  it('delivers to an endpoint created with the consent (webhookUrl) and to one scoped by consentId only that consent’s events', async () => {
    const hooked = await authorise('alsalam', 'ahmed', { webhookUrl: `${hooks.url}/consent-a` });
    expect(hooked.webhookId).toMatch(/^we_/);
    expect(hooked.webhookSecret).toMatch(/^whsec_/);
    const other = await authorise('allstar', 'carol');
    const scoped = await api('/v1/webhooks', {
      method: 'POST',
      body: { url: `${hooks.url}/consent-b`, events: ['consent.revoked', 'sync.completed'], consentId: other.id },
    });
    expect(scoped.status).toBe(201);
    expect(scoped.body).toMatchObject({ consentId: other.id, events: ['consent.revoked', 'sync.completed'] });
    expect((await api(`/v1/webhooks/${hooked.webhookId}`)).body).toMatchObject({ consentId: hooked.id, events: ['*'] });
    const listed = await api(`/v1/webhooks?consentId=${other.id}`);
    expect(listed.body.data.map((w: any) => w.id)).toEqual([scoped.body.id]);

    // Events for both consents: a refresh of each, then both revoked by the tenant.
    for (const id of [hooked.id, other.id]) {
      const refresh = await fetch(`${stack.gatewayUrl}/v1/consents/${id}/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', prefer: 'wait=30' },
        body: JSON.stringify({ psuIpAddress: '203.0.113.9' }),
      });
      expect(refresh.status).toBe(200);
      expect((await api(`/v1/consents/${id}`, { method: 'DELETE' })).status).toBe(204);
    }
    const revokedIds = async () => (await events('consent.revoked')).map((e) => e.consentId);
    await until('both revocations logged', async () => {
      const ids = await revokedIds();
      return ids.includes(hooked.id) && ids.includes(other.id);
    });
    const payload = (path: string) =>
      hooks.received.filter((r) => r.path === path).map((r) => ({ r, body: JSON.parse(r.body) }));
    await until('the scoped endpoints have the revocations', () =>
      [payload('/consent-a'), payload('/consent-b')].every((list) =>
        list.some(({ body }) => body.type === 'consent.revoked'),
      ),
    );
    // A little longer: nothing else may trickle in.
    await new Promise((r) => setTimeout(r, 2_000));

    const a = payload('/consent-a');
    expect(a.length).toBeGreaterThan(3); // authorised, sync.completed ×2, transactions…, revoked
    expect(a.every(({ body }) => body.data.consentId === hooked.id)).toBe(true);
    expect(new Set(a.map(({ body }) => body.type))).toEqual(
      new Set(['consent.authorised', 'sync.completed', 'transactions.added', 'consent.revoked']),
    );
    for (const { r } of a)
      expect(verifyStandardWebhook(hooked.webhookSecret!, r.headers, r.body)).toEqual({ ok: true });

    const b = payload('/consent-b');
    expect(b.every(({ body }) => body.data.consentId === other.id)).toBe(true);
    // Created after the first sync: the refresh's sync.completed and the revocation, nothing older.
    expect(b.map(({ body }) => body.type)).toEqual(['sync.completed', 'consent.revoked']);
    for (const { r } of b) expect(verifyStandardWebhook(scoped.body.secret, r.headers, r.body)).toEqual({ ok: true });

    // The tenant-wide endpoint still sees both consents' events.
    const all = payload('/all').map(({ body }) => body.data.consentId);
    expect(all).toEqual(expect.arrayContaining([hooked.id, other.id]));
  }, 300_000);

  it('refuses bad input: another tenant’s consent, a webhookUrl the rules refuse (no consent left behind)', async () => {
    const { apiKey: strangerKey } = await createTenant(stack, { name: 'Stranger', redirectUris: [redirects.url] });
    const mine = (await api('/v1/consents?limit=1')).body.data[0].id;
    const endpointsBefore = (await db.query('SELECT count(*)::int AS n FROM webhook_endpoints')).rows[0].n;
    const foreign = await api('/v1/webhooks', {
      method: 'POST',
      key: strangerKey,
      body: { url: `${hooks.url}/x`, events: ['*'], consentId: mine },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'consentId', message: 'no consent of yours has this id' }],
    });
    expect((await db.query('SELECT count(*)::int AS n FROM webhook_endpoints')).rows[0].n).toBe(endpointsBefore);

    const before = (await db.query('SELECT count(*)::int AS n FROM consents')).rows[0].n;
    const refused = await api('/v1/consents', {
      method: 'POST',
      body: { providerId: 'allstar', redirectUri: redirects.url, webhookUrl: 'http://127.0.0.1:6379/' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'webhookUrl', message: expect.stringMatching(/6379|port|allow/i) }]);
    expect((await db.query('SELECT count(*)::int AS n FROM consents')).rows[0].n).toBe(before);
  });
});
