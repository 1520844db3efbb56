import { jest } from '@jest/globals';
import type { RunningSandbox } from '../src/sandbox.js';
import { AllstarTpp } from './allstar-tpp.js';
import { http, JSON_CT, startTestSandbox } from './harness.js';
import { SaltTpp } from './saltbank-tpp.js';

// Real HTTP, real crypto and generated history per account: well above Jest's 5 s default.
jest.setTimeout(60_000);

describe('sandbox control API and fault knobs', () => {
  let s: RunningSandbox;
  let allstar: AllstarTpp;
  let salt: SaltTpp;
  let token: string;
  let accountId: string;

  const patch = (bank: string, body: unknown) =>
    http(`${s.url}/${bank}/sandbox/faults`, { method: 'PATCH', headers: JSON_CT, body: JSON.stringify(body) });
  const reset = (bank: string) => http(`${s.url}/${bank}/sandbox/faults`, { method: 'DELETE' });
  const present = { 'x-fapi-customer-ip-address': '10.0.0.1' };
  const balances = () => allstar.get(`/accounts/${accountId}/balances`, token, present);

  beforeAll(async () => {
    s = await startTestSandbox();
    allstar = await AllstarTpp.onboard(s);
    salt = await SaltTpp.onboard(s);
    token = (await allstar.authorisedConsent()).accessToken;
    accountId = (await allstar.get('/accounts', token, present)).json.Data.Account[0].AccountId;
  });
  afterAll(() => s.close());
  afterEach(async () => {
    for (const b of ['allstar', 'alsalam', 'saltbank']) await reset(b);
    await http(`${s.url}/sandbox/clock`, {
      method: 'PUT',
      headers: JSON_CT,
      body: JSON.stringify({ now: '2026-03-10T10:00:00Z', scale: 1 }),
    });
  });

  it('tolerates a trailing slash on every route, on both listeners, keeping the query', async () => {
    const landing = await http(`${s.url}/allstar/`);
    expect(landing.status).toBe(200);
    expect(landing.text).toContain('alice-pass');
    expect((await http(`${s.url}/`)).status).toBe(200);
    expect((await http(`${s.url}/saltbank/sandbox/psus/`)).json.psus).toHaveLength(3);
    expect(
      (await http(`${s.url}/saltbank/.well-known/oauth-authorization-server/`)).json.code_challenge_methods_supported,
    ).toEqual(['S256']);
    const page = await allstar.get(
      `/accounts/${accountId}/transactions/?fromBookingDateTime=2026-03-01`,
      token,
      present,
    );
    expect(page.status).toBe(200);
    expect(
      page.json.Data.Transaction.every((t: { BookingDateTime: string }) => t.BookingDateTime >= '2026-03-01'),
    ).toBe(true);
    const { consentId, token: bgToken } = await salt.validConsent();
    expect((await salt.get('/v1/accounts/', bgToken, consentId, { 'psu-ip-address': '10.0.0.2' })).status).toBe(200);
    expect((await http(`${s.url}/nobank/`)).status).toBe(404);
  });

  it('lists PSUs with credentials as JSON and on the landing page', async () => {
    const r = await http(`${s.url}/allstar/sandbox/psus`);
    expect(r.json.psus.map((p: { username: string }) => p.username)).toEqual(['alice', 'bob', 'carol']);
    expect(r.json.psus[0]).toMatchObject({ password: 'alice-pass', otp: '123456' });
    const page = await http(`${s.url}/saltbank`);
    expect(page.text).toContain('<code>max</code>');
    expect(page.text).toContain('max-pass');
    expect((await http(`${s.url}/`)).text).toContain('Salt Bank');
  });

  it('changes only the knobs a PATCH names', async () => {
    await patch('allstar', { latencyMs: 250, unattendedPerDay: 2 });
    const after = (await patch('allstar', { error503Rate: 0.5 })).json.faults;
    expect(after).toMatchObject({ latencyMs: 250, unattendedPerDay: 2, error503Rate: 0.5, error500Rate: 0 });
    expect((await http(`${s.url}/allstar/sandbox/faults`)).json.faults).toEqual(after);
    expect((await patch('allstar', { latencyMs: -1 })).status).toBe(400);
    expect((await http(`${s.url}/allstar/sandbox/faults`)).json.faults).toEqual(after);
    expect((await reset('allstar')).json.faults).toMatchObject({ latencyMs: 0, unattendedPerDay: 4, error503Rate: 0 });
  });

  it('adds latency', async () => {
    await patch('allstar', { latencyMs: 400 });
    const t0 = Date.now();
    expect((await balances()).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });

  it('injects 500 and 503 at the configured rate, in the bank’s own format', async () => {
    await patch('allstar', { error500Rate: 1 });
    const r500 = await balances();
    expect(r500.status).toBe(500);
    expect(r500.json.Errors[0].ErrorCode).toBe('UK.OBIE.UnexpectedError');
    await patch('allstar', { error500Rate: 0, error503Rate: 1 });
    expect((await balances()).status).toBe(503);
    const { consentId, token: t } = await salt.validConsent();
    await patch('saltbank', { error503Rate: 1 });
    expect((await salt.get('/v1/accounts', t, consentId)).status).toBe(503);
    const faults = (await http(`${s.url}/allstar/sandbox/faults`)).json;
    expect(faults.injected.status500).toBeGreaterThanOrEqual(1);
  });

  it('fails exactly the next N calls with failNext, then recovers', async () => {
    await patch('allstar', { failNext: { status: 503, count: 2 } });
    expect((await balances()).status).toBe(503);
    expect((await balances()).status).toBe(503);
    expect((await balances()).status).toBe(200);
  });

  it('answers 429 with Retry-After from the rate-limit knob', async () => {
    await patch('allstar', { rateLimitRate: 1, retryAfterSeconds: 7 });
    const r = await balances();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
  });

  it('limits faults to paths containing a string', async () => {
    await patch('allstar', { error500Rate: 1, pathContains: '/transactions' });
    expect((await balances()).status).toBe(200);
    expect((await allstar.get(`/accounts/${accountId}/transactions`, token, present)).status).toBe(500);
  });

  it('sends malformed JSON and schema-violating bodies when asked', async () => {
    await patch('allstar', { malformedJsonRate: 1 });
    const bad = await balances();
    expect(bad.status).toBe(200);
    expect(() => JSON.parse(bad.text)).toThrow();
    await patch('allstar', { malformedJsonRate: 0, schemaViolationRate: 1 });
    const odd = await balances();
    expect(typeof odd.json.Data.Balance[0].Amount.Amount).toBe('number');
    expect(odd.json.Data.Balance[0].AccountId).toBeUndefined();
  });

  it('shortens token lifetimes', async () => {
    await patch('allstar', { tokenLifetimeSeconds: 2 });
    const t = await allstar.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' });
    expect(t.json.expires_in).toBe(2);
    await http(`${s.url}/allstar/sandbox/clock/advance`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ seconds: 3 }),
    });
    expect(
      (
        await http(`${allstar.aisBase()}/account-access-consents/x`, {
          headers: { authorization: `Bearer ${t.json.access_token}` },
        })
      ).status,
    ).toBe(401);
  });

  it('changes the page size', async () => {
    await patch('allstar', { pageSize: 7 });
    const r = await allstar.get(`/accounts/${accountId}/transactions`, token, present);
    expect(r.json.Data.Transaction).toHaveLength(7);
    expect(r.json.Links.Next).toContain('page=2');
  });

  it('revokes and expires consents from the bank side', async () => {
    const a = await allstar.authorisedConsent();
    await http(`${s.url}/allstar/sandbox/consents/${a.consentId}/revoke`, { method: 'POST' });
    expect((await allstar.get('/accounts', a.accessToken)).status).toBe(401);
    const b = await allstar.authorisedConsent();
    await http(`${s.url}/allstar/sandbox/consents/${b.consentId}/expire`, { method: 'POST' });
    const expired = await allstar.get('/accounts', b.accessToken);
    expect(expired.status).toBe(403);
    // OBIE error codes: an expired consent is in the wrong state (not a permission mismatch).
    expect(expired.json.Errors[0].ErrorCode).toBe('UK.OBIE.Resource.InvalidConsentStatus');
    const c = await salt.validConsent();
    await http(`${s.url}/saltbank/sandbox/consents/${c.consentId}/revoke`, { method: 'POST' });
    expect(
      (await salt.xs2a(`/v1/consents/${c.consentId}/status`, { headers: { 'x-request-id': crypto.randomUUID() } })).json
        .consentStatus,
    ).toBe('revokedByPsu');
    const revoked = await salt.get('/v1/accounts', c.token, c.consentId);
    expect([revoked.status, revoked.json.tppMessages[0].code]).toEqual([401, 'CONSENT_INVALID']);
    const d = await salt.validConsent();
    await http(`${s.url}/saltbank/sandbox/consents/${d.consentId}/expire`, { method: 'POST' });
    const r = await salt.get('/v1/accounts', d.token, d.consentId);
    expect(r.status).toBe(401);
    expect(r.json.tppMessages[0].code).toBe('CONSENT_EXPIRED');
  });

  it('sets, advances and scales the clock; new transactions arrive and pending ones book under a new id', async () => {
    const before = (await http(`${s.url}/allstar/sandbox/psus/alice/summary`)).json;
    const pendingBefore = (
      await allstar.get(`/accounts/${accountId}/transactions?fromBookingDateTime=2026-03-05T00:00:00`, token, present)
    ).json.Data.Transaction.filter((t: any) => t.Status === 'Pending');
    expect(pendingBefore.length).toBeGreaterThan(0);
    const set = await http(`${s.url}/allstar/sandbox/clock`, {
      method: 'PUT',
      headers: JSON_CT,
      body: JSON.stringify({ scale: 1440 }),
    });
    expect(set.json.scale).toBe(1440);
    await new Promise((r) => setTimeout(r, 1500));
    const clock = (await http(`${s.url}/allstar/sandbox/clock`)).json;
    expect(Date.parse(clock.now) - Date.parse('2026-03-10T10:00:00Z')).toBeGreaterThan(30 * 60_000);
    await http(`${s.url}/allstar/sandbox/clock/advance`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ days: 4 }),
    });
    const after = (await http(`${s.url}/allstar/sandbox/psus/alice/summary`)).json;
    expect(after.accounts[0].booked.count).toBeGreaterThan(before.accounts[0].booked.count);
    const refreshed = await allstar.authorisedConsent();
    const now = (
      await allstar.get(
        `/accounts/${accountId}/transactions?fromBookingDateTime=2026-03-05T00:00:00`,
        refreshed.accessToken,
        present,
      )
    ).json.Data.Transaction;
    const ids = new Set(now.map((t: any) => t.TransactionId));
    for (const p of pendingBefore) {
      expect(ids.has(p.TransactionId)).toBe(false);
      if (p.TransactionReference)
        expect(now.some((t: any) => t.TransactionReference === p.TransactionReference && t.Status === 'Booked')).toBe(
          true,
        );
    }
  });

  it('rejects bad control input', async () => {
    expect((await patch('allstar', { error500Rate: 2 })).status).toBe(400);
    expect((await patch('allstar', { surprise: true })).status).toBe(400);
    expect((await http(`${s.url}/nobank/sandbox/faults`)).status).toBe(404);
    expect(
      (
        await http(`${s.url}/allstar/sandbox/clock`, {
          method: 'PUT',
          headers: JSON_CT,
          body: JSON.stringify({ now: 'soon' }),
        })
      ).status,
    ).toBe(400);
  });
});
