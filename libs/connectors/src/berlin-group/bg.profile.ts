import type { ProviderCapabilities } from '@ais/domain';
import type { ClientAuthMethod } from '../connector.js';
import type { EndpointBase, ProviderEndpoints } from '../provider.js';
import type { BgTransaction } from './bg.wire.js';

/** What one Berlin Group bank does differently. Bank files spread BG_DEFAULTS. */
export interface BgProfile {
  id: string;
  standard: 'berlin_group_1_3';
  name: string;
  country: string;
  capabilities: ProviderCapabilities;
  defaultEndpoints: (base: EndpointBase) => ProviderEndpoints;
  onboarding: 'developer_portal' | 'configured';
  supportedAuthMethods: ClientAuthMethod[];
  preferredAuthMethod: ClientAuthMethod;
  /** Consent model: `bankOffered` (empty lists, the PSU picks accounts) or `allPsd2`. */
  consentModel: 'bankOffered' | 'allPsd2';
  /** Send XS2A calls over mTLS with the QWAC when one is configured. */
  qwacOnXs2a: boolean;
  merchantCategoryCode: (t: BgTransaction) => string | null;
  pendingLink: (t: BgTransaction) => string | null;
}

export const BG_DEFAULT_CAPABILITIES: ProviderCapabilities = {
  supportedPermissions: ['accounts', 'balances', 'transactions'],
  maxHistoryDays: 730,
  maxConsentDays: 180,
  maxFrequencyPerDay: 4,
  bulkEndpoints: [],
  psuPresentRefresh: true,
  accessWindow: { kind: 'calendarDay', timeZone: 'Europe/Berlin' },
  transactionHistoryLimitDays: 90,
  firstAccessWindowMinutes: 10,
  // As OBIE: a month before the newest booked date held; within the 90 days a later read may reach.
  syncLookBackDays: 30,
  supportsRevocation: true,
  // GET /v1/consents/{id}/status is not an account access: frequencyPerDay does not count it.
  consentStatusCheckSeconds: 900,
  refreshTokens: true,
  authorisationFlow: 'oauth_code_pkce',
  timeZone: 'Europe/Berlin',
  currencies: ['EUR'],
  dedicatedAccountConsents: false,
  cardAccounts: false,
};

export const BG_DEFAULTS = {
  standard: 'berlin_group_1_3',
  country: 'DE',
  capabilities: BG_DEFAULT_CAPABILITIES,
  onboarding: 'configured',
  supportedAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
  preferredAuthMethod: 'none',
  consentModel: 'bankOffered',
  qwacOnXs2a: false,
  merchantCategoryCode: () => null,
  pendingLink: () => null,
} satisfies Partial<BgProfile>;
