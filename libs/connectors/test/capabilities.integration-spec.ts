import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import {
  addDays,
  AppError,
  localDateOf,
  PERMISSIONS,
  type AuthorisationFlow,
  type Permission,
  type ProviderCapabilities,
} from '@ais/domain';
import {
  createConnector,
  InMemoryAccessGuard,
  InMemoryTokenSource,
  providerCatalogue,
  type BankConnector,
  type ClientAuthMethod,
  type DataCallContext,
  type ProviderRecord,
  type ProviderRegistration,
} from '../src/index.js';
import {
  callbackOf,
  PSU_IP,
  PSUS,
  REDIRECT_URI,
  Sandbox,
  TEST_RESILIENCE,
  type BankId,
  type Psu,
  type TestConnector,
} from './sandbox.js';

// Every resource of every bank, each a real call to the sandbox.
jest.setTimeout(120_000);

const DAY = 86_400_000;
// Each with a card account, so that cardAccounts is put to the bank too.
const PSU_OF: Record<BankId, Psu> = { allstar: PSUS.alice, alsalam: PSUS.fatima, saltbank: PSUS.jonas };
const AUTH_METHOD: Partial<Record<BankId, ClientAuthMethod>> = { allstar: 'private_key_jwt', saltbank: 'none' };

/** The flow an authorisation URL runs, read from the URL the connector built. */
function flowOf(url: string): AuthorisationFlow {
  const q = new URL(url).searchParams;
  if (q.has('code_challenge')) {
    expect(q.get('code_challenge_method')).toBe('S256');
    return 'oauth_code_pkce';
  }
  if (q.has('request')) {
    expect(q.get('response_type')).toBe('code id_token');
    return 'oidc_hybrid_request_object';
  }
  return 'oauth_code';
}

/** One read of an optional resource per permission, for one account. */
const READ_OPTIONAL: Record<
  Exclude<Permission, 'accounts' | 'balances' | 'transactions'>,
  (c: BankConnector, ctx: DataCallContext, accountId: string) => Promise<unknown>
> = {
  statements: async (c, ctx, accountId) => {
    const statements = await c.listStatements(ctx, { accountId });
    // A statement's transactions are read under the same permission.
    if (statements[0]?.externalId)
      await c.getStatementTransactions(ctx, { accountId, statementId: statements[0].externalId });
    return statements;
  },
  party: (c, ctx, accountId) => c.getParties(ctx, { accountId }),
  beneficiaries: (c, ctx, accountId) => c.listBeneficiaries(ctx, { accountId }),
  standingOrders: (c, ctx, accountId) => c.listStandingOrders(ctx, { accountId }),
  directDebits: (c, ctx, accountId) => c.listDirectDebits(ctx, { accountId }),
  scheduledPayments: (c, ctx, accountId) => c.listScheduledPayments(ctx, { accountId }),
};

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof AppError)) throw new Error(`expected the bank to refuse, got ${String(outcome)}`);
  return outcome;
}

/**
 * GET /v1/providers shows each provider's capabilities as its connector profile gives them. Here every
 * one of them is put to the sandbox bank over HTTP, as the gateway would use it: a consent with every
 * advertised permission, authorised through the advertised flow, then every advertised resource read
 * (in bulk where advertised, as far back as advertised, with the PSU present where advertised), the
 * tokens refreshed and the consent revoked; and the longest consent the bank grants compared with the
 * advertised one. An OBIE bank must also refuse what it does not advertise (an under-advertising
 * profile is a disagreement too).
 */
