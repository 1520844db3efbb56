import { defineSection, env } from '../define-section.js';

/** Consent lifecycle (consent-service). */
export const consentsSection = defineSection(
  'consents',
  {
    /** The gateway's bank callback, registered at the banks (same variable the connectors use). */
    TPP_REDIRECT_URI: env.url('http://localhost:3000/v1/callback'),
    CONSENT_EXPIRING_NOTICE_DAYS: env.int(7, 0, 90),
    AUTHORISATION_TTL_SECONDS: env.int(600, 30, 3600),
    CONSENT_MAINTENANCE_INTERVAL_SECONDS: env.int(60, 1, 3600),
    /** Access tokens closer than this to expiry are refreshed before use. */
    TOKEN_REFRESH_MARGIN_SECONDS: env.int(120, 0, 3600),
    /**
     * How often the consent-service looks for consents whose bank status check is due (the interval
     * itself is each provider's capabilities.consentStatusCheckSeconds; CONSENT_STATUS_CHECK_SECONDS
     * on the connector-service changes it).
     */
    CONSENT_STATUS_CHECK_TICK_SECONDS: env.int(30, 1, 3600),
    /** At most this many status checks per tick (the rest wait for the next one). */
    CONSENT_STATUS_CHECK_BATCH: env.int(500, 1, 10_000),
  },
  (v) => ({
    callbackUri: v.TPP_REDIRECT_URI,
    expiringNoticeDays: v.CONSENT_EXPIRING_NOTICE_DAYS,
    authorisationTtlSeconds: v.AUTHORISATION_TTL_SECONDS,
    maintenanceIntervalSeconds: v.CONSENT_MAINTENANCE_INTERVAL_SECONDS,
    tokenRefreshMarginSeconds: v.TOKEN_REFRESH_MARGIN_SECONDS,
    statusCheck: {
      tickSeconds: v.CONSENT_STATUS_CHECK_TICK_SECONDS,
      batch: v.CONSENT_STATUS_CHECK_BATCH,
    },
  }),
);
