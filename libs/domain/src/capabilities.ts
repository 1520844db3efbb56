import type { Permission } from './permissions.js';

/** Banking standards the connectors speak. Values are stored in `providers.standard`. */
export const STANDARDS = ['obie_3_1', 'berlin_group_1_3'] as const;
export type Standard = (typeof STANDARDS)[number];

export type ProviderStatus = 'active' | 'inactive';

/** How a bank counts unattended accesses against `frequencyPerDay`. */
export type AccessWindow = { kind: 'rolling24h' } | { kind: 'calendarDay'; timeZone: string };

/** Resources a bank may serve in one call for all consented accounts. */
export type BulkEndpoint =
  | 'balances'
  | 'transactions'
  | 'beneficiaries'
  | 'standingOrders'
  | 'directDebits'
  | 'scheduledPayments'
  | 'statements'
  | 'party';

/**
 * How the PSU authorises a consent, as the connector runs it:
 * - `oidc_hybrid_request_object`: OBIE / FAPI 1.0 Advanced, the OIDC hybrid flow (`code id_token`)
 *   with a signed request object carrying the consent id;
 * - `oauth_code`: the bank's own authorisation page (Al Salam: the consent's `Links.Self`), an
 *   authorization code exchanged at the token endpoint, no PKCE;
 * - `oauth_code_pkce`: an OAuth 2.0 authorization code with PKCE S256 (Berlin Group's OAuth SCA approach).
 */
export const AUTHORISATION_FLOWS = ['oidc_hybrid_request_object', 'oauth_code', 'oauth_code_pkce'] as const;
export type AuthorisationFlow = (typeof AUTHORISATION_FLOWS)[number];

/**
 * What a provider supports and allows: the consent-service caps requests with it, the sync-worker
 * plans within it, and `GET /v1/providers` shows it.
 */
export interface ProviderCapabilities {
  supportedPermissions: Permission[];
  /** How far back transactions can be read (days). */
  maxHistoryDays: number;
  /**
   * The longest consent the bank grants (days); null: the bank sets no maximum (its consent lasts
   * as long as asked), so the gateway caps nothing and defaults to DEFAULT_CONSENT_DAYS.
   */
  maxConsentDays: number | null;
  /** The most unattended accesses per day the bank allows per consent (and scope). */
  maxFrequencyPerDay: number;
  bulkEndpoints: BulkEndpoint[];
  /** A PSU-present refresh (the PSU's IP sent to the bank) does not count against the budget. */
  psuPresentRefresh: boolean;
  /** How the bank counts accesses (per consent × account × resource) within a day. */
  accessWindow: AccessWindow;
  /**
   * Outside the first-access window, transaction reads may reach back at most this many days
   * (Berlin Group's 90-day rule; Salt Bank: 90). null = no such rule.
   */
  transactionHistoryLimitDays: number | null;
  /**
   * Minutes after authorisation during which the full history may be read regardless of
   * `transactionHistoryLimitDays` (Salt Bank: 10). The first sync must run inside it.
   */
  firstAccessWindowMinutes: number | null;
  /**
   * How far a scheduled sync reaches back (days) from the newest booked date the consent already
   * holds: late bookings and pending items that settle days later still land in the window, and
   * nothing older is asked for again. The first sync, a re-authorisation and a full refresh read the
   * whole history instead.
   */
  syncLookBackDays: number;
  /** The bank's consent can be revoked by the TPP through the API. */
  supportsRevocation: boolean;
  /**
   * How often the gateway reads each authorised consent's status at the bank (seconds), so that a
   * revocation or expiry made at the bank becomes consent.revoked / consent.expired within this
   * interval. Only banks whose status endpoint does not count against the consent's access limits are
   * polled; null: not polled (the next data call notices).
   */
  consentStatusCheckSeconds: number | null;
  /** The bank issues refresh tokens. */
  refreshTokens: boolean;
  /** How the PSU authorises (for operators and the consent-service). */
  authorisationFlow: AuthorisationFlow;
  /** The IANA time zone of the bank's calendar (booking dates, calendar-day budgets). */
  timeZone: string;
  /** Currencies accounts are typically held in (informational). */
  currencies: string[];
  /**
   * The tenant may name the accounts of a consent (POST /v1/consents `accounts`, by IBAN): the bank
   * is asked for those accounts only (Berlin Group's dedicated-account consent).
   */
  dedicatedAccountConsents: boolean;
  /** The bank serves card accounts (listed as accounts with a masked `pan` identifier). */
  cardAccounts: boolean;
}

/**
 * When the next status check of a consent is due: one interval on, spread over ±10 % so a cohort
 * authorised together does not stay bunched; null when the provider is not polled.
 */
export function nextConsentStatusCheckAt(
  caps: Partial<Pick<ProviderCapabilities, 'consentStatusCheckSeconds'>>,
  now: Date,
  random = Math.random,
): Date | null {
  const seconds = caps.consentStatusCheckSeconds;
  if (seconds === null || seconds === undefined) return null;
  return new Date(now.getTime() + seconds * 1000 * (0.9 + 0.2 * random()));
}
