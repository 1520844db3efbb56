import pg from 'pg';
import { createTenant, startStack, waitForOnboarding, type RunningStack } from '@ais/testing';

const REDIRECT_URI = 'https://tenant.example/callback';
const DAY = 86_400_000;

/**
 * What GET /v1/providers says a bank serves is what POST /v1/consents accepts, black box: the apps as
 * processes, the sandbox banks over HTTP. Al Salam's documentation (seed 003) describes accounts,
 * balances and transactions only, a plain authorization code (no PKCE) and no maximum consent length.
 */
describe('honest capabilities, black box: providers and consent creation', () => {
  let stack: RunningStack;
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
  const bankConsents = async (providerId: string) =>
    (
      (await (await fetch(`${stack.sandboxUrl}/${providerId}/sandbox/consents`)).json()) as {
        consents: Array<{ id: string; expiresAt: number | null; permissions: string[] }>;
      }
    ).consents;

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'capabilities',
    });
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await waitForOnboarding(stack);
    ({ apiKey } = await createTenant(stack, { name: 'Capabilities', redirectUris: [REDIRECT_URI] }));
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  it('shows Al Salam as seed 003 documents it: accounts, balances and transactions, a code without PKCE, no consent cap', async () => {
    const res = await api('GET', '/v1/providers/alsalam');
    expect(res.status).toBe(200);
    expect(res.body.capabilities).toMatchObject({
      supportedPermissions: ['accounts', 'balances', 'transactions'],
      bulkEndpoints: ['balances', 'transactions'],
      authorisationFlow: 'oauth_code',
      maxConsentDays: null,
    });
  });

  it('refuses an Al Salam consent that asks for party with a 400 naming it, before any call to the bank', async () => {
    const atBank = (await bankConsents('alsalam')).length;
    const res = await api('POST', '/v1/consents', {
      providerId: 'alsalam',
      redirectUri: REDIRECT_URI,
      permissions: ['accounts', 'transactions', 'party'],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'limit_exceeded',
      detail: 'This provider does not serve: party.',
      unsupportedPermissions: ['party'],
      errors: [
        {
          field: 'permissions',
          message: 'not supported by this provider: party (supported: accounts, balances, transactions)',
        },
      ],
    });
    expect((await db.query(`SELECT count(*)::int AS n FROM consents`)).rows[0].n).toBe(0);
    expect((await bankConsents('alsalam')).length).toBe(atBank);
  });

  it('grants an Al Salam consent of two years, as the bank does, and asks the bank for exactly that', async () => {
    const expiresAt = new Date(Date.now() + 730 * DAY);
    expiresAt.setUTCMilliseconds(0);
    const res = await api('POST', '/v1/consents', {
      providerId: 'alsalam',
      redirectUri: REDIRECT_URI,
      expiresAt: expiresAt.toISOString(),
    });
    expect(res.status).toBe(201);
    expect(new Date(res.body.expiresAt).getTime()).toBe(expiresAt.getTime());
    const externalId = (await db.query('SELECT external_id FROM consents WHERE id = $1', [res.body.id])).rows[0]
      .external_id as string;
    expect((await bankConsents('alsalam')).find((c) => c.id === externalId)?.expiresAt).toBe(expiresAt.getTime());
  });

  it('re-authorises an Al Salam consent made while party was advertised, without asking the bank for party', async () => {
    const created = await api('POST', '/v1/consents', { providerId: 'alsalam', redirectUri: REDIRECT_URI });
    expect(created.status).toBe(201);
    // As a consent created before the capabilities were corrected holds it.
    await db.query(`UPDATE consents SET permissions = $2, status = 'expired' WHERE id = $1`, [
      created.body.id,
      ['accounts', 'balances', 'transactions', 'party'],
    ]);
    const res = await api('POST', `/v1/consents/${created.body.id}/reauthorise`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'awaiting_authorisation', authorisationUrl: expect.any(String) });
    const externalId = (await db.query('SELECT external_id FROM consents WHERE id = $1', [created.body.id])).rows[0]
      .external_id as string;
    const atBank = (await bankConsents('alsalam')).find((c) => c.id === externalId)!;
    expect(atBank.permissions).toContain('ReadTransactionsDetail');
    expect(atBank.permissions).not.toContain('ReadParty');
  });
});
