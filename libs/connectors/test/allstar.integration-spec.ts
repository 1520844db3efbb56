import { jest } from '@jest/globals';
import { Decimal } from 'decimal.js';
import { addDays, AppError, localDateOf } from '@ais/domain';
import type { ClientAuthMethod, ProviderRegistration } from '../src/index.js';
import { callbackOf, PSU_IP, PSUS, REDIRECT_URI, Sandbox, type TestConnector } from './sandbox.js';

// Real sockets, real crypto (PS256 keys, DCR, request objects) and generated bank history.
jest.setTimeout(60_000);

const psu = { ipAddress: PSU_IP };

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe('Allstar (UK OBIE 3.1, DCR, OIDC hybrid flow) through the OBIE connector', () => {
  let sandbox: Sandbox;
  const open: TestConnector[] = [];
  const connector = (registration: ProviderRegistration) => {
    const c = sandbox.connector('allstar', registration);
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

  it.each<ClientAuthMethod>(['client_secret_basic', 'private_key_jwt', 'tls_client_auth'])(
    'registers by DCR with %s, authorises a consent and reads accounts with that client',
    async (method) => {
      const registration = await sandbox.onboard('allstar', method);
      expect(registration).toMatchObject({ providerId: 'allstar', tokenEndpointAuthMethod: method, source: 'dcr' });
      expect(registration.clientId).toMatch(/^[0-9a-f-]{36}$/);
      const c = connector(registration);
      const { consentId, tokens } = await c.authorise({ psu: PSUS.alice });
      expect(tokens.idTokenClaims).toMatchObject({ openbanking_intent_id: tokens.externalConsentId });
      const accounts = await c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu });
      expect(accounts.map((a) => a.subtype).sort()).toEqual(['creditCard', 'currentAccount', 'savings']);
      // Token requests authenticated the way the client registered.
      const tokenCalls = c.exchanges.filter((e) => e.operation === 'obie.exchangeCode');
      expect(tokenCalls).toHaveLength(1);
      const sent = tokenCalls[0];
      if (method === 'client_secret_basic') expect(sent.requestHeaders.authorization).toMatch(/^Basic /);
      if (method === 'private_key_jwt')
        expect(sent.requestBody).toContain(
          'client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer',
        );
      if (method !== 'client_secret_basic') expect(sent.requestHeaders.authorization).toBeUndefined();
      expect(sent.requestBody).not.toContain('client_secret');
    },
  );

  it('uses certificate-bound tokens: with a transport certificate every token and resource call goes over mutual TLS, and the token is useless without the certificate', async () => {
    const registration = await sandbox.onboard('allstar', 'tls_client_auth');
    const c = connector(registration);
    const { consentId, tokens } = await c.authorise({ psu: PSUS.bob });
    await c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu });
    const dataCalls = c.exchanges.filter(
      (e) =>
        e.operation === 'obie.accounts' ||
        e.operation === 'obie.exchangeCode' ||
        e.operation === 'obie.clientCredentials',
    );
    expect(dataCalls.length).toBeGreaterThanOrEqual(3);
    for (const e of dataCalls) expect(e.url.startsWith(sandbox.mtlsUrl)).toBe(true);
    const plain = await fetch(`${sandbox.url}/allstar/open-banking/v3.1/aisp/accounts`, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, 'x-fapi-customer-ip-address': PSU_IP },
    });
    expect(plain.status).toBe(401);
  });

  it('refuses to register with client_secret_post, which Allstar does not advertise, without calling /register', async () => {
    const c = sandbox.connector('allstar', undefined);
    open.push(c);
    const e = await failure(
      c.connector.onboard({
        redirectUris: [REDIRECT_URI],
        tpp: await sandbox.tppIdentity(),
        tokenEndpointAuthMethod: 'client_secret_post',
      }),
    );
    expect(e.code).toBe('validation_failed');
    expect(c.exchanges.filter((x) => x.operation === 'obie.register')).toHaveLength(0);
  });

  describe('with a client registered by DCR (client_secret_basic)', () => {
    let registration: ProviderRegistration;
    beforeAll(async () => {
      registration = await sandbox.onboard('allstar', 'client_secret_basic');
    });

    it('creates a consent, reads its status through authorisation, revokes it, and then reports consent_revoked on data calls', async () => {
      const c = connector(registration);
      const created = await c.connector.createConsent({
        consentId: 'c1',
        permissions: ['accounts', 'balances'],
        frequencyPerDay: 4,
        redirectUri: REDIRECT_URI,
        psu,
      });
      expect(created).toMatchObject({
        status: 'awaiting_authorisation',
        bankStatus: 'AwaitingAuthorisation',
        permissions: expect.arrayContaining(['accounts', 'balances']),
      });
      // Allstar: 90 days or the requested window, whichever is sooner (seed 000).
      expect(Date.parse(created.expiresAt!) - Date.now()).toBeLessThanOrEqual(90 * 86_400_000 + 60_000);
      expect(await c.connector.getConsentStatus({ externalConsentId: created.externalConsentId })).toMatchObject({
        status: 'awaiting_authorisation',
      });

      const { consentId, consent } = await c.authorise({ psu: PSUS.alice, permissions: ['accounts'] });
      expect((await c.connector.getConsentStatus({ externalConsentId: consent.externalConsentId })).status).toBe(
        'authorised',
      );
      await c.connector.listAccounts({ consentId, frequencyPerDay: 4 });

      await c.connector.revokeConsent({ externalConsentId: consent.externalConsentId });
      await c.connector.revokeConsent({ externalConsentId: consent.externalConsentId }); // already gone = done
      expect(await c.connector.getConsentStatus({ externalConsentId: consent.externalConsentId })).toMatchObject({
        status: 'revoked',
        bankStatus: 'Revoked',
      });
      const e = await failure(c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu }));
      expect(e.code).toBe('consent_revoked');
    });

    it('reports consent_revoked when the PSU revokes at the bank and consent_expired when the consent runs out', async () => {
      const c = connector(registration);
      const revoked = await c.authorise({ psu: PSUS.alice, permissions: ['accounts'] });
      await sandbox.revokeAtBank('allstar', revoked.consent.externalConsentId);
      expect(
        (await failure(c.connector.listAccounts({ consentId: revoked.consentId, frequencyPerDay: 4, psu }))).code,
      ).toBe('consent_revoked');
      const refreshed = await failure(
        c.connector.refreshTokens({
          refreshToken: revoked.tokens.refreshToken!,
          externalConsentId: revoked.consent.externalConsentId,
        }),
      );
      expect(refreshed.code).toBe('consent_revoked');

      const expired = await c.authorise({ psu: PSUS.alice, permissions: ['accounts'] });
      await sandbox.expireAtBank('allstar', expired.consent.externalConsentId);
      expect(
        (await failure(c.connector.listAccounts({ consentId: expired.consentId, frequencyPerDay: 4, psu }))).code,
      ).toBe('consent_expired');
    });

    it('reports bank_forbidden_permission for a resource the consent does not grant, and refreshes tokens', async () => {
      const c = connector(registration);
      const { consentId, tokens, consent } = await c.authorise({ psu: PSUS.bob, permissions: ['accounts'] });
      const [account] = await c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu });
      const e = await failure(
        c.connector.getBalances({ consentId, frequencyPerDay: 4, psu }, { accountIds: [account.externalId] }),
      );
      expect(e.code).toBe('bank_forbidden_permission');
      const fresh = await c.connector.refreshTokens({
        refreshToken: tokens.refreshToken!,
        externalConsentId: consent.externalConsentId,
      });
      expect(fresh.accessToken).not.toBe(tokens.accessToken);
      c.tokens.set(consentId, {
        accessToken: fresh.accessToken,
        tokenType: fresh.tokenType,
        externalConsentId: consent.externalConsentId,
        expiresAt: fresh.accessTokenExpiresAt,
      });
      await expect(c.connector.listAccounts({ consentId, frequencyPerDay: 4, psu })).resolves.toHaveLength(2);
    });

    it('refuses a tampered callback (c_hash, s_hash, nonce, signature) without spending the authorisation code', async () => {
      const c = connector(registration);
      const consent = await c.connector.createConsent({
        consentId: 'c2',
        permissions: ['accounts'],
        frequencyPerDay: 4,
        redirectUri: REDIRECT_URI,
        psu,
      });
      const auth = await c.connector.buildAuthorisation({
        externalConsentId: consent.externalConsentId,
        redirectUri: REDIRECT_URI,
      });
      const callback = callbackOf(await sandbox.psuApproves(auth.url, PSUS.alice));
      expect(callback.id_token).toBeDefined();
      // A second, genuine code for another consent: swapping it in breaks c_hash.
      const other = await c.connector.createConsent({
        consentId: 'c3',
        permissions: ['accounts'],
        frequencyPerDay: 4,
        redirectUri: REDIRECT_URI,
        psu,
      });
      const otherAuth = await c.connector.buildAuthorisation({
        externalConsentId: other.externalConsentId,
        redirectUri: REDIRECT_URI,
      });
      const otherCallback = callbackOf(await sandbox.psuApproves(otherAuth.url, PSUS.alice));

      const [h, p, sig] = callback.id_token!.split('.');
      const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
      const attempts = [
        { why: 'c_hash', session: auth.session, callback: { ...callback, code: otherCallback.code } },
        {
          why: 's_hash',
          session: { ...auth.session, state: 'forged-state' },
          callback: { ...callback, state: 'forged-state' },
        },
        { why: 'nonce', session: { ...auth.session, nonce: 'another-nonce' }, callback },
        { why: 'signature', session: auth.session, callback: { ...callback, id_token: `${h}.${p}.${flipped}` } },
      ];
      for (const a of attempts) {
        const e = await failure(c.connector.exchangeCode({ session: a.session, callback: a.callback }));
        expect([a.why, e.code]).toEqual([a.why, 'bank_invalid_response']);
      }
      expect(c.exchanges.filter((x) => x.operation === 'obie.exchangeCode')).toHaveLength(0);
      // The genuine callback still works: nothing was exchanged on the refused attempts.
      const tokens = await c.connector.exchangeCode({ session: auth.session, callback });
      expect(tokens.externalConsentId).toBe(consent.externalConsentId);
      // A state that does not match the session is refused before any id_token check.
      expect(
        (
          await failure(
            c.connector.exchangeCode({ session: otherAuth.session, callback: { ...otherCallback, state: 'x' } }),
          )
        ).code,
      ).toBe('validation_failed');
    });

    it('follows every page of transactions: nothing lost or duplicated against the sandbox oracle', async () => {
      await sandbox.faults('allstar', { pageSize: 7 });
      try {
        const c = connector(registration);
        const { consentId } = await c.authorise({ psu: PSUS.alice });
        const ctx = { consentId, frequencyPerDay: 4, psu };
        const accounts = await c.connector.listAccounts(ctx);
        const today = localDateOf(new Date(), 'Europe/London');
        const from = addDays(today, -45);
        const result = await c.connector.getTransactions(ctx, {
          accountIds: accounts.map((a) => a.externalId),
          from,
          to: today,
        });
        const oracle = await sandbox.summary('allstar', 'alice', from);
        for (const expected of oracle.accounts) {
          const got = result.find((r) => r.accountId === expected.accountId)!.transactions;
          const sum = (status: string) =>
            got
              .filter((t) => t.status === status)
              .reduce((s, t) => s.plus(t.amount.amount), new Decimal(0))
              .toFixed(2);
          expect({
            booked: got.filter((t) => t.status === 'booked').length,
            pending: got.filter((t) => t.status === 'pending').length,
            bookedSum: sum('booked'),
            pendingSum: sum('pending'),
          }).toEqual({
            booked: expected.booked.count,
            pending: expected.pending.count,
            bookedSum: new Decimal(expected.booked.sum).toFixed(2),
            pendingSum: new Decimal(expected.pending.sum).toFixed(2),
          });
          expect(new Set(got.map((t) => t.identityKey)).size).toBe(got.length);
          for (const t of got) expect(typeof t.amount.amount).toBe('string');
        }
        const pages = c.exchanges.filter((e) => e.operation === 'obie.transactions');
        expect(pages.length).toBeGreaterThan(accounts.length * 2);
        // Later pages are the bank's Links.Next, followed as given.
        expect(pages.some((e) => new URL(e.url).searchParams.has('page'))).toBe(true);
      } finally {
        await sandbox.resetFaults('allstar');
      }
    });

    it('reads statements, statement transactions, party, beneficiaries, standing orders, direct debits and scheduled payments', async () => {
      const c = connector(registration);
      const { consentId } = await c.authorise({
        psu: PSUS.alice,
        permissions: [
          'accounts',
          'balances',
          'transactions',
          'statements',
          'party',
          'beneficiaries',
          'standingOrders',
          'directDebits',
          'scheduledPayments',
        ],
      });
      const ctx = { consentId, frequencyPerDay: 4, psu };
      const accounts = await c.connector.listAccounts(ctx);
      const current = accounts.find((a) => a.subtype === 'currentAccount')!;
      const balances = await c.connector.getBalances(ctx, { accountIds: accounts.map((a) => a.externalId) });
      expect(balances.every((b) => b.balances.length > 0)).toBe(true);
      const statements = await c.connector.listStatements(ctx, { accountId: current.externalId });
      expect(statements.length).toBeGreaterThan(0);
      const stTx = await c.connector.getStatementTransactions(ctx, {
        accountId: current.externalId,
        statementId: statements[0].externalId!,
      });
      expect(stTx.length).toBeGreaterThan(0);
      const [first, last] = [
        localDateOf(statements[0].startAt, 'Europe/London'),
        localDateOf(statements[0].endAt, 'Europe/London'),
      ];
      expect(stTx.every((t) => t.status === 'booked' && t.bookingDate >= first && t.bookingDate <= last)).toBe(true);
      expect(await c.connector.getParties(ctx, {})).toEqual([expect.objectContaining({ name: 'Alice Carter' })]);
      expect(await c.connector.getParties(ctx, { accountId: current.externalId })).toHaveLength(1);
      expect((await c.connector.listStandingOrders(ctx, { accountId: current.externalId })).length).toBeGreaterThan(0);
      expect((await c.connector.listDirectDebits(ctx, { accountId: current.externalId })).length).toBeGreaterThan(0);
      expect((await c.connector.listScheduledPayments(ctx, { accountId: current.externalId })).length).toBeGreaterThan(
        0,
      );
      expect(Array.isArray(await c.connector.listBeneficiaries(ctx, { accountId: current.externalId }))).toBe(true);
    });

    it('never sends an unattended call beyond frequencyPerDay: the guard refuses before the bank is called, PSU-present calls are not limited', async () => {
      await sandbox.faults('allstar', { unattendedPerDay: 2 });
      try {
        const c = connector(registration);
        const { consentId, consent } = await c.authorise({
          psu: PSUS.bob,
          permissions: ['accounts'],
          frequencyPerDay: 2,
        });
        const unattended = { consentId, frequencyPerDay: 2 };
        await c.connector.listAccounts(unattended);
        await c.connector.listAccounts(unattended);
        const before = c.exchanges.length;
        const e = await failure(c.connector.listAccounts(unattended));
        expect(e.code).toBe('budget_exhausted');
        expect(Date.parse(e.extensions.nextAllowedAt as string)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
        expect(c.exchanges.length).toBe(before);
        for (let i = 0; i < 3; i++) await c.connector.listAccounts({ ...unattended, psu });
        const [row] = await sandbox.counters('allstar', consent.externalConsentId);
        expect(row).toMatchObject({ resource: 'accounts', unattended: 2, psuPresent: 3, rejected429: 0 });
        // PSU-present calls carried the PSU's IP; unattended ones did not.
        const sent = c.exchanges.filter((x) => x.operation === 'obie.accounts');
        expect(sent.map((x) => x.requestHeaders['x-fapi-customer-ip-address'])).toEqual([
          undefined,
          undefined,
          PSU_IP,
          PSU_IP,
          PSU_IP,
        ]);
      } finally {
        await sandbox.resetFaults('allstar');
      }
    });
  });
});
