import { jest } from '@jest/globals';
import { Decimal } from 'decimal.js';
import { addDays, AppError, localDateOf, startOfLocalDate } from '@ais/domain';
import type { ClientAuthMethod, ProviderRegistration } from '../src/index.js';
import { PSU_IP, PSUS, Sandbox, type TestConnector } from './sandbox.js';

// Real sockets (plain and mutual TLS), PKCE flows and generated bank history.
jest.setTimeout(60_000);

const psu = { ipAddress: PSU_IP };
const BERLIN = 'Europe/Berlin';

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe('Salt Bank (Berlin Group 1.3.12, OAuth2 SCA with PKCE) through the Berlin Group connector', () => {
  let sandbox: Sandbox;
  const open: TestConnector[] = [];
  const connector = (registration: ProviderRegistration, deps: Parameters<Sandbox['connector']>[2] = {}) => {
    const c = sandbox.connector('saltbank', registration, deps);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    sandbox = await Sandbox.start();
  });
  afterAll(async () => {
    for (const c of open) await c.close();
    await sandbox.close();
  });

  it.each<ClientAuthMethod>(['none', 'client_secret_basic', 'client_secret_post'])(
    'onboards at the developer portal with %s and completes the PKCE flow with it',
    async (method) => {
      const registration = await sandbox.onboard('saltbank', method);
      expect(registration).toMatchObject({
        providerId: 'saltbank',
        tokenEndpointAuthMethod: method,
        source: 'developer_portal',
      });
      expect(Boolean(registration.clientSecret)).toBe(method !== 'none');
      const c = connector(registration);
      const { consentId } = await c.authorise({ psu: PSUS.max });
      expect(await c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu })).toHaveLength(2);
      const [exchange] = c.exchanges.filter((e) => e.operation === 'bg.exchangeCode');
      const body = new URLSearchParams(exchange.requestBody);
      expect(body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.has('client_secret')).toBe(method === 'client_secret_post');
      expect(exchange.requestHeaders.authorization?.startsWith('Basic ') ?? false).toBe(
        method === 'client_secret_basic',
      );
    },
  );

  describe('with a public client (PKCE, no secret)', () => {
    let registration: ProviderRegistration;
    beforeAll(async () => {
      registration = await sandbox.onboard('saltbank', 'none');
    });

    it('asks for scope AIS:<consentId> with an S256 challenge and sends every XS2A call with the QWAC over mutual TLS', async () => {
      const c = connector(registration);
      const consent = await c.connector.createConsent({
        consentId: 'x',
        permissions: ['accounts', 'balances', 'transactions'],
        frequencyPerDay: 4,
        redirectUri: 'https://gateway.example/v1/callback',
        psu,
      });
      const auth = await c.connector.buildAuthorisation({
        externalConsentId: consent.externalConsentId,
        redirectUri: 'https://gateway.example/v1/callback',
        consentLinks: consent.links,
      });
      const url = new URL(auth.url);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        response_type: 'code',
        scope: `AIS:${consent.externalConsentId}`,
        code_challenge_method: 'S256',
        client_id: registration.clientId,
      });
      expect(auth.session.codeVerifier).toBeDefined();
      const { consentId } = await c.authorise({ psu: PSUS.max });
      await c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu });
      const xs2a = c.exchanges.filter((e) => ['bg.createConsent', 'bg.accounts'].includes(e.operation));
      expect(xs2a.length).toBeGreaterThanOrEqual(3);
      for (const e of xs2a) expect(e.url.startsWith(`${sandbox.mtlsUrl}/saltbank/v1/`)).toBe(true);
      for (const e of xs2a) expect(e.requestHeaders['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const [create] = xs2a.filter((e) => e.operation === 'bg.createConsent');
      expect(JSON.parse(create.requestBody!)).toMatchObject({
        recurringIndicator: true,
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      });
      expect(create.requestHeaders['psu-ip-address']).toBe(PSU_IP);
    });

    it('sends the TPP’s own IP as PSU-IP-Address when the PSU’s is unknown, as the spec says (and refuses without either)', async () => {
      const c = connector(registration, { tppIpAddress: '192.0.2.10' });
      await c.connector.createConsent({
        consentId: 'z',
        permissions: ['accounts'],
        frequencyPerDay: 1,
        redirectUri: 'https://gateway.example/v1/callback',
      });
      const [create] = c.exchanges.filter((e) => e.operation === 'bg.createConsent');
      expect(create.requestHeaders['psu-ip-address']).toBe('192.0.2.10');
      const bare = connector(registration);
      const error = await failure(
        bare.connector.createConsent({
          consentId: 'w',
          permissions: ['accounts'],
          frequencyPerDay: 1,
          redirectUri: 'https://gateway.example/v1/callback',
        }),
      );
      expect(error.code).toBe('validation_failed');
    });

    it('creates a consent, reads its status, revokes it, and then reports consent_revoked on data calls', async () => {
      const c = connector(registration);
      const created = await c.connector.createConsent({
        consentId: 'y',
        permissions: ['accounts'],
        frequencyPerDay: 2,
        redirectUri: 'https://gateway.example/v1/callback',
        psu,
      });
      expect(created).toMatchObject({ status: 'awaiting_authorisation', bankStatus: 'received', frequencyPerDay: 2 });
      expect(await c.connector.getConsentStatus({ externalConsentId: created.externalConsentId })).toMatchObject({
        status: 'awaiting_authorisation',
        frequencyPerDay: 2,
      });
      const { consentId, consent } = await c.authorise({ psu: PSUS.erika, permissions: ['accounts', 'balances'] });
      expect(await c.connector.getConsentStatus({ externalConsentId: consent.externalConsentId })).toMatchObject({
        status: 'authorised',
        bankStatus: 'valid',
      });
      await c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu });
      await c.connector.revokeConsent({ externalConsentId: consent.externalConsentId });
      expect(await c.connector.getConsentStatus({ externalConsentId: consent.externalConsentId })).toMatchObject({
        status: 'revoked',
        bankStatus: 'terminatedByTpp',
      });
      expect((await failure(c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu }))).code).toBe(
        'consent_revoked',
      );
    });

    it('reports consent_revoked when the PSU revokes at the bank, consent_expired when it expires, bank_forbidden_permission for what it does not cover', async () => {
      const c = connector(registration);
      const revoked = await c.authorise({ psu: PSUS.max });
      await sandbox.revokeAtBank('saltbank', revoked.consent.externalConsentId);
      expect(
        (await failure(c.connector.listAccounts({ consentId: revoked.consentId, frequencyPerDay: 4, psu }))).code,
      ).toBe('consent_revoked');
      expect(
        (
          await failure(
            c.connector.refreshTokens({
              refreshToken: revoked.tokens.refreshToken!,
              externalConsentId: revoked.consent.externalConsentId,
            }),
          )
        ).code,
      ).toBe('consent_revoked');

      const expired = await c.authorise({ psu: PSUS.max });
      await sandbox.expireAtBank('saltbank', expired.consent.externalConsentId);
      expect(
        (await failure(c.connector.listAccounts({ consentId: expired.consentId, frequencyPerDay: 4, psu }))).code,
      ).toBe('consent_expired');

      const accountsOnly = await c.authorise({ psu: PSUS.max, permissions: ['accounts'] });
      const [account] = await c.connector.listAccounts({ consentId: accountsOnly.consentId, frequencyPerDay: 4, psu });
      const e = await failure(
        c.connector.getBalances(
          { consentId: accountsOnly.consentId, frequencyPerDay: 4, psu },
          { accountIds: [account.externalId] },
        ),
      );
      expect(e.code).toBe('bank_forbidden_permission');
    });

    it('follows every page of transactions: nothing lost or duplicated against the sandbox oracle', async () => {
      await sandbox.faults('saltbank', { pageSize: 5 });
      try {
        const c = connector(registration);
        const { consentId, authorisedAt } = await c.authorise({ psu: PSUS.erika });
        const ctx = { consentId, frequencyPerDay: 4, psu, authorisedAt };
        const accounts = await c.connector.listAccounts(ctx);
        const today = localDateOf(new Date(), BERLIN);
        const from = addDays(today, -40);
        const result = await c.connector.getTransactions(ctx, {
          accountIds: accounts.map((a) => a.externalId),
          from,
          to: today,
        });
        const oracle = await sandbox.summary('saltbank', 'erika', from);
        expect(oracle.accounts).toHaveLength(3);
        for (const expected of oracle.accounts) {
          const got = result.find((r) => r.accountId === expected.accountId)!.transactions;
          const sum = (status: string) =>
            got.filter((t) => t.status === status).reduce((s, t) => s.plus(t.amount.amount), new Decimal(0));
          expect({
            booked: got.filter((t) => t.status === 'booked').length,
            pending: got.filter((t) => t.status === 'pending').length,
          }).toEqual({ booked: expected.booked.count, pending: expected.pending.count });
          expect(sum('booked').equals(expected.booked.sum)).toBe(true);
          expect(sum('pending').equals(expected.pending.sum)).toBe(true);
          expect(new Set(got.map((t) => t.identityKey)).size).toBe(got.length);
        }
        expect(c.exchanges.filter((e) => e.operation === 'bg.transactions').length).toBeGreaterThan(
          accounts.length * 3,
        );
      } finally {
        await sandbox.resetFaults('saltbank');
      }
    });

    it('stops an unattended sync at the budget even in the middle of paging: the bank never sees a call beyond frequencyPerDay', async () => {
      await sandbox.faults('saltbank', { pageSize: 3 });
      try {
        const c = connector(registration);
        const { consentId, consent, authorisedAt } = await c.authorise({ psu: PSUS.max, frequencyPerDay: 3 });
        const [account] = await c.connector.listAccounts({ consentId, frequencyPerDay: 3, psu });
        const today = localDateOf(new Date(), BERLIN);
        const e = await failure(
          c.connector.getTransactions(
            { consentId, frequencyPerDay: 3, authorisedAt },
            { accountIds: [account.externalId], from: addDays(today, -30), to: today },
          ),
        );
        expect(e.code).toBe('budget_exhausted');
        const counters = await sandbox.counters('saltbank', consent.externalConsentId);
        const row = counters.find((r) => r.accountId === account.externalId && r.resource === 'transactions')!;
        expect(row).toMatchObject({ unattended: 3, rejected429: 0 });
        // PSU present: not limited, and the full read succeeds.
        const full = await c.connector.getTransactions(
          { consentId, frequencyPerDay: 3, psu, authorisedAt },
          { accountIds: [account.externalId], from: addDays(today, -30), to: today },
        );
        expect(full[0].transactions.length).toBeGreaterThan(9);
      } finally {
        await sandbox.resetFaults('saltbank');
      }
    });

    it('outside the first 10 minutes clips the window to 90 days instead of failing, and counts per account and resource per Berlin calendar day', async () => {
      let guardOffset = 0;
      let clockOffset = 0;
      const c = connector(registration, {
        now: () => new Date(Date.now() + clockOffset),
        guardNow: () => new Date(Date.now() + guardOffset),
      });
      const { consentId, consent, tokens } = await c.authorise({ psu: PSUS.erika, frequencyPerDay: 2 });
      const accounts = await c.connector.listAccounts({ consentId, frequencyPerDay: 2, psu });
      const ids = accounts.map((a) => a.externalId);

      const authorisedAt = new Date().toISOString();
      await sandbox.advanceClock('saltbank', { minutes: 11 });
      // Our clock agrees with the bank's, as real clocks do: near Berlin midnight the bank's 90 days
      // would otherwise start a day later than ours, and it refuses the window (PERIOD_INVALID).
      clockOffset = 11 * 60_000;
      const later = { consentId, frequencyPerDay: 2, authorisedAt, psu };
      const today = localDateOf(new Date(Date.now() + clockOffset), BERLIN);
      const [tx] = await c.connector.getTransactions(later, {
        accountIds: [ids[0]],
        from: addDays(today, -300),
        to: today,
      });
      expect(
        tx.transactions.filter((t) => t.status === 'booked').every((t) => t.bookingDate >= addDays(today, -90)),
      ).toBe(true);
      const sent = c.exchanges
        .filter((e) => e.operation === 'bg.transactions')
        .map((e) => new URL(e.url).searchParams.get('dateFrom'));
      expect(sent[0]).toBe(addDays(today, -90));
      clockOffset = 0;

      const unattended = { consentId, frequencyPerDay: 2 };
      await c.connector.getBalances(unattended, { accountIds: ids });
      await c.connector.getBalances(unattended, { accountIds: ids });
      expect((await failure(c.connector.getBalances(unattended, { accountIds: ids }))).code).toBe('budget_exhausted');
      const counters = await sandbox.counters('saltbank', consent.externalConsentId);
      for (const id of ids)
        expect(counters.find((r) => r.accountId === id && r.resource === 'balances')).toMatchObject({
          unattended: 2,
          rejected429: 0,
        });

      // The next Berlin day: a fresh budget at the bank and in the guard (access token refreshed first).
      const now = await sandbox.bankNow('saltbank');
      const nextDay = new Date(startOfLocalDate(addDays(localDateOf(now, BERLIN), 1), BERLIN).getTime() + 30 * 60_000);
      await sandbox.advanceClock('saltbank', { minutes: Math.ceil((nextDay.getTime() - now.getTime()) / 60_000) });
      guardOffset = nextDay.getTime() - now.getTime();
      const fresh = await c.connector.refreshTokens({
        refreshToken: tokens.refreshToken!,
        externalConsentId: consent.externalConsentId,
      });
      c.tokens.set(consentId, {
        accessToken: fresh.accessToken,
        tokenType: fresh.tokenType,
        externalConsentId: consent.externalConsentId,
        expiresAt: fresh.accessTokenExpiresAt,
      });
      await expect(c.connector.getBalances(unattended, { accountIds: ids })).resolves.toHaveLength(3);
    });

    it('sends a dedicated-account consent naming the tenant’s IBAN, and the bank serves only that account', async () => {
      const c = connector(registration);
      const oracle = await sandbox.summary('saltbank', 'erika');
      const iban = oracle.accounts[2].identifiers.find((i) => i.scheme === 'iban')!.identification;
      const { consentId } = await c.authorise({
        psu: PSUS.erika,
        accounts: [{ scheme: 'iban', identification: iban }],
      });
      const [create] = c.exchanges.filter((e) => e.operation === 'bg.createConsent');
      expect(JSON.parse(create.requestBody!).access).toEqual({
        accounts: [{ iban }],
        balances: [{ iban }],
        transactions: [{ iban }],
      });
      const accounts = await c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu });
      expect(accounts.map((a) => a.externalId)).toEqual([oracle.accounts[2].accountId]);
      expect(accounts[0].identifiers).toContainEqual({ scheme: 'iban', identification: iban });
    });

    it('lists a card account as an account (masked PAN), with its balances and every card transaction', async () => {
      const c = connector(registration);
      const { consentId, authorisedAt } = await c.authorise({ psu: PSUS.jonas });
      const ctx = { consentId, frequencyPerDay: 4, psu, authorisedAt };
      const accounts = await c.connector.listAccounts(ctx);
      const today = localDateOf(new Date(), BERLIN);
      const from = addDays(today, -60);
      const oracle = await sandbox.summary('saltbank', 'jonas', from);
      const expected = oracle.accounts.find((a) => a.identifiers[0].scheme === 'maskedPan')!;
      const card = accounts.find((a) => a.identifiers.some((i) => i.scheme === 'pan'))!;
      expect(card).toMatchObject({
        externalId: `card-accounts/${expected.accountId}`,
        subtype: 'creditCard',
        currency: 'EUR',
        identifiers: [{ scheme: 'pan', identification: expected.identifiers[0].identification }],
      });
      expect(accounts).toHaveLength(2);
      const [balances] = await c.connector.getBalances(ctx, { accountIds: [card.externalId] });
      expect(balances.balances.map((b) => b.type).sort()).toEqual([
        'closingBooked',
        'interimAvailable',
        'interimBooked',
      ]);
      const [tx] = await c.connector.getTransactions(ctx, { accountIds: [card.externalId], from, to: today });
      const sum = (status: string) =>
        tx.transactions.filter((t) => t.status === status).reduce((s, t) => s.plus(t.amount.amount), new Decimal(0));
      expect({
        booked: tx.transactions.filter((t) => t.status === 'booked').length,
        pending: tx.transactions.filter((t) => t.status === 'pending').length,
      }).toEqual({ booked: expected.booked.count, pending: expected.pending.count });
      expect(sum('booked').equals(expected.booked.sum)).toBe(true);
      expect(sum('pending').equals(expected.pending.sum)).toBe(true);
      expect(tx.transactions.some((t) => t.merchant?.categoryCode)).toBe(true);
      const paths = c.exchanges.map((e) => new URL(e.url).pathname);
      expect(paths).toContain(`/saltbank/v1/card-accounts/${expected.accountId}/transactions`);
      expect(await c.connector.listStandingOrders(ctx, { accountId: card.externalId })).toEqual([]);
    });

    it('reads standing orders with bookingStatus=information and maps them like OBIE’s', async () => {
      const c = connector(registration);
      const { consentId } = await c.authorise({
        psu: PSUS.max,
        permissions: ['accounts', 'transactions', 'standingOrders'],
      });
      const ctx = { consentId, frequencyPerDay: 4, psu };
      const [giro] = await c.connector.listAccounts(ctx);
      const orders = await c.connector.listStandingOrders(ctx, { accountId: giro.externalId });
      expect(orders).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            externalId: expect.any(String),
            accountId: giro.externalId,
            frequency: 'IntrvlMnthDay:01:01',
            reference: 'RENT',
            status: 'Active',
            firstPaymentAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/),
            nextPaymentAmount: { amount: expect.stringMatching(/^\d+\.\d{2}$/), currency: 'EUR' },
            creditorAccount: expect.objectContaining({ scheme: 'iban' }),
          }),
        ]),
      );
      const [read] = c.exchanges.filter((e) => e.operation === 'bg.standingOrders');
      expect(new URL(read.url).searchParams.get('bookingStatus')).toBe('information');
    });
  });
});
