import { OBIE_BALANCE_TYPES } from '@ais/domain';
import { OBIE_DEFAULT_CAPABILITIES, OBIE_DEFAULTS, type ObieProfile } from '../obie.profile.js';
import { colonOffsets, compose, creditLineAsArray, emptyObjectsAsAbsent, nullsAsAbsent } from '../quirks.js';

/**
 * Al Salam Bank (seed 003): Bahrain Open Banking, OBIE 3.1-shaped. client_credentials with a
 * private_key_jwt assertion at `as/token.oauth2`; the consent's Links.Self is the bank's auth page;
 * code flow (the id_token comes with the token response); bulk GET /balances and /transactions;
 * BHD with three decimals. Wire quirks documented in the seed: offsets without a colon
 * (`+0000`), `"Links": null`, empty objects, a single CreditLine object, amounts without trailing
 * zeros, balance types Available / Closing / Outstanding, no transaction ids, bookings at local
 * midnight (21:00Z the day before).
 */
export const alsalam = {
  ...OBIE_DEFAULTS,
  id: 'alsalam',
  name: 'Al Salam Bank',
  country: 'BH',
  capabilities: {
    ...OBIE_DEFAULT_CAPABILITIES,
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
    maxConsentDays: 365,
    maxHistoryDays: 730,
    bulkEndpoints: ['balances', 'transactions'],
    authorisationFlow: 'oauth_code_pkce',
    timeZone: 'Asia/Bahrain',
    currencies: ['BHD'],
  },
  // Issuer, token endpoint (the `aud` of the client assertion) and JWKS come from the bank's
  // discovery document, as the bank names them: never built from the host the gateway calls it by.
  defaultEndpoints: (base) => {
    const b = `${base.sandboxUrl}/alsalam`;
    return {
      baseUrl: b,
      discoveryUrl: `${b}/.well-known/openid-configuration`,
      resourceBaseUrl: b,
      consentUrl: `${b}/api/account-access-consents`,
      onboardingUrl: `${b}/sandbox/clients`,
    };
  },
  onboarding: 'developer_portal',
  supportedAuthMethods: ['private_key_jwt'],
  preferredAuthMethod: 'private_key_jwt',
  authorisation: {
    style: 'consent_link',
    responseType: 'code',
    responseMode: 'query',
    scope: 'accounts',
    acr: null,
    requireHashes: false,
  },
  // Seed 003: the bank signs its JWTs with RS512.
  idTokenAlgorithms: ['RS512', 'RS256', 'PS256', 'ES256'],
  normaliseWire: compose(nullsAsAbsent, emptyObjectsAsAbsent, colonOffsets, creditLineAsArray),
  balanceTypes: {
    ...OBIE_BALANCE_TYPES,
    Available: 'interimAvailable',
    Closing: 'closingBooked',
    Outstanding: 'other',
  },
} satisfies ObieProfile;
