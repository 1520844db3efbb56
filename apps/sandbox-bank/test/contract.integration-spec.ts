import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { ErrorObject } from 'ajv';
import { Agent } from 'undici';
import { ALSALAM_QUIRKS } from '../src/obie/alsalam-quirks.js';
import type { RunningSandbox } from '../src/sandbox.js';
import { AllstarTpp } from './allstar-tpp.js';
import { AlSalamTpp } from './alsalam-tpp.js';
import { Contract } from './contract.js';
import { http, JSON_CT, PSUS, startTestSandbox, type Http } from './harness.js';
import { bgHeaders, consentBody, qwacAgent, SaltTpp } from './saltbank-tpp.js';

// Real HTTP, real crypto and generated history per account: well above Jest's 5 s default.
jest.setTimeout(60_000);

const AIS = '/open-banking/v3.1/aisp';

describe('conformance with the official specs (specs/)', () => {
  let s: RunningSandbox;
  let obieAllstar: Contract;
  let obieAlSalam: Contract;
  let bg: Contract;
  let dcr: Contract;
  /** Salt Bank's XS2A API is on the mTLS listener and wants the TPP's QWAC. */
  let qwac: Agent;

  beforeAll(async () => {
    s = await startTestSandbox({ pageSize: 50 });
    qwac = await qwacAgent(s);
    [obieAllstar, obieAlSalam, bg, dcr] = await Promise.all([
      Contract.load('obie-account-info-3.1.11r5.yaml', 'obie-allstar', (p) => `/allstar${AIS}${p}`),
      Contract.load('obie-account-info-3.1.11r5.yaml', 'obie-alsalam', (p) =>
        p.startsWith('/account-access-consents') ? `/alsalam/api${p}` : `/alsalam${p}`,
      ),
      Contract.load('berlin-group-psd2-api-1.3.12.yaml', 'bg-saltbank', (p) => `/saltbank${p}`),
      Contract.load('obie-dcr-3.3.yaml', 'dcr-allstar', (p) => `/allstar${p}`),
    ]);
  });
  afterAll(() => s.close());

  /** Performs a call, then checks the accepted request and the response against the contract. */
  async function call(
    contract: Contract,
    problems: string[],
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: unknown,
    allow?: (e: ErrorObject) => boolean,
  ): Promise<Http> {
    const r = await http(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: url.startsWith(`${s.mtlsUrl}/saltbank/`) ? qwac : undefined,
    });
    if (r.status < 300) problems.push(...contract.checkRequest(method, url, headers, body));
    problems.push(
      ...contract.checkResponse(
        method,
        url,
        r.status,
        r.headers,
        r.status === 204 ? undefined : (r.json ?? (r.text || undefined)),
        allow,
      ),
    );
    return r;
  }

  it('Allstar: every AIS response (success and error) matches OBIE 3.1.11, and so does every accepted request', async () => {
    const tpp = await AllstarTpp.onboard(s);
    const problems: string[] = [];
    const base = `${s.url}/allstar${AIS}`;
    const ct = await tpp.clientToken();
    const cc = { authorization: `Bearer ${ct}`, 'x-fapi-interaction-id': randomUUID() };
    const created = await call(
      obieAllstar,
      problems,
      'POST',
      `${base}/account-access-consents`,
      { ...cc, ...JSON_CT },
      {
        Data: { Permissions: ['ReadAccountsDetail', 'ReadBalances'], ExpirationDateTime: '2026-05-01T00:00:00+00:00' },
        Risk: {},
      },
    );
    await call(obieAllstar, problems, 'GET', `${base}/account-access-consents/${created.json.Data.ConsentId}`, cc);
    await call(obieAllstar, problems, 'DELETE', `${base}/account-access-consents/${created.json.Data.ConsentId}`, cc);
    await call(
      obieAllstar,
      problems,
      'POST',
      `${base}/account-access-consents`,
      { ...cc, ...JSON_CT },
      { Data: { Permissions: [] }, Risk: {} },
    );
    const { accessToken } = await tpp.authorisedConsent();
    const h = {
      authorization: `Bearer ${accessToken}`,
      'x-fapi-customer-ip-address': '10.0.0.1',
      'x-fapi-interaction-id': randomUUID(),
    };
    const accounts = await call(obieAllstar, problems, 'GET', `${base}/accounts`, h);
    for (const a of accounts.json.Data.Account) {
      const id = a.AccountId;
      await call(obieAllstar, problems, 'GET', `${base}/accounts/${id}`, h);
      await call(obieAllstar, problems, 'GET', `${base}/accounts/${id}/balances`, h);
      const tx = await call(
        obieAllstar,
        problems,
        'GET',
        `${base}/accounts/${id}/transactions?fromBookingDateTime=2025-12-01T00:00:00Z`,
        h,
      );
      if (tx.json.Links.Next) await call(obieAllstar, problems, 'GET', tx.json.Links.Next, h);
      const st = await call(obieAllstar, problems, 'GET', `${base}/accounts/${id}/statements`, h);
      await call(
        obieAllstar,
        problems,
        'GET',
        `${base}/accounts/${id}/statements/${st.json.Data.Statement[0].StatementId}`,
        h,
      );
      await call(
        obieAllstar,
        problems,
        'GET',
        `${base}/accounts/${id}/statements/${st.json.Data.Statement[0].StatementId}/transactions`,
        h,
      );
      for (const r of ['party', 'beneficiaries', 'standing-orders', 'direct-debits', 'scheduled-payments'])
        await call(obieAllstar, problems, 'GET', `${base}/accounts/${id}/${r}`, h);
    }
    await call(obieAllstar, problems, 'GET', `${base}/party`, h);
    const basic = await tpp.authorisedConsent({ permissions: ['ReadAccountsBasic'] });
    const hb = { authorization: `Bearer ${basic.accessToken}` };
    await call(obieAllstar, problems, 'GET', `${base}/accounts`, hb);
    await call(
      obieAllstar,
      problems,
      'GET',
      `${base}/accounts/${accounts.json.Data.Account[0].AccountId}/balances`,
      hb,
    );
    await call(obieAllstar, problems, 'GET', `${base}/accounts`, { authorization: 'Bearer nope' });
    expect(problems).toEqual([]);
  });

  it('Allstar: the 429 of the unattended limit carries Retry-After and no body, as the spec says', async () => {
    const tpp = await AllstarTpp.onboard(s);
    const problems: string[] = [];
    const { accessToken } = await tpp.authorisedConsent({ permissions: ['ReadAccountsBasic'] });
    let last: Http | undefined;
    for (let i = 0; i < 5; i++)
      last = await call(obieAllstar, problems, 'GET', `${s.url}/allstar${AIS}/accounts`, {
        authorization: `Bearer ${accessToken}`,
      });
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(problems).toEqual([]);
  });

  it('detects the schema-violation fault as a contract breach (the checker can fail)', async () => {
    const tpp = await AllstarTpp.onboard(s);
    const { accessToken } = await tpp.authorisedConsent({ permissions: ['ReadAccountsBasic'] });
    await http(`${s.url}/allstar/sandbox/faults`, {
      method: 'PATCH',
      headers: JSON_CT,
      body: JSON.stringify({ schemaViolationRate: 1 }),
    });
    const problems: string[] = [];
    try {
      await call(obieAllstar, problems, 'GET', `${s.url}/allstar${AIS}/accounts`, {
        authorization: `Bearer ${accessToken}`,
        'x-fapi-customer-ip-address': '10.0.0.1',
      });
    } finally {
      await http(`${s.url}/allstar/sandbox/faults`, { method: 'DELETE' });
    }
    expect(problems.some((p) => p.includes('AccountId'))).toBe(true);
  });

  it('Allstar: refuses consent bodies that OBReadConsent1 forbids', async () => {
    const tpp = await AllstarTpp.onboard(s);
    const ct = await tpp.clientToken();
    const url = `${s.url}/allstar${AIS}/account-access-consents`;
    for (const body of [
      { Data: { Permissions: ['ReadAccountsBasic'] } },
      { Data: { Permissions: ['NotAPermission'] }, Risk: {} },
      { Data: { Permissions: 'ReadAccountsBasic' }, Risk: {} },
      { Data: { Permissions: ['ReadAccountsBasic'], ExpirationDateTime: 'not-a-date' }, Risk: {} },
      { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {}, Meta: {} },
    ]) {
      expect([JSON.stringify(body), obieAllstar.forbidsBody('POST', url, body)]).toEqual([JSON.stringify(body), true]);
      const r = await http(url, {
        method: 'POST',
        headers: { ...JSON_CT, authorization: `Bearer ${ct}` },
        body: JSON.stringify(body),
      });
      expect(r.status).toBe(400);
    }
  });

  it('Allstar DCR: the registration response matches OBClientRegistration1 and errors match RegistrationError', async () => {
    const tpp = await AllstarTpp.onboard(s);
    const problems = dcr.checkResponse('POST', `${s.url}/allstar/register`, 201, new Headers(), tpp.registration);
    const bad = await tpp.register({ redirect_uris: ['https://evil.example/'] }, tpp.registration.software_statement);
    problems.push(...dcr.checkResponse('POST', `${s.url}/allstar/register`, bad.status, bad.headers, bad.json));
    expect(problems).toEqual([]);
  });

  it('Al Salam: responses match OBIE 3.1.11 except the documented seed quirks', async () => {
    const tpp = await AlSalamTpp.onboard(s);
    const problems: string[] = [];
    const quirk = (e: ErrorObject) =>
      ALSALAM_QUIRKS.some(
        (q) =>
          q.keyword === e.keyword &&
          q.path.test(e.instancePath) &&
          (q.missingProperty === undefined ||
            (e.params as { missingProperty?: string }).missingProperty === q.missingProperty),
      );
    const ct = await tpp.clientToken();
    const c = await call(
      obieAlSalam,
      problems,
      'POST',
      `${s.url}/alsalam/api/account-access-consents`,
      { ...JSON_CT, authorization: `Bearer ${ct}` },
      {
        Data: {
          Permissions: [
            'ReadAccountsDetail',
            'ReadBalances',
            'ReadTransactionsDetail',
            'ReadTransactionsCredits',
            'ReadTransactionsDebits',
          ],
        },
        Risk: {},
      },
      quirk,
    );
    await call(
      obieAlSalam,
      problems,
      'GET',
      `${s.url}/alsalam/api/account-access-consents/${c.json.Data.ConsentId}`,
      { authorization: `Bearer ${ct}` },
      undefined,
      quirk,
    );
    const { token } = await tpp.authorisedConsent();
    const h = { authorization: `Bearer ${token}`, 'x-fapi-customer-ip-address': '10.0.0.1' };
    const accounts = await call(obieAlSalam, problems, 'GET', `${s.url}/alsalam/accounts`, h, undefined, quirk);
    await call(obieAlSalam, problems, 'GET', `${s.url}/alsalam/balances`, h, undefined, quirk);
    await call(
      obieAlSalam,
      problems,
      'GET',
      `${s.url}/alsalam/transactions?fromBookingDateTime=2026-01-01T00:00:00%2B00:00`,
      h,
      undefined,
      quirk,
    );
    for (const a of accounts.json.Data.Account) {
      await call(obieAlSalam, problems, 'GET', `${s.url}/alsalam/accounts/${a.AccountId}`, h, undefined, quirk);
      await call(
        obieAlSalam,
        problems,
        'GET',
        `${s.url}/alsalam/accounts/${a.AccountId}/balances`,
        h,
        undefined,
        quirk,
      );
      await call(
        obieAlSalam,
        problems,
        'GET',
        `${s.url}/alsalam/accounts/${a.AccountId}/transactions?fromBookingDateTime=2026-02-01T00:00:00Z`,
        h,
        undefined,
        quirk,
      );
    }
    // layla's data carries the seed's transaction without CreditDebitIndicator: allowed as a quirk, and only that member.
    const layla = await tpp.authorisedConsent(undefined, PSUS.layla);
    const lh = { authorization: `Bearer ${layla.token}`, 'x-fapi-customer-ip-address': '10.0.0.1' };
    await call(
      obieAlSalam,
      problems,
      'GET',
      `${s.url}/alsalam/transactions?fromBookingDateTime=2025-12-01T00:00:00%2B00:00`,
      lh,
      undefined,
      quirk,
    );
    expect(problems).toEqual([]);
    // Without the quirk list the same bodies do break the standard: the quirks are real.
    const strict: string[] = [];
    await call(obieAlSalam, strict, 'GET', `${s.url}/alsalam/balances`, h);
    expect(strict.length).toBeGreaterThan(0);
    const unsigned: string[] = [];
    await call(
      obieAlSalam,
      unsigned,
      'GET',
      `${s.url}/alsalam/transactions?fromBookingDateTime=2025-12-01T00:00:00%2B00:00`,
      lh,
    );
    expect(unsigned.some((p) => p.includes('"missingProperty":"CreditDebitIndicator"'))).toBe(true);
  });

  it('Salt Bank: every response matches Berlin Group 1.3.12, and so does every accepted request', async () => {
    const tpp = await SaltTpp.onboard(s);
    const problems: string[] = [];
    const ch = {
      ...JSON_CT,
      ...bgHeaders({ 'psu-ip-address': '192.168.8.78', 'tpp-redirect-uri': 'https://tpp.example/bg-callback' }),
    };
    const created = await call(bg, problems, 'POST', `${s.mtlsUrl}/saltbank/v1/consents`, ch, consentBody());
    await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/consents/${created.json.consentId}`, bgHeaders());
    await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/consents/${created.json.consentId}/status`, bgHeaders());
    await call(bg, problems, 'DELETE', `${s.mtlsUrl}/saltbank/v1/consents/${created.json.consentId}`, bgHeaders());
    await call(bg, problems, 'POST', `${s.mtlsUrl}/saltbank/v1/consents`, ch, consentBody({ frequencyPerDay: 9 }));
    const { consentId, token } = await tpp.validConsent(consentBody(), PSUS.erika);
    const h = () =>
      bgHeaders({ authorization: `Bearer ${token}`, 'consent-id': consentId, 'psu-ip-address': '10.1.1.1' });
    await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/consents/${consentId}`, bgHeaders());
    const accounts = await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/accounts`, h());
    for (const a of accounts.json.accounts) {
      const id = a.resourceId;
      await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/accounts/${id}`, h());
      await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/accounts/${id}/balances`, h());
      for (const status of ['booked', 'pending', 'both', 'information', 'all']) {
        const tx = await call(
          bg,
          problems,
          'GET',
          `${s.mtlsUrl}/saltbank/v1/accounts/${id}/transactions?bookingStatus=${status}&dateFrom=2025-12-20`,
          h(),
        );
        if (tx.json.transactions?._links?.next)
          await call(bg, problems, 'GET', `${s.url}${tx.json.transactions._links.next.href}`, h());
        const withId = tx.json.transactions?.booked?.find((t: { transactionId?: string }) => t.transactionId);
        if (withId)
          await call(
            bg,
            problems,
            'GET',
            `${s.mtlsUrl}/saltbank/v1/accounts/${id}/transactions/${withId.transactionId}`,
            h(),
          );
      }
    }
    await call(
      bg,
      problems,
      'GET',
      `${s.mtlsUrl}/saltbank/v1/accounts`,
      bgHeaders({ authorization: 'Bearer nope', 'consent-id': consentId }),
    );
    const one = await tpp.validConsent(consentBody({ frequencyPerDay: 1 }));
    const uh = () => bgHeaders({ authorization: `Bearer ${one.token}`, 'consent-id': one.consentId });
    await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/accounts`, uh());
    const limited = await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/accounts`, uh());
    expect(limited.status).toBe(429);
    expect(problems).toEqual([]);
  });

  it('Salt Bank: card accounts, a dedicated consent and its refusal match Berlin Group 1.3.12', async () => {
    const tpp = await SaltTpp.onboard(s);
    const problems: string[] = [];
    const ch = {
      ...JSON_CT,
      ...bgHeaders({ 'psu-ip-address': '192.168.8.78', 'tpp-redirect-uri': 'https://tpp.example/bg-callback' }),
    };
    const unknown = await call(
      bg,
      problems,
      'POST',
      `${s.mtlsUrl}/saltbank/v1/consents`,
      ch,
      consentBody({ access: { accounts: [{ iban: 'DE89370400440532013000' }] } }),
    );
    expect([unknown.status, unknown.json.tppMessages[0].code]).toEqual([400, 'RESOURCE_UNKNOWN']);
    const { consentId, token } = await tpp.validConsent(consentBody(), PSUS.jonas);
    const h = () =>
      bgHeaders({ authorization: `Bearer ${token}`, 'consent-id': consentId, 'psu-ip-address': '10.1.1.1' });
    const cards = await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/card-accounts`, h());
    expect(cards.json.cardAccounts).toHaveLength(1);
    const id = cards.json.cardAccounts[0].resourceId;
    await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/card-accounts/${id}`, h());
    await call(bg, problems, 'GET', `${s.mtlsUrl}/saltbank/v1/card-accounts/${id}/balances`, h());
    for (const status of ['booked', 'pending', 'both']) {
      const tx = await call(
        bg,
        problems,
        'GET',
        `${s.mtlsUrl}/saltbank/v1/card-accounts/${id}/transactions?bookingStatus=${status}&dateFrom=2025-12-20`,
        h(),
      );
      expect(tx.status).toBe(200);
      if (tx.json.cardTransactions?._links?.next)
        await call(bg, problems, 'GET', `${s.url}${tx.json.cardTransactions._links.next.href}`, h());
    }
    expect(problems).toEqual([]);
  });

  it('Salt Bank: refuses what the standard forbids (missing X-Request-ID or Consent-ID, malformed consents)', async () => {
    const url = `${s.mtlsUrl}/saltbank/v1/consents`;
    const headers = { ...JSON_CT, 'psu-ip-address': '192.168.8.78' };
    for (const body of [
      { access: {} },
      { ...consentBody(), recurringIndicator: 'yes' },
      { ...consentBody(), validUntil: '10/03/2026' },
      { ...consentBody(), frequencyPerDay: '4' },
    ]) {
      expect(bg.forbidsBody('POST', url, body)).toBe(true);
      expect(
        (
          await http(url, {
            method: 'POST',
            headers: { ...headers, ...bgHeaders() },
            body: JSON.stringify(body),
            dispatcher: qwac,
          })
        ).status,
      ).toBe(400);
    }
    expect(bg.checkRequest('POST', url, headers, consentBody()).some((p) => p.includes('X-Request-ID'))).toBe(true);
    expect(
      (await http(url, { method: 'POST', headers, body: JSON.stringify(consentBody()), dispatcher: qwac })).status,
    ).toBe(400);
    expect(
      (
        await http(url, {
          method: 'POST',
          headers: { ...headers, 'x-request-id': 'not-a-uuid' },
          body: JSON.stringify(consentBody()),
          dispatcher: qwac,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await http(`${s.mtlsUrl}/saltbank/v1/accounts`, {
          headers: bgHeaders({ authorization: 'Bearer x' }),
          dispatcher: qwac,
        })
      ).status,
    ).toBe(400);
  });

  it("Salt Bank: without the QWAC the XS2A API answers the spec's 401 with CERTIFICATE_MISSING", async () => {
    const problems: string[] = [];
    const plain = await call(
      bg,
      problems,
      'POST',
      `${s.url}/saltbank/v1/consents`,
      { ...JSON_CT, ...bgHeaders({ 'psu-ip-address': '192.168.8.78' }) },
      consentBody(),
    );
    expect(plain.status).toBe(401);
    expect(plain.json.tppMessages[0].code).toBe('CERTIFICATE_MISSING');
    const noCert = await http(`${s.mtlsUrl}/saltbank/v1/accounts`, {
      headers: bgHeaders({ authorization: 'Bearer x', 'consent-id': 'x' }),
      dispatcher: new Agent({ connect: { ca: s.ctx.ca.caPem } }),
    });
    problems.push(
      ...bg.checkResponse('GET', `${s.mtlsUrl}/saltbank/v1/accounts`, noCert.status, noCert.headers, noCert.json),
    );
    expect(noCert.json.tppMessages[0].code).toBe('CERTIFICATE_MISSING');
    expect(problems).toEqual([]);
  });
});
