import { OBIE_BALANCE_TYPES, type AuthorisationFlow, type BalanceType, type ProviderCapabilities } from '@ais/domain';
import type { ClientAuthMethod } from '../connector.js';
import type { EndpointBase, ProviderEndpoints } from '../provider.js';
import type { ObTransaction6 } from './obie.wire.js';

/**
 * What one OBIE-shaped bank does differently: endpoints, onboarding, client authentication, the
 * authorisation request, bulk endpoints and wire quirks. A bank file spreads OBIE_DEFAULTS and
 * overrides only what differs; shared code never asks which bank it is.
 */
export interface ObieProfile {
  id: string;
  standard: 'obie_3_1';
  name: string;
  country: string;
  capabilities: ProviderCapabilities;
  defaultEndpoints: (base: EndpointBase) => ProviderEndpoints;
  /** dcr: POST /register with a signed request + SSA; developer_portal: the sandbox portal; configured: issued out of band. */
  onboarding: 'dcr' | 'developer_portal' | 'configured';
  /** DCR request claims the bank insists on. */
  dcr: {
    audience: string;
    scope: string;
    grantTypes: string[];
    responseTypes: string[];
    applicationType: 'web' | 'mobile';
  };
  supportedAuthMethods: ClientAuthMethod[];
  preferredAuthMethod: ClientAuthMethod;
  clientCredentialsScope: string;
  authorisation: ObieAuthorisation;
  idTokenAlgorithms: string[];
  /** Headers every call carries (x-fapi-financial-id where the bank wants it). */
  staticHeaders: Record<string, string>;
  /** Rewrites a bank's documented deviations into the standard shape before validation. */
  normaliseWire: (body: unknown) => unknown;
  balanceTypes: Readonly<Record<string, BalanceType>>;
  pendingLink: (t: ObTransaction6) => string | null;
  /**
   * Days added on each side of a transaction window: the bank filters on UTC instants while
   * booking dates are local, so the window is widened and the result cut to local dates.
   */
  transactionWindowPaddingDays: number;
}

/**
 * How the PSU authorises at an OBIE-shaped bank. `oidc_request_object`: the authorization endpoint with
 * a PS256 request object carrying openbanking_intent_id (OBIE / FAPI 1.0 Advanced, the hybrid flow);
 * `consent_link`: the consent's Links.Self auth page and a plain authorization code (Al Salam).
 */
export type ObieAuthorisation = {
  /** query puts code, id_token and state where a server-side callback can read them. */
  responseMode: 'query' | 'fragment';
  scope: string;
  acr: string | null;
  /** The front-channel id_token must carry c_hash and s_hash (hybrid flow). */
  requireHashes: boolean;
} & ({ style: 'oidc_request_object'; responseType: 'code id_token' } | { style: 'consent_link'; responseType: 'code' });

/**
 * The flow GET /v1/providers advertises, from the authorisation the connector runs (never written
 * by hand, so the two cannot disagree). Neither OBIE style sends PKCE.
 */
export function obieAuthorisationFlow(a: ObieAuthorisation): AuthorisationFlow {
  switch (a.style) {
    case 'oidc_request_object':
      return 'oidc_hybrid_request_object';
    case 'consent_link':
      return 'oauth_code';
  }
}

const OBIE_DEFAULT_AUTHORISATION: ObieAuthorisation = {
  style: 'oidc_request_object',
  responseType: 'code id_token',
  responseMode: 'fragment',
  scope: 'openid accounts',
  acr: 'urn:openbanking:psd2:sca',
  requireHashes: true,
};

/**
 * OBIE 3.1 by the book: every AIS resource, consents of at most 90 days. A bank file overrides what
 * its own documentation says otherwise (Al Salam serves accounts, balances and transactions only).
 */
export const OBIE_DEFAULT_CAPABILITIES: ProviderCapabilities = {
  supportedPermissions: [
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
  maxHistoryDays: 730,
  maxConsentDays: 90,
  maxFrequencyPerDay: 4,
  bulkEndpoints: [],
  psuPresentRefresh: true,
  accessWindow: { kind: 'rolling24h' },
  transactionHistoryLimitDays: null,
  firstAccessWindowMinutes: null,
  // Card payments book days after they are made and backdated postings arrive late: a scheduled
  // sync re-reads a month before the newest booked date it holds (around 30 days; a bank file may differ).
  syncLookBackDays: 30,
  supportsRevocation: true,
  // GET /account-access-consents/{id} takes the client-credentials token, not the PSU's: the
  // 4-a-day limit on unattended account information calls does not count it.
  consentStatusCheckSeconds: 900,
  refreshTokens: true,
  authorisationFlow: obieAuthorisationFlow(OBIE_DEFAULT_AUTHORISATION),
  timeZone: 'Europe/London',
  currencies: ['GBP'],
  // OBIE has no dedicated-account consent: the PSU picks the accounts at the bank.
  dedicatedAccountConsents: false,
  cardAccounts: false,
};

export const OBIE_DEFAULTS = {
  standard: 'obie_3_1',
  country: 'GB',
  capabilities: OBIE_DEFAULT_CAPABILITIES,
  onboarding: 'configured',
  dcr: {
    audience: '',
    scope: 'openid accounts',
    grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
    responseTypes: ['code id_token'],
    applicationType: 'web',
  },
  supportedAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'],
  preferredAuthMethod: 'private_key_jwt',
  clientCredentialsScope: 'accounts',
  authorisation: OBIE_DEFAULT_AUTHORISATION,
  idTokenAlgorithms: ['PS256'],
  staticHeaders: {},
  normaliseWire: (body: unknown) => body,
  balanceTypes: OBIE_BALANCE_TYPES,
  pendingLink: () => null,
  transactionWindowPaddingDays: 1,
} satisfies Partial<ObieProfile>;

/** Endpoints of a standard OBIE bank from its base URL (discovery + /open-banking/v3.1/aisp). */
export function standardObieEndpoints(baseUrl: string, mtlsBaseUrl?: string): ProviderEndpoints {
  return {
    baseUrl,
    ...(mtlsBaseUrl ? { mtlsBaseUrl, mtlsResourceBaseUrl: `${mtlsBaseUrl}/open-banking/v3.1/aisp` } : {}),
    discoveryUrl: `${baseUrl}/.well-known/openid-configuration`,
    resourceBaseUrl: `${baseUrl}/open-banking/v3.1/aisp`,
  };
}
