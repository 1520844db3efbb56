import { AppError } from './errors.js';
import type { ProviderCapabilities } from './capabilities.js';
import {
  CONSENT_STATUSES,
  DEFAULT_CONSENT_DAYS,
  nextConsentStatus,
  resolveConsentTerms,
  transitionConsent,
  type ConsentEvent,
  type ConsentStatus,
} from './consent.js';

const EVENTS: ConsentEvent[] = [
  'psu_authorised',
  'psu_rejected',
  'authorisation_failed',
  'expired',
  'revoked_by_tenant',
  'revoked_by_bank',
  'reauthorisation_started',
];

describe('consent state machine', () => {
  const allowed: Array<[ConsentStatus, ConsentEvent, ConsentStatus]> = [
    ['awaiting_authorisation', 'psu_authorised', 'authorised'],
    ['awaiting_authorisation', 'psu_rejected', 'rejected'],
    ['awaiting_authorisation', 'authorisation_failed', 'failed'],
    ['awaiting_authorisation', 'expired', 'expired'],
    ['awaiting_authorisation', 'revoked_by_tenant', 'revoked'],
    ['awaiting_authorisation', 'revoked_by_bank', 'revoked'],
    ['awaiting_authorisation', 'reauthorisation_started', 'awaiting_authorisation'],
    ['authorised', 'psu_authorised', 'authorised'],
    ['authorised', 'expired', 'expired'],
    ['authorised', 'revoked_by_tenant', 'revoked'],
    ['authorised', 'revoked_by_bank', 'revoked'],
    ['authorised', 'reauthorisation_started', 'authorised'],
    ['authorised', 'authorisation_failed', 'authorised'],
    ['authorised', 'psu_rejected', 'authorised'],
    ['rejected', 'reauthorisation_started', 'awaiting_authorisation'],
    ['rejected', 'revoked_by_tenant', 'revoked'],
    ['failed', 'reauthorisation_started', 'awaiting_authorisation'],
    ['failed', 'revoked_by_tenant', 'revoked'],
    ['expired', 'reauthorisation_started', 'awaiting_authorisation'],
    ['expired', 'revoked_by_tenant', 'revoked'],
  ];

  it.each(allowed)('%s --%s--> %s', (from, event, to) => {
    expect(transitionConsent(from, event)).toBe(to);
  });

  const refused = CONSENT_STATUSES.flatMap((from) =>
    EVENTS.filter((event) => !allowed.some(([f, e]) => f === from && e === event)).map(
      (event) => [from, event] as [ConsentStatus, ConsentEvent],
    ),
  );

  it.each(refused)('refuses %s --%s-->', (from, event) => {
    expect(nextConsentStatus(from, event)).toBeNull();
    expect(() => transitionConsent(from, event)).toThrow(AppError);
    try {
      transitionConsent(from, event);
    } catch (e) {
      expect((e as AppError).code).toBe('invalid_state_transition');
      expect((e as AppError).detail).toContain(from);
    }
  });

  it('covers every (status, event) pair exactly once between the two tables', () => {
    expect(allowed.length + refused.length).toBe(CONSENT_STATUSES.length * EVENTS.length);
  });

  it('keeps revoked terminal', () => {
    for (const event of EVENTS) expect(nextConsentStatus('revoked', event)).toBeNull();
  });
});

