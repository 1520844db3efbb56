import pg from 'pg';
import type { Browser } from 'playwright-core';
import { KeyRing } from '@ais/crypto';
import { parseKeyRing } from '@ais/config';
import { launchChromium, startStack, type RunningStack } from '@ais/testing';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { actAsPsu, type SandboxPsu } from '../test/psu.js';

/**
 * The authorisation flow refuses every tampered, replayed, expired or forged response: nothing is
 * authorised, no tokens are stored, no consent.authorised event is written.
 */
describe('authorisation flow security', () => {
  let stack: RunningStack;
  let browser: Browser;
  let receiver: Receiver;
  let db: pg.Client;
  let apiKey: string;
  let keyRing: KeyRing;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const callback = (url: string) => fetch(url, { redirect: 'manual' });
  const psu = async (bank: string, username: string): Promise<SandboxPsu> => {
    const list = (await (await fetch(`${stack.sandboxUrl}/${bank}/sandbox/psus`)).json()) as any;
    return (Array.isArray(list) ? list : list.psus).find((p: SandboxPsu) => p.username === username);
  };
  const authorisedTraces = async (consentId: string) => ({
    tokens: (await db.query('SELECT 1 FROM consent_token_sets WHERE consent_id = $1', [consentId])).rowCount,
    events: (
      await db.query(`SELECT 1 FROM events WHERE type = 'consent.authorised' AND data->>'consentId' = $1`, [consentId])
    ).rowCount,
  });
  const status = async (consentId: string) => (await api('GET', `/v1/consents/${consentId}`)).body.status as string;

  /** Creates a consent and lets the PSU approve it, returning the bank's redirect to our callback, unsent. */
  async function approvedButNotDelivered(bank: string, username: string) {
    const created = await api('POST', '/v1/consents', {
      providerId: bank,
      redirectUri: receiver.url,
      psuIpAddress: '198.51.100.4',
    });
    expect(created.status).toBe(201);
    const callbackUrl = await actAsPsu(browser, created.body.authorisationUrl, await psu(bank, username), 'approve', {
      captureCallback: `${stack.publicUrl}/v1/callback`,
    });
    return { consentId: created.body.id as string, callbackUrl };
  }

  /** Re-seals the consent's open authorisation session with a change (what an attacker cannot do, to forge mismatches). */
  async function tamperSession(consentId: string, change: (connectorSession: Record<string, unknown>) => void) {
    const { rows } = await db.query(
      'SELECT id, secrets_encrypted FROM authorisation_sessions WHERE consent_id = $1 AND consumed_at IS NULL',
      [consentId],
    );
    const sealed = keyRing.openJson<{ connector: Record<string, unknown> }>(rows[0].secrets_encrypted, rows[0].id);
    change(sealed.connector);
    await db.query('UPDATE authorisation_sessions SET secrets_encrypted = $2 WHERE id = $1', [
      rows[0].id,
      keyRing.sealJson(sealed, rows[0].id),
    ]);
  }

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'flowsec',
    });
    const keys = parseKeyRing(stack.env.ENCRYPTION_KEYS);
    keyRing = new KeyRing(keys, [...keys.keys()].at(-1)!);
    receiver = await startReceiver();
    browser = await launchChromium();
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    for (let i = 0; i < 120 && (await db.query('SELECT 1 FROM provider_registrations')).rowCount! < 3; i++)
      await new Promise((r) => setTimeout(r, 250));
    const tenant = await fetch(`${stack.gatewayUrl}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Security', redirectUris: [receiver.url] }),
    });
    apiKey = ((await tenant.json()) as { apiKey: string }).apiKey;
  });
  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await receiver?.close();
    await stack?.stop();
  });

  it('authorises once: a replayed callback is refused and changes nothing', async () => {
    const { consentId, callbackUrl } = await approvedButNotDelivered('allstar', 'bob');
    const first = await callback(callbackUrl);
    expect(first.status).toBe(302);
    expect(new URL(first.headers.get('location')!).searchParams.get('status')).toBe('authorised');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    const before = await db.query('SELECT version, ciphertext FROM consent_token_sets WHERE consent_id = $1', [
      consentId,
    ]);
    const replay = await callback(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
    expect(await replay.text()).toContain('no longer valid');
    expect(
      await db.query('SELECT version, ciphertext FROM consent_token_sets WHERE consent_id = $1', [consentId]),
    ).toMatchObject({ rows: before.rows });
    expect(await authorisedTraces(consentId)).toEqual({ tokens: 1, events: 1 });
  });

  it('refuses an unknown or tampered state without redirecting anywhere', async () => {
    const { consentId, callbackUrl } = await approvedButNotDelivered('allstar', 'alice');
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    const res = await callback(tampered.toString());
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect((await callback(`${stack.gatewayUrl}/v1/callback?code=abc`)).status).toBe(400);
    expect(await status(consentId)).toBe('awaiting_authorisation');
    expect(await authorisedTraces(consentId)).toEqual({ tokens: 0, events: 0 });
  });

  it('refuses an expired authorisation (after 10 minutes) and tells the tenant', async () => {
    const { consentId, callbackUrl } = await approvedButNotDelivered('alsalam', 'ahmed');
    await db.query(`UPDATE authorisation_sessions SET expires_at = now() - interval '1 second' WHERE consent_id = $1`, [
      consentId,
    ]);
    const res = await callback(callbackUrl);
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(receiver.url);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      consentId,
      status: 'failed',
      error: 'authorisation_expired',
    });
    expect(await status(consentId)).toBe('failed');
    expect(await authorisedTraces(consentId)).toEqual({ tokens: 0, events: 0 });
  });

  it('refuses a wrong PKCE verifier (Berlin Group): the bank rejects the code, nothing is authorised', async () => {
    const { consentId, callbackUrl } = await approvedButNotDelivered('saltbank', 'erika');
    await tamperSession(consentId, (s) => {
      s['codeVerifier'] = 'x'.repeat(64);
    });
    const res = await callback(callbackUrl);
    expect(Object.fromEntries(new URL(res.headers.get('location')!).searchParams)).toMatchObject({
      status: 'failed',
      error: 'token_exchange_failed',
    });
    expect(await status(consentId)).toBe('failed');
    expect(await authorisedTraces(consentId)).toEqual({ tokens: 0, events: 0 });
  });

  it('refuses an id_token whose nonce does not match the one we sent', async () => {
    const { consentId, callbackUrl } = await approvedButNotDelivered('allstar', 'carol');
    await tamperSession(consentId, (s) => {
      s['nonce'] = 'not-the-nonce-we-sent';
    });
    const res = await callback(callbackUrl);
    expect(new URL(res.headers.get('location')!).searchParams.get('status')).toBe('failed');
    expect(await authorisedTraces(consentId)).toEqual({ tokens: 0, events: 0 });
  });

  it('refuses a code injected from another authorisation (the id_token’s c_hash does not match)', async () => {
    const victim = await approvedButNotDelivered('allstar', 'bob');
    const attacker = await approvedButNotDelivered('allstar', 'alice');
    const injected = new URL(victim.callbackUrl);
    expect(injected.searchParams.get('id_token')).toBeTruthy();
    injected.searchParams.set('code', new URL(attacker.callbackUrl).searchParams.get('code')!); // a valid code, for someone else
    const res = await callback(injected.toString());
    expect(new URL(res.headers.get('location')!).searchParams.get('status')).toBe('failed');
    expect(await authorisedTraces(victim.consentId)).toEqual({ tokens: 0, events: 0 });
    expect(await authorisedTraces(attacker.consentId)).toEqual({ tokens: 0, events: 0 });
  });

  it('treats a bank error on the redirect as a failed authorisation', async () => {
    const created = await api('POST', '/v1/consents', { providerId: 'allstar', redirectUri: receiver.url });
    const { rows } = await db.query('SELECT id FROM authorisation_sessions WHERE consent_id = $1', [created.body.id]);
    const state = keyRing.openJson<{ connector: { state: string } }>(
      (await db.query('SELECT secrets_encrypted FROM authorisation_sessions WHERE id = $1', [rows[0].id])).rows[0]
        .secrets_encrypted,
      rows[0].id,
    ).connector.state;
    const res = await callback(
      `${stack.gatewayUrl}/v1/callback?state=${encodeURIComponent(state)}&error=server_error&error_description=boom`,
    );
    expect(Object.fromEntries(new URL(res.headers.get('location')!).searchParams)).toMatchObject({
      status: 'failed',
      error: 'server_error',
    });
    expect(await authorisedTraces(created.body.id)).toEqual({ tokens: 0, events: 0 });
  });

  it('refuses a redirect URI that is not on the tenant’s allow-list, writing nothing', async () => {
    const before = (await db.query('SELECT count(*)::int AS n FROM consents')).rows[0].n;
    for (const redirectUri of [
      `${receiver.url}/extra`,
      receiver.url.replace('/cb', '/CB'),
      'https://evil.example.com/cb',
      `${receiver.url}?next=https://evil.example.com`,
    ]) {
      const res = await api('POST', '/v1/consents', { providerId: 'allstar', redirectUri });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('redirect_uri_not_allowed');
    }
    expect((await db.query('SELECT count(*)::int AS n FROM consents')).rows[0].n).toBe(before);
  });
});
