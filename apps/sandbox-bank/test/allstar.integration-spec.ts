import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { RunningSandbox } from '../src/sandbox.js';
import { AllstarTpp, REDIRECT } from './allstar-tpp.js';
import { drivePsuPages, http, JSON_CT, PSUS, redirectParams, signedSum, startTestSandbox } from './harness.js';
import { Decimal } from '../src/core/money.js';

// Real HTTP, real crypto and generated history per account: well above Jest's 5 s default.
jest.setTimeout(60_000);

const PRESENT = { 'x-fapi-customer-ip-address': '10.0.0.1' };

function halfHash(v: string) {
  const d = createHash('sha256').update(v).digest();
  return d.subarray(0, 16).toString('base64url');
}

describe('Allstar (OBIE 3.1 + DCR + mTLS)', () => {
  let s: RunningSandbox;
  let tpp: AllstarTpp;

  beforeAll(async () => {
    s = await startTestSandbox();
    tpp = await AllstarTpp.onboard(s, 'client_secret_basic');
  });
  afterAll(() => s.close());

  it('publishes OIDC discovery with the hybrid flow, PS256 and the mTLS aliases', async () => {
    const r = await http(`${s.url}/allstar/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    expect(r.json.issuer).toBe(`${s.url}/allstar`);
    expect(r.json.response_types_supported).toContain('code id_token');
    expect(r.json.request_object_signing_alg_values_supported).toEqual(['PS256']);
    expect(r.json.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'private_key_jwt', 'tls_client_auth']),
    );
    expect(r.json.mtls_endpoint_aliases.token_endpoint).toBe(`${s.mtlsUrl}/allstar/token`);
  });

  describe('dynamic client registration', () => {
    it('registers a client from a directory-signed software statement and answers id and secret', () => {
      expect(tpp.clientId).toMatch(/^[0-9a-f-]{36}$/);
      expect(tpp.clientSecret.length).toBeGreaterThan(10);
      expect(tpp.registration.software_statement).toBeDefined();
      expect(tpp.registration.token_endpoint_auth_method).toBe('client_secret_basic');
    });

    it('rejects a software statement not signed by the directory', async () => {
      const [h, p] = tpp.registration.software_statement.split('.');
      const forged = `${h}.${p}.${Buffer.from('not-a-signature').toString('base64url')}`;
      const r = await tpp.register({}, forged);
      expect(r.status).toBe(400);
      expect(r.json.error).toBe('invalid_software_statement');
    });

    it('rejects a redirect URI that the software statement does not list', async () => {
      const r = await tpp.register({ redirect_uris: ['https://evil.example/cb'] }, tpp.registration.software_statement);
      expect(r.status).toBe(400);
      expect(r.json.error).toBe('invalid_redirect_uri');
    });

    it('rejects an unsupported auth method and a non-UUID jti', async () => {
      const a = await tpp.register(
        { token_endpoint_auth_method: 'client_secret_post' },
        tpp.registration.software_statement,
      );
      expect(a.status).toBe(400);
      const b = await tpp.register({ jti: 'abc' }, tpp.registration.software_statement);
      expect(b.status).toBe(400);
      expect(b.json.error).toBe('invalid_client_metadata');
    });

    it('rejects a registration request signed with a key outside the software JWKS', async () => {
      const other = await AllstarTpp.onboard(s, 'client_secret_basic');
      const r = await http(`${s.url}/allstar/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/jwt' },
        body: await other.registrationJwt(
          { iss: tpp.softwareId, software_id: tpp.softwareId },
          tpp.registration.software_statement,
        ),
      });
      expect(r.status).toBe(400);
    });

    it('reads and deletes a registration with the client’s own token', async () => {
      const t = await AllstarTpp.onboard(s, 'client_secret_basic');
      const token = await t.clientToken();
      const got = await http(`${s.url}/allstar/register/${t.clientId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(got.status).toBe(200);
      expect(got.json.client_id).toBe(t.clientId);
      expect(
        (
          await http(`${s.url}/allstar/register/${t.clientId}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${token}` },
          })
        ).status,
      ).toBe(204);
      expect((await t.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' })).status).toBe(401);
    });
  });

  describe('client authentication', () => {
    it('issues tokens with client_secret_basic and refuses a wrong secret', async () => {
      expect(await tpp.clientToken()).toBeTruthy();
      const r = await http(`${s.url}/allstar/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${tpp.clientId}:wrong`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=accounts',
      });
      expect(r.status).toBe(401);
      expect(r.json.error).toBe('invalid_client');
    });

    it('issues tokens with private_key_jwt and refuses a secret for that client', async () => {
      const jwtClient = await AllstarTpp.onboard(s, 'private_key_jwt');
      expect(await jwtClient.clientToken()).toBeTruthy();
      const r = await http(`${s.url}/allstar/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${jwtClient.clientId}:${jwtClient.clientSecret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=accounts',
      });
      expect(r.status).toBe(401);
    });

    it('authenticates tls_client_auth by certificate subject over mTLS and binds the token to the certificate', async () => {
      const tls = await AllstarTpp.onboard(s, 'tls_client_auth');
      const token = await tls.clientToken();
      const consent = await http(`${tls.aisBase(true)}/account-access-consents`, {
        method: 'POST',
        headers: { ...JSON_CT, authorization: `Bearer ${token}` },
        body: JSON.stringify({ Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} }),
        dispatcher: tls.mtls,
      });
      expect(consent.status).toBe(201);
      // The same token without the certificate (plain HTTP port) is refused.
      const plain = await http(`${tls.aisBase(false)}/account-access-consents/${consent.json.Data.ConsentId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(plain.status).toBe(401);
      // tls_client_auth over plain HTTP has no certificate to check.
      const noCert = await http(`${s.url}/allstar/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&scope=accounts&client_id=${tls.clientId}`,
      });
      expect(noCert.status).toBe(401);
    });

    it('completes the whole consent flow for a tls_client_auth client with certificate-bound tokens', async () => {
      const tls = await AllstarTpp.onboard(s, 'tls_client_auth');
      const { accessToken } = await tls.authorisedConsent();
      expect((await tls.get('/accounts', accessToken, {}, true)).status).toBe(200);
      expect((await tls.get('/accounts', accessToken, {}, false)).status).toBe(401);
    });

    it('links pages to the listener the request came in on, so a certificate-bound token can follow them', async () => {
      const tls = await AllstarTpp.onboard(s, 'tls_client_auth');
      const { accessToken } = await tls.authorisedConsent();
      const id = (await tls.get('/accounts', accessToken, PRESENT, true)).json.Data.Account[0].AccountId;
      const first = await tls.get(`/accounts/${id}/transactions`, accessToken, PRESENT, true);
      expect(first.status).toBe(200);
      for (const link of Object.values(first.json.Links as Record<string, string>))
        expect(link.startsWith(`${s.mtlsUrl}/allstar/`)).toBe(true);
      const second = await tls.get(first.json.Links.Next, accessToken, PRESENT, true);
      expect(second.status).toBe(200);
      expect(second.json.Links.Self).toBe(first.json.Links.Next);
      const accounts = await tls.get('/accounts', accessToken, PRESENT, true);
      expect(accounts.json.Links.Self).toBe(`${tls.aisBase(true)}/accounts`);
      // A plain-HTTP client gets plain-HTTP links.
      const plain = await tpp.authorisedConsent();
      const plainPage = await tpp.get(
        `/accounts/${(await tpp.get('/accounts', plain.accessToken, PRESENT)).json.Data.Account[0].AccountId}/transactions`,
        plain.accessToken,
        PRESENT,
      );
      expect(plainPage.json.Links.Next.startsWith(`${s.url}/allstar/`)).toBe(true);
    });
  });

  describe('account-access-consents', () => {
    it('creates a consent AwaitingAuthorisation with the 90-day default and cap', async () => {
      const r = await tpp.createConsent();
      expect(r.status).toBe(201);
      expect(r.headers.get('x-fapi-interaction-id')).toBeTruthy();
      expect(r.json.Data.Status).toBe('AwaitingAuthorisation');
      const created = Date.parse(r.json.Data.CreationDateTime);
      expect(Date.parse(r.json.Data.ExpirationDateTime) - created).toBe(90 * 86_400_000);
      const longer = await tpp.createConsent(undefined, { ExpirationDateTime: '2027-03-10T10:00:00+00:00' });
      expect(Date.parse(longer.json.Data.ExpirationDateTime) - Date.parse(longer.json.Data.CreationDateTime)).toBe(
        90 * 86_400_000,
      );
      const shorter = await tpp.createConsent(undefined, { ExpirationDateTime: '2026-03-20T10:00:00+00:00' });
      expect(shorter.json.Data.ExpirationDateTime).toBe('2026-03-20T10:00:00+00:00');
    });

    it('echoes the caller’s x-fapi-interaction-id', async () => {
      const token = await tpp.clientToken();
      const r = await http(`${tpp.aisBase()}/account-access-consents/nope`, {
        headers: { authorization: `Bearer ${token}`, 'x-fapi-interaction-id': 'abc-123' },
      });
      expect(r.headers.get('x-fapi-interaction-id')).toBe('abc-123');
    });

    it('rejects what OBReadConsent1 forbids with OBErrorResponse1', async () => {
      const token = await tpp.clientToken();
      const post = (body: unknown) =>
        http(`${tpp.aisBase()}/account-access-consents`, {
          method: 'POST',
          headers: { ...JSON_CT, authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
      for (const body of [
        { Data: { Permissions: ['ReadAccountsBasic'] } },
        { Data: { Permissions: [] }, Risk: {} },
        { Data: { Permissions: ['ReadEverything'] }, Risk: {} },
        { Data: { Permissions: ['ReadAccountsBasic'], Colour: 'blue' }, Risk: {} },
        { Data: { Permissions: ['ReadTransactionsDetail'] }, Risk: {} },
        { Data: { Permissions: ['ReadAccountsBasic'], ExpirationDateTime: 'tomorrow' }, Risk: {} },
      ]) {
        const r = await post(body);
        expect(r.status).toBe(400);
        expect(r.json.Errors[0].ErrorCode).toMatch(/^UK\.OBIE\./);
      }
      const bad = await http(`${tpp.aisBase()}/account-access-consents`, {
        method: 'POST',
        headers: { ...JSON_CT, authorization: `Bearer ${token}` },
        body: '{"Data":',
      });
      expect(bad.status).toBe(400);
      expect(bad.json.Code).toBe('400 BadRequest');
    });

    it('needs a client-credentials token, and DELETE revokes the consent and its tokens', async () => {
      expect(
        (await http(`${tpp.aisBase()}/account-access-consents`, { method: 'POST', headers: JSON_CT, body: '{}' }))
          .status,
      ).toBe(401);
      const { consentId, accessToken } = await tpp.authorisedConsent();
      const token = await tpp.clientToken();
      const del = await http(`${tpp.aisBase()}/account-access-consents/${consentId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(del.status).toBe(204);
      const after = await http(`${tpp.aisBase()}/account-access-consents/${consentId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(after.json.Data.Status).toBe('Revoked');
      expect((await tpp.get('/accounts', accessToken)).status).toBe(401);
    });
  });

  describe('authorisation (OIDC hybrid flow)', () => {
    it('redirects with code, id_token and state in the fragment; the id_token carries c_hash, s_hash and nonce', async () => {
      const { params, consentId, tokens } = await tpp.authorisedConsent();
      expect(params.get('state')).toBe('st-123');
      const jwks = createRemoteJWKSet(new URL(`${s.url}/allstar/jwks`));
      const { payload, protectedHeader } = await jwtVerify(params.get('id_token')!, jwks, {
        issuer: `${s.url}/allstar`,
        audience: tpp.clientId,
      });
      expect(protectedHeader.alg).toBe('PS256');
      expect(payload.nonce).toBe('n-456');
      expect(payload.c_hash).toBe(halfHash(params.get('code')!));
      expect(payload.s_hash).toBe(halfHash('st-123'));
      expect(payload.openbanking_intent_id).toBe(consentId);
      expect(tokens.refresh_token).toBeTruthy();
      const token = await tpp.clientToken();
      const c = await http(`${tpp.aisBase()}/account-access-consents/${consentId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(c.json.Data.Status).toBe('Authorised');
    });

    it('uses the query with response_mode=query', async () => {
      const consent = await tpp.createConsent();
      const start = await http(await tpp.authorizeUrl(consent.json.Data.ConsentId, { response_mode: 'query' }));
      const final = await drivePsuPages(s.url, start.location!, PSUS.alice);
      expect(new URL(final).searchParams.get('code')).toBeTruthy();
      expect(new URL(final).hash).toBe('');
    });

    it('requires a signed request object and refuses one signed by another key', async () => {
      const consent = await tpp.createConsent();
      const none = await http(
        `${s.url}/allstar/authorize?client_id=${tpp.clientId}&response_type=code%20id_token&scope=openid%20accounts&redirect_uri=${encodeURIComponent(REDIRECT)}`,
      );
      expect(none.status).toBe(400);
      const other = await AllstarTpp.onboard(s);
      const forged = await other.requestObject(consent.json.Data.ConsentId, { client_id: tpp.clientId });
      const r = await http(`${s.url}/allstar/authorize?client_id=${tpp.clientId}&request=${forged}`);
      expect(r.status).toBe(400);
    });

    it('redirects with error=access_denied when the PSU denies, and the consent becomes Rejected', async () => {
      const consent = await tpp.createConsent();
      const start = await http(await tpp.authorizeUrl(consent.json.Data.ConsentId));
      const final = await drivePsuPages(s.url, start.location!, { ...PSUS.alice, decision: 'deny' });
      expect(redirectParams(final).get('error')).toBe('access_denied');
      expect(redirectParams(final).get('state')).toBe('st-123');
      const token = await tpp.clientToken();
      const c = await http(`${tpp.aisBase()}/account-access-consents/${consent.json.Data.ConsentId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(c.json.Data.Status).toBe('Rejected');
    });

    it('refreshes access tokens with the refresh token', async () => {
      const { tokens } = await tpp.authorisedConsent();
      const refreshed = await tpp.tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.json.access_token).not.toBe(tokens.access_token);
      expect((await tpp.get('/accounts', refreshed.json.access_token)).status).toBe(200);
    });

    it('refuses a code used twice and revokes what the code issued', async () => {
      const { params, accessToken } = await tpp.authorisedConsent();
      const again = await tpp.tokenRequest({
        grant_type: 'authorization_code',
        code: params.get('code')!,
        redirect_uri: REDIRECT,
      });
      expect(again.status).toBe(400);
      expect(again.json.error).toBe('invalid_grant');
      expect((await tpp.get('/accounts', accessToken)).status).toBe(401);
    });
  });

  describe('account information', () => {
    let token: string;
    let accountIds: string[];

    beforeAll(async () => {
      const flow = await tpp.authorisedConsent();
      token = flow.accessToken;
      accountIds = (
        await tpp.get('/accounts', token, { 'x-fapi-customer-ip-address': '10.0.0.1' })
      ).json.Data.Account.map((a: { AccountId: string }) => a.AccountId);
    });

    it('lists the consented accounts with identifiers, and the full PAN only with ReadPAN', async () => {
      const r = await tpp.get('/accounts', token, { 'x-fapi-customer-ip-address': '10.0.0.1' });
      expect(r.status).toBe(200);
      expect(r.json.Data.Account).toHaveLength(3);
      const card = r.json.Data.Account.find((a: { AccountSubType: string }) => a.AccountSubType === 'CreditCard');
      expect(card.Account[0].SchemeName).toBe('UK.OBIE.PAN');
      expect(card.Account[0].Identification).toMatch(/^\d{16}$/);
      const noPan = await tpp.authorisedConsent({ permissions: ['ReadAccountsDetail'] });
      const masked = (await tpp.get('/accounts', noPan.accessToken)).json.Data.Account.find(
        (a: { AccountSubType: string }) => a.AccountSubType === 'CreditCard',
      );
      expect(masked.Account[0].Identification).toMatch(/x{6}/);
    });

    it('answers balances with decimal strings and a credit line for the card', async () => {
      for (const id of accountIds) {
        const r = await tpp.get(`/accounts/${id}/balances`, token, { 'x-fapi-customer-ip-address': '10.0.0.1' });
        expect(r.status).toBe(200);
        for (const b of r.json.Data.Balance) expect(b.Amount.Amount).toMatch(/^\d+\.\d{2}$/);
      }
    });

    it('pages transactions with Links.Next and Meta.TotalPages, and the pages add up to the oracle', async () => {
      const id = accountIds[0];
      let url: string | undefined = `/accounts/${id}/transactions`;
      const seen: any[] = [];
      let pages = 0;
      let total = 0;
      while (url) {
        const r = await tpp.get(url, token, { 'x-fapi-customer-ip-address': '10.0.0.1' });
        expect(r.status).toBe(200);
        total = r.json.Meta.TotalPages;
        seen.push(...r.json.Data.Transaction);
        url = r.json.Links.Next;
        pages++;
      }
      expect(pages).toBe(total);
      expect(pages).toBeGreaterThan(5);
      const summary = (await http(`${s.url}/allstar/sandbox/psus/alice/summary`)).json.accounts.find(
        (a: { accountId: string }) => a.accountId === id,
      );
      const booked = seen.filter((t) => t.Status === 'Booked');
      const pending = seen.filter((t) => t.Status === 'Pending');
      expect(booked).toHaveLength(summary.booked.count);
      expect(pending).toHaveLength(summary.pending.count);
      expect(signedSum(booked)).toBe(new Decimal(summary.booked.sum).toString());
      expect(signedSum(pending)).toBe(new Decimal(summary.pending.sum).toString());
      expect(booked.some((t) => t.TransactionId === undefined)).toBe(true);
    });

    it('filters transactions by fromBookingDateTime / toBookingDateTime', async () => {
      const r = await tpp.get(
        `/accounts/${accountIds[0]}/transactions?fromBookingDateTime=2026-02-01T00:00:00&toBookingDateTime=2026-02-28T23:59:59`,
        token,
        { 'x-fapi-customer-ip-address': '10.0.0.1' },
      );
      expect(r.status).toBe(200);
      for (const t of r.json.Data.Transaction) {
        expect(t.BookingDateTime >= '2026-02-01').toBe(true);
        expect(t.BookingDateTime < '2026-03-01').toBe(true);
      }
      const bad = await tpp.get(`/accounts/${accountIds[0]}/transactions?fromBookingDateTime=yesterday`, token, {
        'x-fapi-customer-ip-address': '10.0.0.1',
      });
      expect(bad.status).toBe(400);
    });

    it('serves statements and statement transactions, party, beneficiaries, standing orders, direct debits and scheduled payments', async () => {
      const h = { 'x-fapi-customer-ip-address': '10.0.0.1' };
      const st = await tpp.get(`/accounts/${accountIds[0]}/statements`, token, h);
      expect(st.status).toBe(200);
      expect(st.json.Data.Statement.length).toBeGreaterThan(12);
      const sid = st.json.Data.Statement[0].StatementId;
      expect(
        (await tpp.get(`/accounts/${accountIds[0]}/statements/${sid}`, token, h)).json.Data.Statement,
      ).toHaveLength(1);
      const stx = await tpp.get(`/accounts/${accountIds[0]}/statements/${sid}/transactions`, token, h);
      expect(stx.status).toBe(200);
      expect(stx.json.Data.Transaction.length).toBeGreaterThan(0);
      expect((await tpp.get(`/accounts/${accountIds[0]}/party`, token, h)).json.Data.Party.PartyId).toBeTruthy();
      expect((await tpp.get('/party', token, h)).json.Data.Party.Name).toBe('Alice Carter');
      expect(
        (await tpp.get(`/accounts/${accountIds[0]}/beneficiaries`, token, h)).json.Data.Beneficiary.length,
      ).toBeGreaterThan(0);
      expect(
        (await tpp.get(`/accounts/${accountIds[0]}/standing-orders`, token, h)).json.Data.StandingOrder.length,
      ).toBeGreaterThan(0);
      expect(
        (await tpp.get(`/accounts/${accountIds[0]}/direct-debits`, token, h)).json.Data.DirectDebit.length,
      ).toBeGreaterThan(0);
      expect(
        (await tpp.get(`/accounts/${accountIds[0]}/scheduled-payments`, token, h)).json.Data.ScheduledPayment.length,
      ).toBeGreaterThan(0);
    });

    it('answers 403 for a resource the consent does not permit', async () => {
      const basic = await tpp.authorisedConsent({ permissions: ['ReadAccountsBasic'] });
      const id = (await tpp.get('/accounts', basic.accessToken)).json.Data.Account[0].AccountId;
      for (const path of [
        'balances',
        'transactions',
        'statements',
        'party',
        'beneficiaries',
        'standing-orders',
        'direct-debits',
        'scheduled-payments',
      ]) {
        const r = await tpp.get(`/accounts/${id}/${path}`, basic.accessToken);
        expect(r.status).toBe(403);
        expect(r.json.Errors[0].ErrorCode).toMatch(/^UK\.OBIE\./);
      }
      expect((await tpp.get('/party', basic.accessToken)).status).toBe(403);
    });

    it('refuses an account outside the consent and an unknown route', async () => {
      const bob = await tpp.authorisedConsent({ psu: PSUS.bob });
      const bobAccount = (await tpp.get('/accounts', bob.accessToken)).json.Data.Account[0].AccountId;
      expect(
        (await tpp.get(`/accounts/${bobAccount}`, token, { 'x-fapi-customer-ip-address': '10.0.0.1' })).status,
      ).toBe(400);
      expect((await tpp.get('/no-such-thing', token)).status).toBe(404);
    });

    it('shows only debits with ReadTransactionsDebits', async () => {
      const debits = await tpp.authorisedConsent({
        permissions: ['ReadAccountsBasic', 'ReadTransactionsDetail', 'ReadTransactionsDebits'],
      });
      const id = (await tpp.get('/accounts', debits.accessToken)).json.Data.Account[0].AccountId;
      const r = await tpp.get(`/accounts/${id}/transactions`, debits.accessToken);
      expect(
        r.json.Data.Transaction.every((t: { CreditDebitIndicator: string }) => t.CreditDebitIndicator === 'Debit'),
      ).toBe(true);
    });
  });

  describe('unattended access limit', () => {
    it('serves 4 unattended calls per account and resource in 24 h, answers 429 with Retry-After, and never limits PSU-present calls', async () => {
      const { accessToken, consentId, tokens } = await tpp.authorisedConsent();
      const id = (await tpp.get('/accounts', accessToken)).json.Data.Account[0].AccountId;
      for (let i = 0; i < 4; i++) expect((await tpp.get(`/accounts/${id}/balances`, accessToken)).status).toBe(200);
      const limited = await tpp.get(`/accounts/${id}/balances`, accessToken);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(80_000);
      expect((await tpp.get(`/accounts/${id}/transactions`, accessToken)).status).toBe(200);
      for (let i = 0; i < 3; i++)
        expect(
          (await tpp.get(`/accounts/${id}/balances`, accessToken, { 'x-fapi-customer-ip-address': '1.2.3.4' })).status,
        ).toBe(200);
      const counters = (await http(`${s.url}/allstar/sandbox/counters?consentId=${consentId}`)).json.counters;
      expect(counters.find((c: any) => c.accountId === id && c.resource === 'balances')).toMatchObject({
        unattended: 4,
        psuPresent: 3,
        rejected429: 1,
      });
      expect(counters.find((c: any) => c.accountId === '*' && c.resource === 'accounts')).toMatchObject({
        unattended: 1,
      });
      // 24 hours later on the bank clock the window has rolled (the 1 h access token has expired: refresh it).
      await http(`${s.url}/allstar/sandbox/clock/advance`, {
        method: 'POST',
        headers: JSON_CT,
        body: JSON.stringify({ hours: 24 }),
      });
      try {
        expect((await tpp.get(`/accounts/${id}/balances`, accessToken)).status).toBe(401);
        const fresh = (await tpp.tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }))
          .json.access_token;
        expect((await tpp.get(`/accounts/${id}/balances`, fresh)).status).toBe(200);
      } finally {
        await http(`${s.url}/allstar/sandbox/clock`, {
          method: 'PUT',
          headers: JSON_CT,
          body: JSON.stringify({ now: '2026-03-10T10:00:00Z' }),
        });
      }
    });

    it('honours a per-bank limit set through the control API', async () => {
      await http(`${s.url}/allstar/sandbox/faults`, {
        method: 'PATCH',
        headers: JSON_CT,
        body: JSON.stringify({ unattendedPerDay: 2 }),
      });
      try {
        const { accessToken } = await tpp.authorisedConsent();
        const id = (await tpp.get('/accounts', accessToken)).json.Data.Account[0].AccountId;
        expect((await tpp.get(`/accounts/${id}`, accessToken)).status).toBe(200);
        expect((await tpp.get(`/accounts/${id}`, accessToken)).status).toBe(200);
        expect((await tpp.get(`/accounts/${id}`, accessToken)).status).toBe(429);
      } finally {
        await http(`${s.url}/allstar/sandbox/faults`, { method: 'DELETE' });
      }
    });
  });

  it('refuses access after the consent expires on the bank clock', async () => {
    const { accessToken, tokens } = await tpp.authorisedConsent({
      extra: { ExpirationDateTime: '2026-03-11T12:00:00+00:00' },
    });
    expect((await tpp.get('/accounts', accessToken)).status).toBe(200);
    await http(`${s.url}/allstar/sandbox/clock/advance`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ days: 2 }),
    });
    try {
      const r = await tpp.get('/accounts', accessToken);
      // The 1 h token has expired too; a refresh is refused because the consent has expired.
      expect(r.status).toBe(401);
      const refreshed = await tpp.tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      expect(refreshed.status).toBe(400);
      expect(refreshed.json.error).toBe('invalid_grant');
    } finally {
      await http(`${s.url}/allstar/sandbox/clock`, {
        method: 'PUT',
        headers: JSON_CT,
        body: JSON.stringify({ now: '2026-03-10T10:00:00Z' }),
      });
    }
  });
});
