import type { ProviderCapabilities, Standard } from '@ais/domain';

/**
 * Where a provider's endpoints are (providers.endpoints JSON). Profiles give defaults (the local
 * sandbox); deployments override per provider.
 */
export interface ProviderEndpoints {
  /** The bank's base URL (sandbox: http://127.0.0.1:3100/allstar). */
  baseUrl: string;
  /** Same host on the mutual-TLS port, where the bank has one. */
  mtlsBaseUrl?: string;
  /** OIDC discovery document (.well-known/openid-configuration). */
  discoveryUrl?: string;
  issuer?: string;
  authorizationUrl?: string;
  tokenUrl?: string;
  jwksUrl?: string;
  registrationUrl?: string;
  /** Base of the account-information API (resources). */
  resourceBaseUrl: string;
  mtlsResourceBaseUrl?: string;
  /** Base of the consent resource when it lives elsewhere (Al Salam: /api/account-access-consents). */
  consentUrl?: string;
  /** Developer-portal client registration (banks without DCR; the sandbox's /<bank>/sandbox/clients). */
  onboardingUrl?: string;
}

/** Base URLs a bank profile's default endpoints are built on (the local sandbox unless configured). */
export interface EndpointBase {
  sandboxUrl: string;
  sandboxMtlsUrl: string;
}

/** A provider as stored in the `providers` table. */
export interface ProviderRecord {
  id: string;
  name: string;
  country: string;
  standard: Standard;
  /** Bank profile id (file under <standard>/banks/). */
  profile: string;
  status: 'active' | 'inactive';
  endpoints: ProviderEndpoints | Record<string, never>;
  capabilities: ProviderCapabilities;
  sortCodeRanges: string[];
}
