import pg from 'pg';
import type { Browser } from 'playwright-core';
import { launchChromium, startStack, type RunningStack } from '@ais/testing';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { actAsPsu, type SandboxPsu } from '../test/psu.js';

const BANKS: Array<{ providerId: string; username: string; revokedStatus: string }> = [
  { providerId: 'allstar', username: 'alice', revokedStatus: 'Revoked' },
  { providerId: 'alsalam', username: 'fatima', revokedStatus: 'Revoked' },
  { providerId: 'saltbank', username: 'max', revokedStatus: 'terminatedByTpp' },
];

describe('consent lifecycle, black box: apps as processes, a real browser at the bank', () => {
  let stack: RunningStack;
  let browser: Browser;
  let receiver: Receiver;
  let db: pg.Client;
  let apiKey: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const psu = async (providerId: string, username: string): Promise<SandboxPsu> => {
    const list = (await (await fetch(`${stack.sandboxUrl}/${providerId}/sandbox/psus`)).json()) as
      { psus?: SandboxPsu[] } | SandboxPsu[];
    const all = Array.isArray(list) ? list : (list.psus ?? []);
    const found = all.find((p) => p.username === username);
    if (!found) throw new Error(`no sandbox PSU ${username} at ${providerId}`);
    return found;
  };
  const bankConsents = async (providerId: string) =>
    (
      (await (await fetch(`${stack.sandboxUrl}/${providerId}/sandbox/consents`)).json()) as {
        consents: Array<{ id: string; status: string }>;
      }
    ).consents;
  const externalId = async (consentId: string) =>
    (await db.query('SELECT external_id FROM consents WHERE id = $1', [consentId])).rows[0].external_id as string;

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'consents',
    });
    receiver = await startReceiver();
    browser = await launchChromium();
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    // The connector-service registers at the sandbox banks in the background after it starts.
    for (let i = 0; i < 120; i++) {
      const { rowCount } = await db.query(`SELECT 1 FROM provider_registrations WHERE provider_id = ANY($1)`, [
        BANKS.map((b) => b.providerId),
      ]);
      if (rowCount === BANKS.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const tenant = await fetch(`${stack.gatewayUrl}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'E2E Fintech', redirectUris: [receiver.url] }),
    });
    apiKey = ((await tenant.json()) as { apiKey: string }).apiKey;
  });
  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await receiver?.close();
    await stack?.stop();
  });

  it('lists the sandbox banks as active providers', async () => {
    const res = await api('GET', '/v1/providers');
    const active = res.body.data
      .filter((p: { status: string }) => p.status === 'active')
      .map((p: { id: string }) => p.id);
    expect(active).toEqual(expect.arrayContaining(BANKS.map((b) => b.providerId)));
  });

  it.each(BANKS)(
    'authorises at $providerId through the bank page, redirects the PSU to the tenant, and DELETE revokes at the bank',
    async ({ providerId, username, revokedStatus }) => {
      const created = await api('POST', '/v1/consents', {
        providerId,
        redirectUri: receiver.url,
        state: `st-${providerId}`,
        endUserId: 'user-1',
        metadata: { plan: 'pro' },
        psuIpAddress: '203.0.113.7',
      });
      if (created.status !== 201)
        throw new Error(`consent creation answered ${created.status}: ${JSON.stringify(created.body)}`);
      expect(created.body).toMatchObject({
        providerId,
        status: 'awaiting_authorisation',
        endUserId: 'user-1',
        metadata: { plan: 'pro' },
      });
      expect(created.body.authorisationUrl).toMatch(/^http/);

      await actAsPsu(browser, created.body.authorisationUrl, await psu(providerId, username), 'approve');
      const redirect = await receiver.next();
      expect(Object.fromEntries(redirect)).toEqual({
        consentId: created.body.id,
        status: 'authorised',
        state: `st-${providerId}`,
      });

      const consent = await api('GET', `/v1/consents/${created.body.id}`);
      expect(consent.body).toMatchObject({
        status: 'authorised',
        authorisedAt: expect.any(String),
        nextSyncAt: expect.any(String),
      });
      expect(consent.body).not.toHaveProperty('authorisationUrl');
      const tokens = await db.query('SELECT ciphertext FROM consent_token_sets WHERE consent_id = $1', [
        created.body.id,
      ]);
      expect(tokens.rows[0].ciphertext).toMatch(/^v1\./);
      const events = await db.query(`SELECT type FROM events WHERE data->>'consentId' = $1`, [created.body.id]);
      expect(events.rows.map((r) => r.type)).toEqual(['consent.authorised']);

      const bankId = await externalId(created.body.id);
      expect((await bankConsents(providerId)).find((c) => c.id === bankId)?.status).toMatch(/Authorised|valid/);
      expect((await api('DELETE', `/v1/consents/${created.body.id}`)).status).toBe(204);
      expect((await bankConsents(providerId)).find((c) => c.id === bankId)?.status).toBe(revokedStatus);
      expect((await api('GET', `/v1/consents/${created.body.id}`)).body.status).toBe('revoked');
      // A revoked consent cannot be re-authorised: a 409 problem (its status string once became the HTTP status: 500).
      const again = await api('POST', `/v1/consents/${created.body.id}/reauthorise`, {});
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ status: 409, code: 'invalid_state_transition', consentStatus: 'revoked' });
      expect(
        (await db.query('SELECT 1 FROM consent_token_sets WHERE consent_id = $1', [created.body.id])).rowCount,
      ).toBe(0);
    },
  );

  it.each(BANKS)('ends rejected when the PSU denies at $providerId', async ({ providerId, username }) => {
    const created = await api('POST', '/v1/consents', {
      providerId,
      redirectUri: receiver.url,
      psuIpAddress: '203.0.113.7',
    });
    await actAsPsu(browser, created.body.authorisationUrl, await psu(providerId, username), 'deny');
    const redirect = await receiver.next();
    expect(redirect.get('status')).toBe('rejected');
    expect(redirect.get('error')).toBe('access_denied');
    expect(redirect.get('consentId')).toBe(created.body.id);
    expect((await api('GET', `/v1/consents/${created.body.id}`)).body).toMatchObject({
      status: 'rejected',
      failureReason: 'access_denied',
    });
  });

  it('answers a request beyond the provider’s limits with a 400 that names each limit, creating nothing', async () => {
    const before = (await db.query('SELECT count(*)::int AS n FROM consents')).rows[0].n;
    const res = await api('POST', '/v1/consents', {
      providerId: 'saltbank',
      redirectUri: receiver.url,
      frequencyPerDay: 9,
      expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString(),
      permissions: ['accounts', 'statements'],
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('limit_exceeded');
    const messages = res.body.errors
      .map((e: { field: string; message: string }) => `${e.field}: ${e.message}`)
      .join('\n');
    expect(messages).toMatch(/frequencyPerDay: exceeds this provider's maximum of 4/);
    expect(messages).toMatch(/expiresAt: exceeds this provider's maximum consent length of 180 days/);
    expect(messages).toMatch(/permissions: not supported by this provider: statements/);
    expect((await db.query('SELECT count(*)::int AS n FROM consents')).rows[0].n).toBe(before);
  });

  it('re-authorises an authorised consent under the same id with a new bank consent', async () => {
    const created = await api('POST', '/v1/consents', {
      providerId: 'saltbank',
      redirectUri: receiver.url,
      psuIpAddress: '203.0.113.7',
    });
    await actAsPsu(browser, created.body.authorisationUrl, await psu('saltbank', 'max'), 'approve');
    expect((await receiver.next()).get('status')).toBe('authorised');
    const firstBankId = await externalId(created.body.id);

    const again = await api('POST', `/v1/consents/${created.body.id}/reauthorise`, {
      state: 'again',
      psuIpAddress: '203.0.113.7',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      id: created.body.id,
      status: 'authorised',
      authorisationUrl: expect.any(String),
    });
    await actAsPsu(browser, again.body.authorisationUrl, await psu('saltbank', 'max'), 'approve');
    expect(Object.fromEntries(await receiver.next())).toMatchObject({
      consentId: created.body.id,
      status: 'authorised',
      state: 'again',
    });
    const secondBankId = await externalId(created.body.id);
    expect(secondBankId).not.toBe(firstBankId);
    // The replaced bank consent is revoked at the bank.
    for (
      let i = 0;
      i < 20 && (await bankConsents('saltbank')).find((c) => c.id === firstBankId)?.status !== 'terminatedByTpp';
      i++
    )
      await new Promise((r) => setTimeout(r, 250));
    expect((await bankConsents('saltbank')).find((c) => c.id === firstBankId)?.status).toBe('terminatedByTpp');
  });
});
