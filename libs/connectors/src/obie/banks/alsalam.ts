import { OBIE_BALANCE_TYPES } from '@ais/domain';
import {
  OBIE_DEFAULT_CAPABILITIES,
  OBIE_DEFAULTS,
  obieAuthorisationFlow,
  type ObieAuthorisation,
  type ObieProfile,
} from '../obie.profile.js';
import { colonOffsets, compose, creditLineAsArray, emptyObjectsAsAbsent, nullsAsAbsent } from '../quirks.js';

/** The consent's Links.Self is the bank's auth page; code flow, the id_token comes with the token response; no PKCE. */
const authorisation: ObieAuthorisation = {
  style: 'consent_link',
  responseType: 'code',
  responseMode: 'query',
  scope: 'accounts',
  acr: null,
  requireHashes: false,
};

/**
 * Al Salam Bank (seed 003): Bahrain Open Banking, OBIE 3.1-shaped. client_credentials with a
 * private_key_jwt assertion at `as/token.oauth2`; the consent's Links.Self is the bank's auth page;
 * code flow (the id_token comes with the token response); accounts, balances and transactions only,
 * with bulk GET /balances and /transactions; no cap on a consent's length; BHD with three decimals. Wire quirks documented in the seed: offsets without a colon
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
    // Seed 003's resource endpoints: accounts, balances and transactions (and the bulk /balances and
    // /transactions), nothing else. Its consent examples list more permissions, but the bank serves
    // no statements, party, beneficiaries, standing orders, direct debits or scheduled payments.
    supportedPermissions: ['accounts', 'balances', 'transactions'],
    // Seed 003 sets no maximum: the consent lasts until the ExpirationDateTime asked for (its own
    // example is a consent of almost eleven months).
    maxConsentDays: null,
    maxHistoryDays: 730,
    bulkEndpoints: ['balances', 'transactions'],
    authorisationFlow: obieAuthorisationFlow(authorisation),
    timeZone: 'Asia/Bahrain',
    currencies: ['BHD'],
    // Card accounts are listed with the masked PAN (seed 003: "PAN" scheme, already masked).
    cardAccounts: true,
    // Seed 003 says nothing of late bookings (and has no pending link): OBIE's 30 days.
    syncLookBackDays: 30,
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
  authorisation,
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
