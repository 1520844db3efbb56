import { jest } from '@jest/globals';
import { Decimal } from '../src/core/money.js';
import { Agent } from 'undici';
import { SandboxCa } from '../src/core/keys.js';
import { SandboxStore } from '../src/core/store.js';
import type { RunningSandbox } from '../src/sandbox.js';
import { decimalSum, http, JSON_CT, PSUS, startTestSandbox } from './harness.js';
import { bgHeaders, consentBody, SALT_REDIRECT, SaltTpp } from './saltbank-tpp.js';

// Real HTTP, real crypto and generated history per account: well above Jest's 5 s default.
jest.setTimeout(60_000);

const PRESENT = { 'psu-ip-address': '10.1.2.3' };

describe('Salt Bank (Berlin Group NextGenPSD2 1.3.12)', () => {
  let s: RunningSandbox;
  let tpp: SaltTpp;

  beforeAll(async () => {
    s = await startTestSandbox();
    tpp = await SaltTpp.onboard(s);
  });
  afterAll(() => s.close());

  const setClock = (now: string) =>
    http(`${s.url}/saltbank/sandbox/clock`, { method: 'PUT', headers: JSON_CT, body: JSON.stringify({ now }) });
  const advance = (body: Record<string, number>) =>
    http(`${s.url}/saltbank/sandbox/clock/advance`, { method: 'POST', headers: JSON_CT, body: JSON.stringify(body) });
  afterEach(async () => {
    await setClock('2026-03-10T10:00:00Z');
  });

  it('publishes RFC 8414 metadata with PKCE S256', async () => {
    const r = await http(`${s.url}/saltbank/.well-known/oauth-authorization-server`);
    expect(r.json.code_challenge_methods_supported).toEqual(['S256']);
    expect(r.json.authorization_endpoint).toBe(`${s.url}/saltbank/oauth/authorize`);
  });

  describe('the TPP certificate (QWAC, seed 002) on the XS2A API', () => {
    const code = (r: { json: any }) => r.json?.tppMessages?.[0]?.code;

    it('answers 401 CERTIFICATE_MISSING on the plain listener, for consents, data and unknown paths alike', async () => {
      const consent = await http(`${s.url}/saltbank/v1/consents`, {
        method: 'POST',
        headers: { ...JSON_CT, ...bgHeaders({ 'psu-ip-address': '192.168.8.78' }) },
        body: JSON.stringify(consentBody()),
      });
      expect(consent.status).toBe(401);
      expect(consent.json.tppMessages[0]).toMatchObject({ category: 'ERROR', code: 'CERTIFICATE_MISSING' });
      expect(consent.headers.get('x-fapi-interaction-id')).toBeTruthy();
      const { consentId, token } = await tpp.validConsent();
      const data = await http(`${s.url}/saltbank/v1/accounts`, {
        headers: bgHeaders({ authorization: `Bearer ${token}`, 'consent-id': consentId }),
      });
      expect([data.status, code(data)]).toEqual([401, 'CERTIFICATE_MISSING']);
      expect(code(await http(`${s.url}/saltbank/v1/nothing-here`, { headers: bgHeaders() }))).toBe(
        'CERTIFICATE_MISSING',
      );
      // Checked before X-Request-ID, faults and the access counters, like a TLS-terminating gateway.
      expect(code(await http(`${s.url}/saltbank/v1/accounts`))).toBe('CERTIFICATE_MISSING');
      const counters = (await http(`${s.url}/saltbank/sandbox/counters?consentId=${consentId}`)).json.counters;
      expect(counters).toEqual([]);
      // The same call with the QWAC works; OAuth and the PSU pages stay on the plain listener.
      expect((await tpp.get('/v1/accounts', token, consentId, PRESENT)).status).toBe(200);
    });

    it('answers CERTIFICATE_MISSING over mTLS without a certificate, CERTIFICATE_INVALID for one the sandbox CA did not issue', async () => {
      const anonymous = new Agent({ connect: { ca: s.ctx.ca.caPem } });
      const none = await http(`${s.mtlsUrl}/saltbank/v1/consents`, {
        method: 'POST',
        headers: { ...JSON_CT, ...bgHeaders({ 'psu-ip-address': '192.168.8.78' }) },
        body: JSON.stringify(consentBody()),
        dispatcher: anonymous,
      });
      expect([none.status, code(none)]).toEqual([401, 'CERTIFICATE_MISSING']);
      const strangerCa = await SandboxCa.load(new SandboxStore());
      const stranger = await strangerCa.issue({ subjectDn: 'CN=stranger, O=Elsewhere, C=DE' });
      const foreign = new Agent({
        connect: { ca: s.ctx.ca.caPem, cert: stranger.certificatePem, key: stranger.privateKeyPem },
      });
      const bad = await http(`${s.mtlsUrl}/saltbank/v1/consents`, {
        method: 'POST',
        headers: { ...JSON_CT, ...bgHeaders({ 'psu-ip-address': '192.168.8.78' }) },
        body: JSON.stringify(consentBody()),
        dispatcher: foreign,
      });
      expect([bad.status, code(bad)]).toEqual([401, 'CERTIFICATE_INVALID']);
      await Promise.all([anonymous.close(), foreign.close()]);
    });

    it('refuses a missing certificate before injecting faults', async () => {
      await http(`${s.url}/saltbank/sandbox/faults`, {
        method: 'PATCH',
        headers: JSON_CT,
        body: JSON.stringify({ failNext: { status: 503, count: 1 } }),
      });
      try {
        expect(code(await http(`${s.url}/saltbank/v1/consents/x/status`, { headers: bgHeaders() }))).toBe(
          'CERTIFICATE_MISSING',
        );
        expect((await tpp.xs2a('/v1/consents/x/status', { headers: bgHeaders() })).status).toBe(503);
      } finally {
        await http(`${s.url}/saltbank/sandbox/faults`, { method: 'DELETE' });
      }
    });
  });

  describe('consents', () => {
    it('creates a consent (received) with the scaOAuth link, echoes X-Request-ID and adds x-fapi-interaction-id', async () => {
      const r = await tpp.createConsent(consentBody(), { 'x-request-id': '99391c7e-ad88-49ec-a2ad-99ddcb1f7721' });
      expect(r.status).toBe(201);
      expect(r.json.consentStatus).toBe('received');
      expect(r.json._links.scaOAuth.href).toBe(`${s.url}/saltbank/.well-known/oauth-authorization-server`);
      expect(r.headers.get('x-request-id')).toBe('99391c7e-ad88-49ec-a2ad-99ddcb1f7721');
      expect(r.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.get('location')).toContain(`/saltbank/v1/consents/${r.json.consentId}`);
      const st = await tpp.xs2a(`/v1/consents/${r.json.consentId}/status`, { headers: bgHeaders() });
      expect(st.json).toEqual({ consentStatus: 'received' });
    });

    it('answers 400 FORMAT_ERROR without X-Request-ID, on any endpoint', async () => {
      const r = await tpp.xs2a('/v1/consents', {
        method: 'POST',
        headers: { ...JSON_CT, 'psu-ip-address': '1.2.3.4' },
        body: JSON.stringify(consentBody()),
      });
      expect(r.status).toBe(400);
      expect(r.json.tppMessages[0]).toMatchObject({ category: 'ERROR', code: 'FORMAT_ERROR' });
      expect(r.headers.get('x-fapi-interaction-id')).toBeTruthy();
      expect((await tpp.xs2a('/v1/accounts', { headers: { 'consent-id': 'x' } })).status).toBe(400);
    });

    it.each([
      ['frequencyPerDay 5', { frequencyPerDay: 5 }],
      ['frequencyPerDay 0', { frequencyPerDay: 0 }],
      ['validUntil beyond 180 days', { validUntil: '2026-09-07' }],
      ['validUntil in the past', { validUntil: '2026-03-09' }],
      ['one-off with frequency 2', { recurringIndicator: false, frequencyPerDay: 2, validUntil: '2026-03-10' }],
      ['one-off valid beyond today', { recurringIndicator: false, frequencyPerDay: 1, validUntil: '2026-03-11' }],
      ['combined service', { combinedServiceIndicator: true }],
      ['missing recurringIndicator', { recurringIndicator: undefined }],
      ['an invalid IBAN', { access: { accounts: [{ iban: 'DE00123' }] } }],
      ['allPsd2 with account lists', { access: { allPsd2: 'allAccounts', accounts: [] } }],
    ])('rejects a consent with %s', async (_name, overrides) => {
      const r = await tpp.createConsent(consentBody(overrides));
      expect(r.status).toBe(400);
      expect(r.json.tppMessages[0].category).toBe('ERROR');
    });

    it('accepts validUntil at the 180-day cap, 9999-12-31 as the cap, and a one-off consent for today', async () => {
      expect((await tpp.createConsent(consentBody({ validUntil: '2026-09-06' }))).status).toBe(201);
      const max = await tpp.createConsent(consentBody({ validUntil: '9999-12-31' }));
      const info = await tpp.xs2a(`/v1/consents/${max.json.consentId}`, { headers: bgHeaders() });
      expect(info.json.validUntil).toBe('2026-09-06');
      expect(
        (
          await tpp.createConsent(
            consentBody({ recurringIndicator: false, frequencyPerDay: 1, validUntil: '2026-03-10' }),
          )
        ).status,
      ).toBe(201);
    });

    it('requires PSU-IP-Address on consent creation', async () => {
      const r = await tpp.xs2a('/v1/consents', {
        method: 'POST',
        headers: { ...JSON_CT, ...bgHeaders() },
        body: JSON.stringify(consentBody()),
      });
      expect(r.status).toBe(400);
    });

    it('becomes valid after SCA, fills bank-offered lists, and DELETE terminates it', async () => {
      const c = await tpp.createConsent(consentBody({ access: { accounts: [], balances: [], transactions: [] } }));
      const { final, verifier } = await tpp.authorise(c.json.consentId);
      const code = new URL(final).searchParams.get('code')!;
      expect(new URL(final).searchParams.get('state')).toBe('bg-state');
      const t = await tpp.token(code, verifier);
      expect(t.status).toBe(200);
      expect(t.json.scope).toBe(`AIS:${c.json.consentId}`);
      const info = await tpp.xs2a(`/v1/consents/${c.json.consentId}`, { headers: bgHeaders() });
      expect(info.json.consentStatus).toBe('valid');
      expect(info.json.access.transactions.length).toBe(2);
      expect(info.json.access.transactions[0].iban).toMatch(/^DE\d{20}$/);
      const del = await tpp.xs2a(`/v1/consents/${c.json.consentId}`, { method: 'DELETE', headers: bgHeaders() });
      expect(del.status).toBe(204);
      expect(
        (await tpp.xs2a(`/v1/consents/${c.json.consentId}/status`, { headers: bgHeaders() })).json.consentStatus,
      ).toBe('terminatedByTpp');
      // The consent's state, not the token it took down with it (Berlin Group 401 codes).
      const after = await tpp.get('/v1/accounts', t.json.access_token, c.json.consentId);
      expect(after.status).toBe(401);
      expect(after.json.tppMessages[0].code).toBe('CONSENT_INVALID');
      expect(after.json.tppMessages[0].text).toContain('terminatedByTpp');
      // A token that was never this consent's learns nothing about it.
      const stranger = await tpp.get('/v1/accounts', 'not-a-token', c.json.consentId);
      expect([stranger.status, stranger.json.tppMessages[0].code]).toEqual([401, 'TOKEN_INVALID']);
    });

    it('is rejected when the PSU denies', async () => {
      const c = await tpp.createConsent();
      const { final } = await tpp.authorise(c.json.consentId, PSUS.max, undefined, 'deny');
      expect(new URL(final).searchParams.get('error')).toBe('access_denied');
      expect(
        (await tpp.xs2a(`/v1/consents/${c.json.consentId}/status`, { headers: bgHeaders() })).json.consentStatus,
      ).toBe('rejected');
    });

    it('expires on the bank clock after validUntil', async () => {
      const { consentId, token } = await tpp.validConsent(consentBody({ validUntil: '2026-03-11' }));
      await advance({ days: 2 });
      const r = await tpp.get('/v1/accounts', token, consentId);
      expect(r.status).toBe(401);
      // The token has expired too, but the consent is what the TPP must renew.
      expect(r.json.tppMessages[0].code).toBe('CONSENT_EXPIRED');
      expect((await tpp.xs2a(`/v1/consents/${consentId}/status`, { headers: bgHeaders() })).json.consentStatus).toBe(
        'expired',
      );
    });
  });

  describe('OAuth2 SCA approach', () => {
    it('requires PKCE S256 and scope AIS:<consentId>', async () => {
      const c = await tpp.createConsent();
      const base = { response_type: 'code', client_id: tpp.clientId, state: 'x', redirect_uri: SALT_REDIRECT };
      const noPkce = await http(
        `${s.url}/saltbank/oauth/authorize?${new URLSearchParams({ ...base, scope: `AIS:${c.json.consentId}` }).toString()}`,
      );
      expect(new URL(noPkce.location!).searchParams.get('error')).toBe('invalid_request');
      const plain = await http(
        `${s.url}/saltbank/oauth/authorize?${new URLSearchParams({ ...base, scope: `AIS:${c.json.consentId}`, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }).toString()}`,
      );
      expect(new URL(plain.location!).searchParams.get('error')).toBe('invalid_request');
      const badScope = await http(
        `${s.url}/saltbank/oauth/authorize?${new URLSearchParams({ ...base, scope: 'accounts', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }).toString()}`,
      );
      expect(new URL(badScope.location!).searchParams.get('error')).toBe('invalid_scope');
    });

    it('refuses a wrong code_verifier and refreshes with the refresh token', async () => {
      const c = await tpp.createConsent();
      const { final, verifier } = await tpp.authorise(c.json.consentId);
      const code = new URL(final).searchParams.get('code')!;
      // Another last character (a fixed one would equal the real verifier's 1 time in 64).
      const wrong = await tpp.token(code, `${verifier.slice(0, -1)}${verifier.endsWith('A') ? 'B' : 'A'}`);
      expect(wrong.status).toBe(400);
      expect(wrong.json.error).toBe('invalid_grant');
      const { refresh } = await tpp.validConsent();
      const r = await http(`${s.url}/saltbank/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=refresh_token&client_id=${tpp.clientId}&refresh_token=${refresh}`,
      });
      expect(r.status).toBe(200);
    });
  });

  describe('account information', () => {
    let consentId: string;
    let token: string;
    let accountId: string;

    beforeAll(async () => {
      ({ consentId, token } = await tpp.validConsent(consentBody(), PSUS.erika));
      accountId = (await tpp.get('/v1/accounts', token, consentId, PRESENT)).json.accounts[0].resourceId;
    });

    it('lists accounts with IBAN, links and no owner name unless asked', async () => {
      const r = await tpp.get('/v1/accounts', token, consentId, PRESENT);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-fapi-interaction-id')).toBeTruthy();
      expect(r.json.accounts).toHaveLength(3);
      expect(r.json.accounts[0]).toMatchObject({ currency: 'EUR', status: 'enabled' });
      expect(r.json.accounts[0].ownerName).toBeUndefined();
      expect(r.json.accounts[0]._links.balances.href).toBe(`/saltbank/v1/accounts/${accountId}/balances`);
      expect((await tpp.get(`/v1/accounts/${accountId}`, token, consentId, PRESENT)).json.account.resourceId).toBe(
        accountId,
      );
    });

    it('answers Berlin Group balance types with signed decimal amounts', async () => {
      const r = await tpp.get(`/v1/accounts/${accountId}/balances`, token, consentId, PRESENT);
      expect(r.status).toBe(200);
      expect(r.json.balances.map((b: { balanceType: string }) => b.balanceType)).toEqual([
        'closingBooked',
        'interimBooked',
        'interimAvailable',
        'expected',
      ]);
      for (const b of r.json.balances) expect(b.balanceAmount.amount).toMatch(/^-?\d+\.\d{2}$/);
    });

    it('answers booked, pending, both, information and all', async () => {
      const q = (status: string) =>
        tpp.get(
          `/v1/accounts/${accountId}/transactions?bookingStatus=${status}&dateFrom=2026-02-01`,
          token,
          consentId,
          PRESENT,
        );
      const booked = await q('booked');
      expect(booked.json.transactions.booked.length).toBeGreaterThan(0);
      expect(booked.json.transactions.pending).toBeUndefined();
      const pending = await q('pending');
      expect(pending.json.transactions.booked).toBeUndefined();
      expect(Array.isArray(pending.json.transactions.pending)).toBe(true);
      const both = await q('both');
      expect(both.json.transactions.booked.length).toBe(booked.json.transactions.booked.length);
      const info = await tpp.get(
        `/v1/accounts/${accountId}/transactions?bookingStatus=information`,
        token,
        consentId,
        PRESENT,
      );
      expect(info.json.transactions.information.length).toBeGreaterThan(0);
      expect(info.json.transactions.information[0].additionalInformationStructured.standingOrderDetails.frequency).toBe(
        'Monthly',
      );
      expect((await q('all')).json.transactions.information.length).toBeGreaterThan(0);
      expect((await q('everything')).status).toBe(400);
      expect(
        (await tpp.get(`/v1/accounts/${accountId}/transactions?bookingStatus=booked`, token, consentId, PRESENT))
          .status,
      ).toBe(400);
    });

    it('pages with _links.next and the pages add up to the oracle', async () => {
      const c = await tpp.validConsent(consentBody(), PSUS.erika);
      let next: string | undefined =
        `/v1/accounts/${accountId}/transactions?bookingStatus=both&dateFrom=2024-01-01&itemsPerPage=50`;
      const booked: any[] = [];
      const pending: any[] = [];
      let pages = 0;
      while (next) {
        const r = await tpp.get(next, c.token, c.consentId, PRESENT);
        expect(r.status).toBe(200);
        booked.push(...(r.json.transactions.booked ?? []));
        pending.push(...(r.json.transactions.pending ?? []));
        next = r.json.transactions._links.next?.href;
        pages++;
      }
      expect(pages).toBeGreaterThan(5);
      const summary = (await http(`${s.url}/saltbank/sandbox/psus/erika/summary`)).json.accounts.find(
        (a: { accountId: string }) => a.accountId === accountId,
      );
      expect(booked).toHaveLength(summary.booked.count);
      expect(pending).toHaveLength(summary.pending.count);
      const sum = (ts: { transactionAmount: { amount: string } }[]) =>
        decimalSum(ts.map((t) => t.transactionAmount.amount));
      expect(sum(booked)).toBe(new Decimal(summary.booked.sum).toString());
      expect(sum(pending)).toBe(new Decimal(summary.pending.sum).toString());
    });

    it('serves transaction details by transactionId', async () => {
      const list = await tpp.get(
        `/v1/accounts/${accountId}/transactions?bookingStatus=booked&dateFrom=2026-02-01`,
        token,
        consentId,
        PRESENT,
      );
      const withId = list.json.transactions.booked.find((t: { transactionId?: string }) => t.transactionId);
      const r = await tpp.get(
        `/v1/accounts/${accountId}/transactions/${withId.transactionId}`,
        token,
        consentId,
        PRESENT,
      );
      expect(r.status).toBe(200);
      expect(r.json.transactionsDetails.transactionId).toBe(withId.transactionId);
      expect((await tpp.get(`/v1/accounts/${accountId}/transactions/nope`, token, consentId, PRESENT)).status).toBe(
        404,
      );
    });

    it('refuses a token of another consent and a consent that does not cover balances', async () => {
      const other = await tpp.validConsent();
      const wrong = await tpp.get('/v1/accounts', other.token, consentId, PRESENT);
      expect([wrong.status, wrong.json.tppMessages[0].code]).toEqual([401, 'TOKEN_INVALID']);
      const accountsOnly = await tpp.validConsent(consentBody({ access: { availableAccounts: 'allAccounts' } }));
      const id = (await tpp.get('/v1/accounts', accountsOnly.token, accountsOnly.consentId, PRESENT)).json.accounts[0]
        .resourceId;
      const r = await tpp.get(`/v1/accounts/${id}/balances`, accountsOnly.token, accountsOnly.consentId, PRESENT);
      expect(r.status).toBe(401);
      expect(r.json.tppMessages[0].code).toBe('CONSENT_INVALID');
    });
  });

  describe('90-day rule', () => {
    it('serves full history in the first 10 minutes after authorisation and rejects older than 90 days afterwards', async () => {
      const { consentId, token } = await tpp.validConsent();
      const id = (await tpp.get('/v1/accounts', token, consentId, PRESENT)).json.accounts[0].resourceId;
      const old = () =>
        tpp.get(`/v1/accounts/${id}/transactions?bookingStatus=booked&dateFrom=2025-01-01`, token, consentId, PRESENT);
      expect((await old()).status).toBe(200);
      await advance({ minutes: 11 });
      const r = await old();
      expect(r.status).toBe(400);
      expect(r.json.tppMessages[0].code).toBe('PERIOD_INVALID');
      const recent = await tpp.get(
        `/v1/accounts/${id}/transactions?bookingStatus=booked&dateFrom=2025-12-11`,
        token,
        consentId,
        PRESENT,
      );
      expect(recent.status).toBe(200);
    });
  });

  describe('frequencyPerDay', () => {
    it('answers the 5th unattended call per account and resource with 429 ACCESS_EXCEEDED; PSU-present calls do not count; the next bank day resets', async () => {
      const { consentId, token, refresh } = await tpp.validConsent();
      const accounts = await tpp.get('/v1/accounts', token, consentId, PRESENT);
      const id = accounts.json.accounts[0].resourceId;
      const balances = (h: Record<string, string> = {}) => tpp.get(`/v1/accounts/${id}/balances`, token, consentId, h);
      for (let i = 0; i < 4; i++) expect((await balances()).status).toBe(200);
      const fifth = await balances();
      expect(fifth.status).toBe(429);
      expect(fifth.json.tppMessages[0].code).toBe('ACCESS_EXCEEDED');
      expect((await balances(PRESENT)).status).toBe(200);
      expect(
        (await tpp.get(`/v1/accounts/${id}/transactions?bookingStatus=booked&dateFrom=2026-03-01`, token, consentId))
          .status,
      ).toBe(200);
      const counters = (await http(`${s.url}/saltbank/sandbox/counters?consentId=${consentId}`)).json.counters;
      expect(counters.find((c: any) => c.accountId === id && c.resource === 'balances')).toMatchObject({
        unattended: 4,
        psuPresent: 1,
        rejected429: 1,
      });
      await setClock('2026-03-11T00:30:00+01:00');
      const t = await http(`${s.url}/saltbank/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=refresh_token&client_id=${tpp.clientId}&refresh_token=${refresh}`,
      });
      expect((await tpp.get(`/v1/accounts/${id}/balances`, t.json.access_token, consentId)).status).toBe(200);
    });

    it('limits a frequencyPerDay 1 consent to one unattended call', async () => {
      const { consentId, token } = await tpp.validConsent(consentBody({ frequencyPerDay: 1 }));
      expect((await tpp.get('/v1/accounts', token, consentId)).status).toBe(200);
      expect((await tpp.get('/v1/accounts', token, consentId)).status).toBe(429);
    });
  });

  describe('dedicated-account consents, card accounts and standing orders (seed 002)', () => {
    type PsuAccount = { accountId: string; kind: string; identifiers: { scheme: string; identification: string }[] };
    const accountsOf = async (username: string): Promise<PsuAccount[]> =>
      (await http(`${s.url}/saltbank/sandbox/psus`)).json.psus.find(
        (p: { username: string }) => p.username === username,
      ).accounts;
    const ibanOf = (a: PsuAccount) => a.identifiers.find((i) => i.scheme === 'iban')!.identification;

    it('refuses a dedicated consent naming an IBAN unknown to the bank, or (with PSU-ID) not the PSU’s: 400 RESOURCE_UNKNOWN', async () => {
      const unknown = await tpp.createConsent(
        consentBody({ access: { accounts: [{ iban: 'DE89370400440532013000' }], balances: [] } }),
      );
      expect(unknown.status).toBe(400);
      expect(unknown.json.tppMessages[0]).toMatchObject({
        category: 'ERROR',
        code: 'RESOURCE_UNKNOWN',
        path: 'access.accounts',
      });
      const [erikas] = await accountsOf('erika');
      const notMax = await tpp.createConsent(consentBody({ access: { accounts: [{ iban: ibanOf(erikas) }] } }), {
        'psu-id': 'max',
      });
      expect([notMax.status, notMax.json.tppMessages[0].code]).toEqual([400, 'RESOURCE_UNKNOWN']);
      const hers = await tpp.createConsent(consentBody({ access: { accounts: [{ iban: ibanOf(erikas) }] } }), {
        'psu-id': 'erika',
      });
      expect(hers.status).toBe(201);
    });

    it('offers and grants only the named accounts: the consent page, the account list and the consent’s access', async () => {
      const [, savings, business] = await accountsOf('erika');
      const c = await tpp.createConsent(
        consentBody({
          access: {
            accounts: [{ iban: ibanOf(savings) }, { iban: ibanOf(business) }],
            balances: [{ iban: ibanOf(savings) }],
          },
        }),
      );
      expect(c.status).toBe(201);
      let offered: string[] = [];
      const { final, verifier } = await tpp.authorise(c.json.consentId, PSUS.erika, (ids) => (offered = ids));
      expect(offered.sort()).toEqual([savings.accountId, business.accountId].sort());
      const t = await tpp.token(new URL(final).searchParams.get('code')!, verifier);
      const list = await tpp.get('/v1/accounts', t.json.access_token, c.json.consentId, PRESENT);
      expect(list.json.accounts.map((a: { resourceId: string }) => a.resourceId).sort()).toEqual(offered.sort());
      expect(
        (await tpp.get(`/v1/accounts/${savings.accountId}/balances`, t.json.access_token, c.json.consentId, PRESENT))
          .status,
      ).toBe(200);
      // Balances were asked for the savings account only.
      const refused = await tpp.get(
        `/v1/accounts/${business.accountId}/balances`,
        t.json.access_token,
        c.json.consentId,
        PRESENT,
      );
      expect([refused.status, refused.json.tppMessages[0].code]).toEqual([401, 'CONSENT_INVALID']);
      const info = await tpp.xs2a(`/v1/consents/${c.json.consentId}`, { headers: bgHeaders() });
      expect(info.json.access.balances).toEqual([{ iban: ibanOf(savings) }]);
    });

    it('serves card accounts on /v1/card-accounts only: the masked PAN, balances with the credit limit, card transactions', async () => {
      const { consentId, token } = await tpp.validConsent(consentBody(), PSUS.jonas);
      const [giro, card] = await accountsOf('jonas');
      expect(card.kind).toBe('credit_card');
      const accounts = await tpp.get('/v1/accounts', token, consentId, PRESENT);
      expect(accounts.json.accounts.map((a: { resourceId: string }) => a.resourceId)).toEqual([giro.accountId]);
      const cards = await tpp.get('/v1/card-accounts', token, consentId, PRESENT);
      expect(cards.json.cardAccounts).toEqual([
        expect.objectContaining({
          resourceId: card.accountId,
          maskedPan: card.identifiers[0].identification,
          currency: 'EUR',
          creditLimit: { currency: 'EUR', amount: expect.stringMatching(/^\d+\.00$/) },
        }),
      ]);
      expect(cards.json.cardAccounts[0].maskedPan).toMatch(/^535522x{6}\d{4}$/);
      expect(cards.json.cardAccounts[0].balances).toBeUndefined();
      // Each kind on its own endpoints.
      expect((await tpp.get(`/v1/accounts/${card.accountId}`, token, consentId, PRESENT)).status).toBe(404);
      expect((await tpp.get(`/v1/card-accounts/${giro.accountId}`, token, consentId, PRESENT)).status).toBe(404);
      const balances = await tpp.get(`/v1/card-accounts/${card.accountId}/balances`, token, consentId, PRESENT);
      const available = balances.json.balances.find(
        (b: { balanceType: string }) => b.balanceType === 'interimAvailable',
      );
      const booked = balances.json.balances.find((b: { balanceType: string }) => b.balanceType === 'interimBooked');
      expect(available.creditLimitIncluded).toBe(true);
      expect(new Decimal(available.balanceAmount.amount).gt(booked.balanceAmount.amount)).toBe(true);
      const tx = await tpp.get(
        `/v1/card-accounts/${card.accountId}/transactions?bookingStatus=both&dateFrom=2026-02-01`,
        token,
        consentId,
        PRESENT,
      );
      expect(tx.status).toBe(200);
      const booked1 = tx.json.cardTransactions.booked[0];
      expect(booked1).toMatchObject({
        transactionAmount: { currency: 'EUR' },
        maskedPAN: card.identifiers[0].identification,
        transactionDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        bookingDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      expect(
        tx.json.cardTransactions.booked.some((t: { merchantCategoryCode?: string }) => t.merchantCategoryCode),
      ).toBe(true);
      const info = await tpp.get(
        `/v1/card-accounts/${card.accountId}/transactions?bookingStatus=information`,
        token,
        consentId,
        PRESENT,
      );
      expect([info.status, info.json.tppMessages[0].code]).toEqual([400, 'PARAMETER_NOT_SUPPORTED']);
    });

    it('returns standing orders for bookingStatus=information whatever dateFrom and dateTo say, counted as their own access', async () => {
      const { consentId, token } = await tpp.validConsent(consentBody());
      const [giro] = await accountsOf('max');
      await advance({ minutes: 11 });
      // Outside the first ten minutes, older than 90 days, and an inverted window: all ignored.
      const info = await tpp.get(
        `/v1/accounts/${giro.accountId}/transactions?bookingStatus=information&dateFrom=2025-01-01&dateTo=2024-01-01`,
        token,
        consentId,
      );
      expect(info.status).toBe(200);
      expect(info.json.transactions.information).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            transactionId: expect.any(String),
            remittanceInformationUnstructured: 'RENT',
            additionalInformationStructured: {
              standingOrderDetails: expect.objectContaining({ frequency: 'Monthly', dayOfExecution: '1' }),
            },
          }),
        ]),
      );
      const counters = (await http(`${s.url}/saltbank/sandbox/counters?consentId=${consentId}`)).json.counters;
      expect(counters).toEqual([expect.objectContaining({ accountId: giro.accountId, resource: 'standingOrders' })]);
    });
  });
});
