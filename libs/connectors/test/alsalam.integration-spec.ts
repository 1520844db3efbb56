import { jest } from '@jest/globals';
import { Decimal } from 'decimal.js';
import { addDays, AppError, localDateOf } from '@ais/domain';
import type { ProviderRegistration } from '../src/index.js';
import { PSU_IP, PSUS, REDIRECT_URI, Sandbox, type TestConnector } from './sandbox.js';

// Real sockets, private_key_jwt assertions and generated bank history.
jest.setTimeout(60_000);

const psu = { ipAddress: PSU_IP };
const MANAMA = 'Asia/Bahrain';

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe('Al Salam Bank (Bahrain OBIE-shaped, seed quirks, bulk endpoints) through the OBIE connector', () => {
  let sandbox: Sandbox;
  let registration: ProviderRegistration;
  const open: TestConnector[] = [];
  const connector = () => {
    const c = sandbox.connector('alsalam', registration);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    sandbox = await Sandbox.start();
    registration = await sandbox.onboard('alsalam');
  });
  afterAll(async () => {
    for (const c of open) await c.close();
    await sandbox.close();
  });

  it('onboards at the developer portal with private_key_jwt only, and authorises through the consent link with a verified RS512 id_token', async () => {
    expect(registration).toMatchObject({
      providerId: 'alsalam',
      tokenEndpointAuthMethod: 'private_key_jwt',
      source: 'developer_portal',
    });
    const refused = sandbox.connector('alsalam', undefined);
    open.push(refused);
    const e = await failure(
      refused.connector.onboard({
        redirectUris: [REDIRECT_URI],
        tpp: await sandbox.tppIdentity({ transport: false }),
        tokenEndpointAuthMethod: 'client_secret_basic',
      }),
    );
    expect(e.code).toBe('validation_failed');

    const c = connector();
    const { consent, tokens } = await c.authorise({ psu: PSUS.fatima });
    expect(consent.links.self).toContain('/alsalam/authpage/consentId/');
    expect(tokens.idTokenClaims).toMatchObject({
      openbanking_intent_id: consent.externalConsentId,
      iss: `${sandbox.url}/alsalam`,
    });
    const tokenCalls = c.exchanges.filter(
      (x) => x.operation === 'obie.clientCredentials' || x.operation === 'obie.exchangeCode',
    );
    expect(tokenCalls.length).toBe(2);
    for (const t of tokenCalls) {
      expect(t.url).toBe(`${sandbox.url}/alsalam/as/token.oauth2`);
      expect(new URLSearchParams(t.requestBody).get('client_assertion_type')).toBe(
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      );
    }
  });

  it('reads balances and transactions of every account with one bulk call each, in BHD with three decimals, matching the oracle', async () => {
    const c = connector();
    const { consentId } = await c.authorise({ psu: PSUS.fatima });
    const ctx = { consentId, frequencyPerDay: 4, psu };
    const accounts = await c.connector.listAccounts(ctx);
    expect(accounts).toHaveLength(3);
    expect(accounts.every((a) => a.currency === 'BHD' && a.identifiers.length > 0)).toBe(true);
    const ids = accounts.map((a) => a.externalId);

    const balances = await c.connector.getBalances(ctx, { accountIds: ids });
    expect(balances.map((b) => b.accountId)).toEqual(ids);
    for (const b of balances) {
      expect(b.balances.map((x) => x.originalType)).toEqual(expect.arrayContaining(['Available', 'Closing']));
      for (const x of b.balances) expect(x.amount.amount).toMatch(/^-?\d+\.\d{3}$/);
    }
    const card = balances.find((b) => b.balances.some((x) => x.originalType === 'Outstanding'))!;
    expect(card.balances.find((x) => x.originalType === 'Available')!.creditLines).toHaveLength(1);

    const today = localDateOf(new Date(), MANAMA);
    const from = addDays(today, -60);
    const tx = await c.connector.getTransactions(ctx, { accountIds: ids, from, to: today });
    const calls = c.exchanges.filter((x) => x.operation === 'obie.balances' || x.operation === 'obie.transactions');
    expect(calls.map((x) => new URL(x.url).pathname)).toEqual(['/alsalam/balances', '/alsalam/transactions']);

    const oracle = await sandbox.summary('alsalam', 'fatima', from);
    for (const expected of oracle.accounts) {
      const got = tx.find((r) => r.accountId === expected.accountId)!.transactions;
      const booked = got.filter((t) => t.status === 'booked');
      expect(booked.length).toBe(expected.booked.count);
      expect(booked.reduce((s, t) => s.plus(t.amount.amount), new Decimal(0)).equals(expected.booked.sum)).toBe(true);
      expect(got.filter((t) => t.status === 'pending').length).toBe(expected.pending.count);
      // No ids at Al Salam: fingerprints with occurrence numbers, all distinct, all 3-decimal strings.
      expect(got.every((t) => t.idSource === 'fingerprint' && /#\d+$/.test(t.identityKey))).toBe(true);
      expect(new Set(got.map((t) => t.identityKey)).size).toBe(got.length);
      expect(got.every((t) => /^-?\d+\.\d{3}$/.test(t.amount.amount))).toBe(true);
    }
    // Bookings at local midnight (21:00Z the day before) fall on the Manama date.
    const midnight = tx.flatMap((r) => r.transactions).find((t) => t.bookedAt?.endsWith('T21:00:00.000Z'));
    expect(midnight).toBeDefined();
    expect(midnight!.bookingDate).toBe(localDateOf(midnight!.bookedAt!, MANAMA));
    expect(midnight!.bookingDate).not.toBe(midnight!.bookedAt!.slice(0, 10));
  });

  it("refuses, and does not guess, the seed's unsigned transaction and year-0001 booking date (layla), while her other data still reads", async () => {
    const c = connector();
    const all = await c.authorise({ psu: PSUS.layla });
    const ctx = { consentId: all.consentId, frequencyPerDay: 4, psu };
    const accounts = await c.connector.listAccounts(ctx);
    expect(accounts).toHaveLength(2);
    const ids = accounts.map((a) => a.externalId);
    expect((await c.connector.getBalances(ctx, { accountIds: ids })).every((b) => b.balances.length > 0)).toBe(true);
    const today = localDateOf(new Date(), MANAMA);
    const unsigned = await failure(
      c.connector.getTransactions(ctx, { accountIds: ids, from: addDays(today, -120), to: today }),
    );
    expect(unsigned.code).toBe('bank_invalid_response');
    expect(JSON.stringify(unsigned.extensions)).toContain('CreditDebitIndicator');

    // Her personal account alone has only the placeholder-dated card purchases.
    const personal = accounts.find((a) => a.type === 'personal')!.externalId;
    const one = await c.authorise({ psu: PSUS.layla, pick: (offered) => offered.filter((id) => id === personal) });
    const placeholder = await failure(
      c.connector.getTransactions(
        { consentId: one.consentId, frequencyPerDay: 4, psu },
        { accountIds: [personal], from: addDays(today, -120), to: today },
      ),
    );
    expect(placeholder.code).toBe('bank_invalid_response');
    expect(JSON.stringify(placeholder.extensions)).toContain('0001-01-02T21:00:00.000+00:00 is a placeholder');
  });

  it('creates, reads and deletes a consent; data calls then report consent_revoked; a missing permission is bank_forbidden_permission', async () => {
    const c = connector();
    const created = await c.connector.createConsent({
      consentId: 'z',
      permissions: ['accounts', 'transactions'],
      frequencyPerDay: 4,
      redirectUri: REDIRECT_URI,
      psu,
    });
    expect(created).toMatchObject({ status: 'awaiting_authorisation', bankStatus: 'AwaitingAuthorisation' });
    expect((await c.connector.getConsentStatus({ externalConsentId: created.externalConsentId })).status).toBe(
      'awaiting_authorisation',
    );

    const noBalances = await c.authorise({ psu: PSUS.ahmed, permissions: ['accounts', 'transactions'] });
    const accounts = await c.connector.listAccounts({ consentId: noBalances.consentId, frequencyPerDay: 4, psu });
    expect(
      (
        await failure(
          c.connector.getBalances(
            { consentId: noBalances.consentId, frequencyPerDay: 4, psu },
            { accountIds: accounts.map((a) => a.externalId) },
          ),
        )
      ).code,
    ).toBe('bank_forbidden_permission');

    expect(
      (await c.connector.getConsentStatus({ externalConsentId: noBalances.consent.externalConsentId })).status,
    ).toBe('authorised');
    await c.connector.revokeConsent({ externalConsentId: noBalances.consent.externalConsentId });
    expect(
      (await c.connector.getConsentStatus({ externalConsentId: noBalances.consent.externalConsentId })).status,
    ).toBe('revoked');
    expect(
      (await failure(c.connector.listAccounts({ consentId: noBalances.consentId, frequencyPerDay: 4, psu }))).code,
    ).toBe('consent_revoked');
  });

  it('counts a bulk call once for the whole consent and stops unattended calls at the limit, as the bank counts them', async () => {
    await sandbox.faults('alsalam', { unattendedPerDay: 2 });
    try {
      const c = connector();
      const { consentId, consent } = await c.authorise({ psu: PSUS.fatima, frequencyPerDay: 2 });
      const accounts = await c.connector.listAccounts({ consentId, frequencyPerDay: 2, psu });
      const ids = accounts.map((a) => a.externalId);
      await c.connector.getBalances({ consentId, frequencyPerDay: 2 }, { accountIds: ids });
      await c.connector.getBalances({ consentId, frequencyPerDay: 2 }, { accountIds: ids });
      expect(
        (await failure(c.connector.getBalances({ consentId, frequencyPerDay: 2 }, { accountIds: ids }))).code,
      ).toBe('budget_exhausted');
      const row = (await sandbox.counters('alsalam', consent.externalConsentId)).find(
        (r) => r.resource === 'balances',
      )!;
      expect(row).toMatchObject({ accountId: '*', unattended: 2, rejected429: 0 });
    } finally {
      await sandbox.resetFaults('alsalam');
    }
  });
});