describe('resolveConsentTerms', () => {
  const caps: ProviderCapabilities = {
    supportedPermissions: ['accounts', 'balances', 'transactions', 'statements'],
    maxHistoryDays: 730,
    maxConsentDays: 90,
    maxFrequencyPerDay: 4,
    bulkEndpoints: [],
    psuPresentRefresh: true,
    accessWindow: { kind: 'rolling24h' },
    transactionHistoryLimitDays: null,
    firstAccessWindowMinutes: null,
    syncLookBackDays: 30,
    supportsRevocation: true,
    consentStatusCheckSeconds: 900,
    refreshTokens: true,
    authorisationFlow: 'oidc_hybrid_request_object',
    timeZone: 'Europe/London',
    currencies: ['GBP'],
    dedicatedAccountConsents: false,
    cardAccounts: false,
  };
  const now = new Date('2026-11-21T12:00:00Z');

  it('defaults to the provider maximums and the default permissions', () => {
    expect(resolveConsentTerms({}, caps, now)).toEqual({
      permissions: ['accounts', 'balances', 'transactions'],
      expiresAt: new Date('2027-02-19T12:00:00Z'),
      transactionsFrom: '2024-11-21',
      frequencyPerDay: 4,
    });
  });

  it('keeps what is asked within the limits and adds accounts when a resource needs it', () => {
    const terms = resolveConsentTerms(
      {
        permissions: ['transactions'],
        expiresAt: '2027-01-01T00:00:00Z',
        transactionsFrom: '2026-01-01',
        frequencyPerDay: 2,
      },
      caps,
      now,
    );
    expect(terms).toEqual({
      permissions: ['accounts', 'transactions'],
      expiresAt: new Date('2027-01-01T00:00:00Z'),
      transactionsFrom: '2026-01-01',
      frequencyPerDay: 2,
    });
  });

  it('answers asking beyond each limit with a field error that names the limit', () => {
    let error: AppError | undefined;
    try {
      resolveConsentTerms(
        {
          permissions: ['party', 'nonsense'],
          expiresAt: '2028-01-01T00:00:00Z',
          transactionsFrom: '2020-01-01',
          frequencyPerDay: 5,
        },
        caps,
        now,
      );
    } catch (e) {
      error = e as AppError;
    }
    expect(error?.code).toBe('limit_exceeded');
    const messages = Object.fromEntries(
      error!.fieldErrors.map((f) => [f.field + ':' + f.message.slice(0, 12), f.message]),
    );
    const text = error!.fieldErrors.map((f) => `${f.field}: ${f.message}`).join('\n');
    expect(text).toMatch(/permissions: unknown permission\(s\): nonsense/);
    expect(text).toMatch(/permissions: not supported by this provider: party/);
    expect(text).toMatch(/expiresAt: exceeds this provider's maximum consent length of 90 days/);
    expect(text).toMatch(/transactionsFrom: exceeds this provider's maximum history of 730 days/);
    expect(text).toMatch(/frequencyPerDay: exceeds this provider's maximum of 4/);
    expect(Object.keys(messages).length).toBe(5);
  });

  it('refuses a permission the provider does not serve with a problem that names it, in its detail too', () => {
    let error: AppError | undefined;
    try {
      resolveConsentTerms({ permissions: ['accounts', 'party', 'beneficiaries'] }, caps, now);
    } catch (e) {
      error = e as AppError;
    }
    expect(error?.code).toBe('limit_exceeded');
    expect(error?.detail).toBe('This provider does not serve: party, beneficiaries.');
    expect(error?.extensions).toEqual({ unsupportedPermissions: ['party', 'beneficiaries'] });
    expect(error?.fieldErrors).toEqual([
      {
        field: 'permissions',
        message:
          'not supported by this provider: party, beneficiaries (supported: accounts, balances, transactions, statements)',
      },
    ]);
  });

  it('caps nothing at a bank that sets no maximum consent length, and defaults to DEFAULT_CONSENT_DAYS', () => {
    const uncapped = { ...caps, maxConsentDays: null };
    expect(resolveConsentTerms({}, uncapped, now).expiresAt).toEqual(
      new Date(now.getTime() + DEFAULT_CONSENT_DAYS * 86_400_000),
    );
    expect(resolveConsentTerms({ expiresAt: '2029-06-30T00:00:00Z' }, uncapped, now).expiresAt).toEqual(
      new Date('2029-06-30T00:00:00Z'),
    );
    expect(() => resolveConsentTerms({ expiresAt: '2026-11-20T00:00:00Z' }, uncapped, now)).toThrow(AppError);
  });

  it("dates the history on the bank's calendar, as the sync's window does", () => {
    // 21:30 UTC on 4 December is already 5 December in Bahrain: 730 days back is 2024-12-05 there.
    const bahrain = { ...caps, timeZone: 'Asia/Bahrain' };
    const late = new Date('2026-12-04T21:30:00Z');
    expect(resolveConsentTerms({}, bahrain, late).transactionsFrom).toBe('2024-12-05');
    expect(() => resolveConsentTerms({ transactionsFrom: '2024-12-04' }, bahrain, late)).toThrow(AppError);
    expect(resolveConsentTerms({ transactionsFrom: '2026-12-05' }, bahrain, late).transactionsFrom).toBe('2026-12-05');
    expect(resolveConsentTerms({}, caps, late).transactionsFrom).toBe('2024-12-04');
  });

  it('refuses malformed and past values', () => {
    expect(() => resolveConsentTerms({ expiresAt: 'soon' }, caps, now)).toThrow(AppError);
    expect(() => resolveConsentTerms({ expiresAt: '2026-11-20T00:00:00Z' }, caps, now)).toThrow(AppError);
    expect(() => resolveConsentTerms({ transactionsFrom: '2026-13-45' }, caps, now)).toThrow(AppError);
    expect(() => resolveConsentTerms({ transactionsFrom: '2026-12-01' }, caps, now)).toThrow(AppError);
    expect(() => resolveConsentTerms({ frequencyPerDay: 0 }, caps, now)).toThrow(AppError);
    expect(() => resolveConsentTerms({ permissions: [] }, caps, now)).toThrow(AppError);
  });
});

describe('resolveConsentTerms: a dedicated-account consent (accounts)', () => {
  const caps = (dedicatedAccountConsents: boolean): ProviderCapabilities => ({
    supportedPermissions: ['accounts', 'balances', 'transactions'],
    maxHistoryDays: 730,
    maxConsentDays: 180,
    maxFrequencyPerDay: 4,
    bulkEndpoints: [],
    psuPresentRefresh: true,
    accessWindow: { kind: 'calendarDay', timeZone: 'Europe/Berlin' },
    transactionHistoryLimitDays: 90,
    firstAccessWindowMinutes: 10,
    syncLookBackDays: 30,
    supportsRevocation: true,
    consentStatusCheckSeconds: 900,
    refreshTokens: true,
    authorisationFlow: 'oauth_code_pkce',
    timeZone: 'Europe/Berlin',
    currencies: ['EUR'],
    dedicatedAccountConsents,
    cardAccounts: false,
  });
  const now = new Date('2026-11-21T12:00:00Z');
  const fieldsOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as AppError).fieldErrors.map((f) => f.field);
    }
    throw new Error('expected a refusal');
  };

  it('keeps the named IBANs, compact and upper case, each once', () => {
    const terms = resolveConsentTerms(
      {
        accounts: [
          { scheme: 'iban', identification: 'de89 3704 0044 0532 0130 00' },
          { scheme: 'iban', identification: 'DE89370400440532013000' },
        ],
      },
      caps(true),
      now,
    );
    expect(terms.accounts).toEqual([{ scheme: 'iban', identification: 'DE89370400440532013000' }]);
    expect(resolveConsentTerms({}, caps(true), now).accounts).toBeUndefined();
  });

  it('refuses accounts at a provider without dedicated-account consents, naming the field', () => {
    expect(
      fieldsOf(() =>
        resolveConsentTerms(
          { accounts: [{ scheme: 'iban', identification: 'DE89370400440532013000' }] },
          caps(false),
          now,
        ),
      ),
    ).toEqual(['accounts']);
  });

  it('refuses an empty list, another scheme and an IBAN with wrong check digits', () => {
    expect(fieldsOf(() => resolveConsentTerms({ accounts: [] }, caps(true), now))).toEqual(['accounts']);
    expect(
      fieldsOf(() =>
        resolveConsentTerms(
          {
            accounts: [
              { scheme: 'bban', identification: '370400440532013000' },
              { scheme: 'iban', identification: 'DE88370400440532013000' },
            ],
          },
          caps(true),
          now,
        ),
      ),
    ).toEqual(['accounts[0].scheme', 'accounts[1].identification']);
  });
});
