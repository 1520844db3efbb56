import { OBIE_DEFAULT_CAPABILITIES, OBIE_DEFAULTS, standardObieEndpoints, type ObieProfile } from '../obie.profile.js';

/** Allstar's organisation id at the OBIE Directory: the audience of its DCR requests. */
export const ALLSTAR_ORG_ID = '0015800000jf9HeAAI';

/**
 * Allstar (seed 000): UK card issuer, OBIE Read/Write 3.1 AIS with Dynamic Client Registration only
 * (no manual onboarding; DCR returns a client id and secret), OIDC discovery, consents of at most
 * 90 days (the default), statements, statement transactions and party endpoints, no bulk endpoints.
 * Card payments carry a TransactionReference shared by the pending and the booked item.
 */
export const allstar = {
  ...OBIE_DEFAULTS,
  id: 'allstar',
  name: 'Allstar',
  capabilities: {
    ...OBIE_DEFAULT_CAPABILITIES,
    maxConsentDays: 90,
    maxHistoryDays: 730,
    timeZone: 'Europe/London',
    currencies: ['GBP'],
    // A card issuer: its credit cards are accounts of their own (OBIE CreditCard, a PAN identifier).
    cardAccounts: true,
    // Seed 000 says nothing of late bookings; a card issuer's payments book days after the pending
    // item (shared TransactionReference): OBIE's 30 days.
    syncLookBackDays: 30,
  },
  defaultEndpoints: (base) => standardObieEndpoints(`${base.sandboxUrl}/allstar`, `${base.sandboxMtlsUrl}/allstar`),
  onboarding: 'dcr',
  dcr: { ...OBIE_DEFAULTS.dcr, audience: ALLSTAR_ORG_ID },
  supportedAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'],
  preferredAuthMethod: 'client_secret_basic',
  // The gateway's callback is server-side: code, id_token and state come back in the query.
  authorisation: { ...OBIE_DEFAULTS.authorisation, responseMode: 'query' },
  pendingLink: (t) => t.TransactionReference ?? null,
} satisfies ObieProfile;
