import type { ConnectorPsu } from './connector.contract.js';

/**
 * Messages served by the consent-service (consent lifecycle, OAuth with the banks, bank token vault).
 * The gateway reads consents straight from Postgres; it calls these for changes.
 */
export interface ConsentRpcContract {
  /** Creates the consent at the bank and returns the gateway's consent id (status awaiting_authorisation). */
  'consent-service.createConsent': {
    request: {
      tenantId: string;
      providerId: string;
      redirectUri: string;
      endUserId?: string;
      permissions?: string[];
      transactionsFrom?: string;
      expiresAt?: string;
      frequencyPerDay?: number;
      state?: string;
      metadata?: Record<string, string>;
      /** Dedicated-account consent: the accounts the tenant names (checked against the provider). */
      accounts?: { scheme: string; identification: string }[];
      psu?: ConnectorPsu;
    };
    response: { consentId: string };
  };
  /**
   * Finishes an authorisation from the bank's redirect (query parameters as received). Returns where
   * to send the PSU: the tenant's redirect URI with consentId, status, state (and error), or null when
   * the state is unknown or was already used (nothing is authorised; the gateway shows an error page).
   */
  'consent-service.completeAuthorisation': {
    request: { params: Record<string, string>; psuIpAddress?: string; userAgent?: string };
    response: { redirectTo: string | null; consentId: string | null; status: string | null; error: string | null };
  };
  /** Revokes at the bank (retried in the background if the bank is down) and stops syncing; purge deletes the data. */
  'consent-service.revokeConsent': {
    request: { tenantId: string; consentId: string; purge: boolean };
    response: { revokedAtBank: boolean };
  };
  /** A fresh authorisation URL for the same consent (ids and data kept). */
  'consent-service.reauthorise': {
    request: { tenantId: string; consentId: string; redirectUri?: string; state?: string; psu?: ConnectorPsu };
    response: { consentId: string };
  };
  /**
   * The bank access token for one consent, refreshed first when it is about to expire. Only the
   * connector-service calls this, when it calls the bank; tokens never reach the gateway, the
   * sync-worker, logs or responses.
   */
  'consent-service.getAccessToken': {
    request: { consentId: string };
    response: {
      accessToken: string;
      tokenType: string;
      externalConsentId: string;
      expiresAt: string | null;
      /**
       * When the vault will refresh this token (ISO instant): the caller may reuse it until then,
       * and asks again after. Null: the vault never refreshes it (no expiry, or no refresh token).
       * Absent: the vault does not say (an older one): the caller does not reuse it.
       */
      refreshAt?: string | null;
    };
  };
}
