import { BG_DEFAULT_CAPABILITIES, BG_DEFAULTS, type BgProfile } from '../bg.profile.js';

/**
 * Salt Bank (seed 002): Berlin Group NextGenPSD2 1.3.12 AIS. OAuth2 SCA approach (PKCE S256,
 * scope AIS:<consentId>) via the consent's scaOAuth metadata link; bank-offered consents; validUntil
 * at most 180 days; frequencyPerDay 1..4 counted per account and resource per calendar day; 90 days
 * of history except in the first 10 minutes after authorisation. Dedicated-account consents (the
 * tenant names IBANs), card accounts (/v1/card-accounts…) and standing orders (the transactions
 * endpoint with bookingStatus=information). Card payments carry
 * "MCC nnnn" in additionalInformation and an entryReference shared by the pending and booked item.
 * Every XS2A call carries the TPP's QWAC (mutual TLS).
 */
export const saltbank = {
  ...BG_DEFAULTS,
  id: 'saltbank',
  name: 'Salt Bank',
  country: 'DE',
  capabilities: {
    ...BG_DEFAULT_CAPABILITIES,
    // Standing orders: "returned when the optional information or all Booking Status code is provided".
    supportedPermissions: ['accounts', 'balances', 'transactions', 'standingOrders'],
    // "Consent Model - Dedicated Accounts": the consent names the accounts by IBAN.
    dedicatedAccountConsents: true,
    cardAccounts: true,
    maxConsentDays: 180,
    maxFrequencyPerDay: 4,
    accessWindow: { kind: 'calendarDay', timeZone: 'Europe/Berlin' },
    timeZone: 'Europe/Berlin',
    // Seed 002 says nothing of late bookings; its card payments book days after the pending item
    // (shared entryReference): the standard's 30 days, inside the 90 days a later read may reach.
    syncLookBackDays: 30,
  },
  defaultEndpoints: (base) => {
    const b = `${base.sandboxUrl}/saltbank`;
    const m = `${base.sandboxMtlsUrl}/saltbank`;
    return {
      baseUrl: b,
      resourceBaseUrl: `${b}/v1`,
      mtlsBaseUrl: m,
      mtlsResourceBaseUrl: `${m}/v1`,
      discoveryUrl: `${b}/.well-known/oauth-authorization-server`,
      onboardingUrl: `${b}/sandbox/clients`,
    };
  },
  onboarding: 'developer_portal',
  // Seed 002: "Your QWAC certificate must also be provided when calling any Accounts endpoints";
  // Berlin Group identifies the TPP by its QWAC on every XS2A call, consents included.
  qwacOnXs2a: true,
  merchantCategoryCode: (t) => /^MCC (\d{4})$/.exec(t.additionalInformation ?? '')?.[1] ?? null,
  pendingLink: (t) => t.entryReference ?? null,
} satisfies BgProfile;