describe('capabilities: every provider advertises exactly what its sandbox bank serves', () => {
  let sandbox: Sandbox;
  let catalogue: ProviderRecord[];
  const registrations = {} as Record<BankId, ProviderRegistration>;
  const open: TestConnector[] = [];

  beforeAll(async () => {
    sandbox = await Sandbox.start();
    catalogue = providerCatalogue({ sandboxUrl: sandbox.url, sandboxMtlsUrl: sandbox.mtlsUrl });
    for (const bank of ['allstar', 'alsalam', 'saltbank'] as const)
      registrations[bank] = await sandbox.onboard(bank, AUTH_METHOD[bank]);
  });
  afterAll(async () => {
    for (const c of open) await c.close();
    await sandbox.close();
  });

  const row = (bank: BankId) => catalogue.find((p) => p.id === bank)!;

  it('covers every provider a consent can be made at: the active ones are the sandbox banks', () => {
    expect(
      catalogue
        .filter((p) => p.status === 'active')
        .map((p) => p.id)
        .sort(),
    ).toEqual(['allstar', 'alsalam', 'saltbank']);
  });

  describe.each<BankId>(['allstar', 'alsalam', 'saltbank'])('%s', (bank) => {
    it('serves every advertised resource after a consent with every advertised permission, through the advertised flow', async () => {
      const caps: ProviderCapabilities = row(bank).capabilities;
      const c = sandbox.connector(bank, registrations[bank]);
      open.push(c);
      const consentId = `cns_${randomUUID()}`;
      const today = localDateOf(new Date(), caps.timeZone);
      const consent = await c.connector.createConsent({
        consentId,
        permissions: caps.supportedPermissions,
        frequencyPerDay: caps.maxFrequencyPerDay,
        redirectUri: REDIRECT_URI,
        psu: { ipAddress: PSU_IP },
        transactionsFrom: addDays(today, -caps.maxHistoryDays),
      });
      const auth = await c.connector.buildAuthorisation({
        externalConsentId: consent.externalConsentId,
        redirectUri: REDIRECT_URI,
        consentLinks: consent.links,
        psu: { ipAddress: PSU_IP },
      });
      expect(flowOf(auth.url)).toBe(caps.authorisationFlow);
      const location = await sandbox.psuApproves(auth.url, PSU_OF[bank]);
      const tokens = await c.connector.exchangeCode({ session: auth.session, callback: callbackOf(location) });
      c.tokens.set(consentId, {
        accessToken: tokens.accessToken,
        tokenType: tokens.tokenType,
        externalConsentId: tokens.externalConsentId,
        expiresAt: tokens.accessTokenExpiresAt,
      });

      const ctx: DataCallContext = {
        consentId,
        frequencyPerDay: caps.maxFrequencyPerDay,
        authorisedAt: new Date().toISOString(),
        ...(caps.psuPresentRefresh ? { psu: { ipAddress: PSU_IP } } : {}),
      };
      const served: Permission[] = [];
      const accounts = await c.connector.listAccounts(ctx);
      expect(accounts.length).toBeGreaterThan(0);
      // Card accounts where advertised: listed as accounts with a masked PAN.
      expect(accounts.some((a) => a.identifiers.some((i) => i.scheme === 'pan'))).toBe(caps.cardAccounts);
      served.push('accounts');
      const ids = accounts.map((a) => a.externalId);
      if (caps.supportedPermissions.includes('balances')) {
        await c.connector.getBalances(ctx, { accountIds: ids });
        served.push('balances');
      }
      if (caps.supportedPermissions.includes('transactions')) {
        // As far back as advertised (Berlin Group: inside the first minutes after authorisation).
        await c.connector.getTransactions(ctx, {
          accountIds: ids,
          from: addDays(today, -caps.maxHistoryDays),
          to: today,
        });
        served.push('transactions');
      }
      for (const [permission, read] of Object.entries(READ_OPTIONAL) as [Permission, typeof READ_OPTIONAL.party][]) {
        if (!caps.supportedPermissions.includes(permission)) continue;
        for (const id of ids) await read(c.connector, ctx, id);
        served.push(permission);
      }
      expect(served.sort()).toEqual([...caps.supportedPermissions].sort());

      // Bulk where advertised: one call for every account.
      const paths = c.exchanges.map((e) => new URL(e.url).pathname);
      for (const kind of ['balances', 'transactions'] as const)
        expect(paths.some((p) => p.endsWith(`/${kind}`) && !/\/(card-)?accounts\//.test(p))).toBe(
          caps.bulkEndpoints.includes(kind),
        );
      // PSU-present where advertised: the bank counted none of these calls against the unattended budget.
      if (caps.psuPresentRefresh) {
        const counted = await sandbox.counters(bank, consent.externalConsentId);
        expect(counted.length).toBeGreaterThan(0);
        expect(counted.filter((r) => r.unattended > 0)).toEqual([]);
      }
      if (caps.refreshTokens) {
        expect(tokens.refreshToken).toEqual(expect.any(String));
        await c.connector.refreshTokens({
          refreshToken: tokens.refreshToken!,
          externalConsentId: tokens.externalConsentId,
        });
      }
      if (caps.supportsRevocation) {
        await c.connector.revokeConsent({ externalConsentId: consent.externalConsentId, consentId });
        expect((await c.connector.getConsentStatus({ externalConsentId: consent.externalConsentId })).status).toBe(
          'revoked',
        );
      }
    });

    it('serves only the accounts a dedicated-account consent names, where advertised', async () => {
      const caps = row(bank).capabilities;
      if (!caps.dedicatedAccountConsents) return;
      const c = sandbox.connector(bank, registrations[bank]);
      open.push(c);
      const oracle = await sandbox.summary(bank, PSU_OF[bank].username);
      const named = oracle.accounts.find((a) => a.identifiers.some((i) => i.scheme === 'iban'))!;
      const iban = named.identifiers.find((i) => i.scheme === 'iban')!.identification;
      const { consentId } = await c.authorise({
        psu: PSU_OF[bank],
        permissions: caps.supportedPermissions,
        accounts: [{ scheme: 'iban', identification: iban }],
      });
      const accounts = await c.connector.listAccounts({ consentId, frequencyPerDay: 1, psu: { ipAddress: PSU_IP } });
      expect(accounts.map((a) => a.externalId)).toEqual([named.accountId]);
    });

    it('grants the longest consent it advertises, and no longer', async () => {
      const caps = row(bank).capabilities;
      // The bank's own limit, unclamped by the profile: the consent asked for with no end date
      // (OBIE: no ExpirationDateTime; Berlin Group: validUntil 9999-12-31, "the longest allowed").
      const uncapped = createConnector(
        { ...row(bank), capabilities: { ...caps, maxConsentDays: null } },
        registrations[bank],
        {
          accessGuard: new InMemoryAccessGuard(),
          tokenSource: new InMemoryTokenSource(),
          resilience: TEST_RESILIENCE,
        },
      );
      try {
        const asked = Date.now();
        const created = await uncapped.createConsent({
          consentId: `cns_${randomUUID()}`,
          permissions: ['accounts'],
          frequencyPerDay: 1,
          redirectUri: REDIRECT_URI,
          psu: { ipAddress: PSU_IP },
        });
        // What the bank recorded, as it reads the consent back.
        const consent = await uncapped.getConsentStatus({ externalConsentId: created.externalConsentId });
        if (caps.maxConsentDays === null) expect(consent.expiresAt).toBeNull();
        else {
          expect(consent.expiresAt).not.toBeNull();
          const days = (Date.parse(consent.expiresAt!) - asked) / DAY;
          // Berlin Group grants whole days (validUntil is a date of the bank's calendar).
          expect(days).toBeGreaterThan(caps.maxConsentDays - 1);
          expect(days).toBeLessThanOrEqual(caps.maxConsentDays + 1);
        }
      } finally {
        await uncapped.close();
      }
    });
  });

  it.each<BankId>(['allstar', 'alsalam'])(
    '%s (OBIE) refuses every resource it does not advertise: 404, no such endpoint',
    async (bank) => {
      const caps = row(bank).capabilities;
      const missing = PERMISSIONS.filter((p) => !caps.supportedPermissions.includes(p));
      const c = sandbox.connector(bank, registrations[bank]);
      open.push(c);
      const { consentId } = await c.authorise({ psu: PSU_OF[bank], permissions: caps.supportedPermissions });
      const ctx: DataCallContext = { consentId, frequencyPerDay: 1, psu: { ipAddress: PSU_IP } };
      const [account] = await c.connector.listAccounts(ctx);
      for (const permission of missing) {
        const read = READ_OPTIONAL[permission as keyof typeof READ_OPTIONAL];
        const error = await refusal(read(c.connector, ctx, account.externalId));
        expect({
          permission,
          code: error.code,
          status: (error.extensions.bank as { httpStatus?: number })?.httpStatus,
        }).toEqual({
          permission,
          code: 'bank_rejected_request',
          status: 404,
        });
      }
    },
  );
});
