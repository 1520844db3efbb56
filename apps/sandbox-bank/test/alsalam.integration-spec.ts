import { jest } from '@jest/globals';
import type { RunningSandbox } from '../src/sandbox.js';
import { http, PSUS, signedSum, startTestSandbox } from './harness.js';
import { Decimal } from '../src/core/money.js';
import { AlSalamTpp } from './alsalam-tpp.js';

// Real HTTP, real crypto and generated history per account: well above Jest's 5 s default.
jest.setTimeout(60_000);

const PRESENT = { 'x-fapi-customer-ip-address': '10.0.0.9' };

describe('Al Salam Bank (Bahrain, OBIE 3.1-shaped)', () => {
  let s: RunningSandbox;
  let tpp: AlSalamTpp;
  let token: string;
  let consentId: string;

  beforeAll(async () => {
    s = await startTestSandbox();
    tpp = await AlSalamTpp.onboard(s);
    ({ token, consentId } = await tpp.authorisedConsent());
  });
  afterAll(() => s.close());

  it('issues a client-credentials token at as/token.oauth2 only against a private_key_jwt assertion', async () => {
    const ok = await tpp.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' });
    expect(ok.status).toBe(200);
    expect(ok.json.token_type).toBe('bearer');
    expect(ok.json.access_token.split('.')).toHaveLength(3);
    const noAssertion = await http(`${s.url}/alsalam/as/token.oauth2`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${tpp.clientId}`,
    });
    expect(noAssertion.status).toBe(401);
    const other = await AlSalamTpp.onboard(s);
    const { clientAssertion } = await import('./harness.js');
    const forged = await clientAssertion(other.keys, tpp.clientId, `${s.url}/alsalam/as/token.oauth2`);
    const r = await http(`${s.url}/alsalam/as/token.oauth2`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${forged}`,
    });
    expect(r.status).toBe(401);
  });

  it('creates consents with the seed’s wire format: +0000 offsets and the auth page as Links.Self', async () => {
    const c = await tpp.createConsent();
    expect(c.status).toBe(201);
    expect(c.json.Data.Status).toBe('AwaitingAuthorisation');
    expect(c.json.Data.CreationDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    expect(c.json.Links.Self).toBe(`${s.url}/alsalam/authpage/consentId/${c.json.Data.ConsentId}`);
  });

  it('exchanges the authorization code for a resource token and an id_token', async () => {
    const flow = await tpp.authorisedConsent();
    expect(new URL(flow.final).searchParams.get('state')).toBe('bh-state');
    expect(flow.tokens.id_token).toBeTruthy();
    expect(flow.tokens.refresh_token).toBeTruthy();
  });

  it('lists accounts with bare IBAN/PAN scheme names, BICFI servicer and "Links": null', async () => {
    const r = await tpp.get('/accounts', token, PRESENT);
    expect(r.status).toBe(200);
    expect(r.json.Links).toBeNull();
    const schemes = r.json.Data.Account.map((a: any) => a.Account[0].SchemeName).sort();
    expect(schemes).toEqual(['IBAN', 'IBAN', 'PAN']);
    expect(r.json.Data.Account[0].Servicer).toEqual({ SchemeName: 'BICFI', Identification: 'ALSABHBM' });
  });

  it('answers bulk balances with Available/Closing/Outstanding, CreditLine as an object and 3-decimal BHD', async () => {
    const r = await tpp.get('/balances', token, PRESENT);
    expect(r.status).toBe(200);
    const types = new Set(r.json.Data.Balance.map((b: any) => b.Type));
    expect([...types].sort()).toEqual(['Available', 'Closing', 'Outstanding']);
    const card = r.json.Data.Balance.find((b: any) => b.Type === 'Outstanding');
    expect(Array.isArray(card.CreditLine)).toBe(false);
    expect(card.CreditLine.Included).toBe(true);
    for (const b of r.json.Data.Balance) expect(b.Amount.Amount).toMatch(/^\d+(\.\d{1,3})?$/);
    expect(r.json.Data.Balance[0].DateTime).toMatch(/\+0000$/);
  });

  it('answers bulk transactions without transaction ids, with local-midnight bookings at 21:00+0000, matching the oracle', async () => {
    const r = await tpp.get('/transactions', token, PRESENT);
    expect(r.status).toBe(200);
    const txns = r.json.Data.Transaction;
    expect(txns.every((t: any) => t.TransactionId === undefined)).toBe(true);
    const booked = txns.filter((t: any) => t.Status === 'Booked');
    expect(booked.every((t: any) => /T21:00:00\.000\+0000$/.test(t.BookingDateTime))).toBe(true);
    const summary = (await http(`${s.url}/alsalam/sandbox/psus/fatima/summary`)).json;
    const byAccount = new Map<string, any[]>();
    for (const t of txns) byAccount.set(t.AccountId, [...(byAccount.get(t.AccountId) ?? []), t]);
    for (const a of summary.accounts) {
      const mine = byAccount.get(a.accountId) ?? [];
      const b = mine.filter((t) => t.Status === 'Booked');
      expect(b).toHaveLength(a.booked.count);
      expect(signedSum(b)).toBe(new Decimal(a.booked.sum).toString());
    }
  });

  it("reproduces the seed's data quirks for layla only, and the oracle still counts what the API returns", async () => {
    const layla = await tpp.authorisedConsent(undefined, PSUS.layla);
    const r = await tpp.get('/transactions', layla.token, PRESENT);
    expect(r.status).toBe(200);
    const txns: any[] = r.json.Data.Transaction;
    // A credit sent without CreditDebitIndicator (seed 003: an unsigned transfer, ProprietaryBankTransactionCode {}).
    const unsigned = txns.filter((t) => t.CreditDebitIndicator === undefined);
    expect(unsigned.length).toBeGreaterThan(0);
    expect(
      unsigned.every((t) => t.Status === 'Booked' && Object.keys(t.ProprietaryBankTransactionCode).length === 0),
    ).toBe(true);
    // Booked foreign-currency card purchases dated 0001-01-02T21:00:00.000+0000 (seed 003).
    const placeholder = txns.filter((t) => t.BookingDateTime === '0001-01-02T21:00:00.000+0000');
    expect(placeholder.length).toBeGreaterThan(0);
    expect(
      placeholder.every(
        (t) =>
          t.Status === 'Booked' &&
          t.CreditDebitIndicator === 'Debit' &&
          t.ProprietaryBankTransactionCode.Code === 'PURCHASE',
      ),
    ).toBe(true);
    // The oracle: every returned entry counts; an unsigned one with the sign the bank booked it with
    // (incoming invoice payments: money in), which the wire does not say.
    const summary = (await http(`${s.url}/alsalam/sandbox/psus/layla/summary`)).json;
    for (const a of summary.accounts) {
      const booked = txns.filter((t) => t.AccountId === a.accountId && t.Status === 'Booked');
      expect(booked).toHaveLength(a.booked.count);
      expect(signedSum(booked, 'Credit')).toBe(new Decimal(a.booked.sum).toString());
      expect(txns.filter((t) => t.AccountId === a.accountId && t.Status === 'Pending')).toHaveLength(a.pending.count);
    }
    // The bank files placeholder-dated entries on their real booking day: a recent window still has them.
    const recent = await tpp.get('/transactions?fromBookingDateTime=2026-01-01T00:00:00', layla.token, PRESENT);
    expect(recent.json.Data.Transaction.length).toBeLessThan(txns.length);
    expect(recent.json.Data.Transaction.some((t: any) => t.BookingDateTime === '0001-01-02T21:00:00.000+0000')).toBe(
      true,
    );
    expect(recent.json.Data.Transaction.some((t: any) => t.CreditDebitIndicator === undefined)).toBe(true);
    // Nobody else's data has them.
    expect(
      ((await tpp.get('/transactions', token, PRESENT)).json.Data.Transaction as any[]).every(
        (t) => t.CreditDebitIndicator !== undefined && !t.BookingDateTime.startsWith('0001-'),
      ),
    ).toBe(true);
  });

  it('answers per-account balances and transactions, and 403 without the permission', async () => {
    const id = (await tpp.get('/accounts', token, PRESENT)).json.Data.Account[0].AccountId;
    expect((await tpp.get(`/accounts/${id}/balances`, token, PRESENT)).status).toBe(200);
    expect(
      (await tpp.get(`/accounts/${id}/transactions?fromBookingDateTime=2026-03-01T00:00:00`, token, PRESENT)).status,
    ).toBe(200);
    const basic = await tpp.authorisedConsent(['ReadAccountsDetail']);
    const denied = await tpp.get('/transactions', basic.token);
    expect(denied.status).toBe(403);
    expect((await tpp.get('/balances', basic.token)).status).toBe(403);
  });

  it('deletes a consent with 204 and the status becomes Revoked', async () => {
    const ct = await tpp.clientToken();
    const del = await http(`${s.url}/alsalam/api/account-access-consents/${consentId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ct}` },
    });
    expect(del.status).toBe(204);
    const got = await http(`${s.url}/alsalam/api/account-access-consents/${consentId}`, {
      headers: { authorization: `Bearer ${ct}` },
    });
    expect(got.json.Data.Status).toBe('Revoked');
    expect((await tpp.get('/accounts', token)).status).toBe(401);
  });
});
