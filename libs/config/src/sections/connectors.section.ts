import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

const jsonObject = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return {};
    try {
      const parsed = JSON.parse(v) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as Record<string, Record<string, string>>;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of providerId → endpoint overrides' });
      return z.NEVER;
    }
  });

/** A file the variable names, read at start: its text, or an issue naming the variable's problem. */
const textFile = (what: string, check: (text: string) => boolean) =>
  z
    .string()
    .optional()
    .transform((path, ctx) => {
      if (path === undefined) return undefined;
      let text: string;
      try {
        text = readFileSync(path, 'utf8').trim();
      } catch {
        ctx.addIssue({ code: 'custom', message: `cannot read ${path}` });
        return z.NEVER;
      }
      if (!check(text)) {
        ctx.addIssue({ code: 'custom', message: `${path} is not ${what}` });
        return z.NEVER;
      }
      return text;
    });
const pem = (label: RegExp, what: string) => textFile(what, (t) => label.test(t));
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Bank connectors: where the banks are (the local sandbox by default), resilience settings for
 * outbound calls, and the gateway's identity towards banks (TPP).
 */
export const connectorsSection = defineSection(
  'connectors',
  {
    CONNECTOR_SANDBOX_URL: env.url('http://127.0.0.1:3100'),
    CONNECTOR_SANDBOX_MTLS_URL: env.url('https://localhost:3443'),
    /** Per-provider endpoint overrides: {"ob-monzo":{"baseUrl":"https://…"}}. */
    CONNECTOR_PROVIDER_ENDPOINTS: jsonObject,
    /** Real banks switched on once their credentials exist. */
    CONNECTOR_ACTIVE_PROVIDERS: env.list(''),
    /**
     * How often each authorised consent's status is read at its bank, in seconds, for every provider
     * that is polled (capabilities.consentStatusCheckSeconds, shown in GET /v1/providers); 0 keeps each
     * provider's own interval.
     */
    CONSENT_STATUS_CHECK_SECONDS: env.int(0, 0, 7 * 86_400),
    /**
     * The providers this connector-service instance answers for (a pool per bank or bank group);
     * empty: every provider. Other instances must cover the rest, or their calls find no responder.
     */
    CONNECTOR_PROVIDERS: env.list(''),
    CONNECTOR_TIMEOUT_MS: env.int(10_000, 100, 120_000),
    CONNECTOR_MAX_ATTEMPTS: env.int(3, 1, 10),
    CONNECTOR_BACKOFF_INITIAL_MS: env.int(200, 0, 60_000),
    CONNECTOR_BACKOFF_MAX_MS: env.int(5_000, 0, 600_000),
    CONNECTOR_MAX_INLINE_RETRY_AFTER_MS: env.int(2_000, 0, 60_000),
    CONNECTOR_BREAKER_FAILURES: env.int(5, 1, 1000),
    CONNECTOR_BREAKER_HALF_OPEN_MS: env.int(30_000, 100, 3_600_000),
    CONNECTOR_RATE_PER_SECOND: env.int(20, 1, 10_000),
    CONNECTOR_RATE_BURST: env.int(10, 1, 10_000),
    /**
     * When a bank rejects our registration (invalid_client, an unknown client) or our transport
     * certificate, the connector-service registers again (or fetches a new sandbox identity) at most
     * once per provider in this many seconds, shared by every instance; 0 turns it off.
     */
    CONNECTOR_REREGISTER_INTERVAL_SECONDS: env.int(300, 0, 86_400),
    /** The redirect URI registered at banks: the gateway's callback. */
    TPP_REDIRECT_URI: env.url('http://localhost:3000/v1/callback'),
    TPP_CLIENT_NAME: z.string().min(1).max(100).default('AIS Gateway'),
    /**
     * The gateway's own public IP address. Berlin Group requires PSU-IP-Address when a consent is
     * created; when the tenant did not pass the end user's IP, the spec says to send the TPP's own.
     * Default: this host's first non-internal IPv4 address.
     */
    TPP_IP_ADDRESS: z.union([z.ipv4(), z.ipv6()], { message: 'expected an IPv4 or IPv6 address' }).optional(),
    /**
     * The gateway's own TPP identity for real banks (from the OBIE Directory or the bank's portal):
     * the PS256 signing key (PKCS#8 PEM) and its kid as published in the directory's JWKS, the
     * software statement assertion (SSA) for Dynamic Client Registration, and the transport
     * certificate (OBWAC / QWAC) with its key. Unset: onboarding asks the sandbox directory for a
     * fresh identity, as in development and tests.
     */
    TPP_SIGNING_KEY_FILE: pem(/-----BEGIN PRIVATE KEY-----/, 'a PKCS#8 PEM private key'),
    TPP_SIGNING_KID: z.string().min(1).max(200).optional(),
    TPP_SOFTWARE_STATEMENT_FILE: textFile('a signed software statement (JWT)', (t) => JWT.test(t)),
    TPP_TRANSPORT_CERT_FILE: pem(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate'),
    TPP_TRANSPORT_KEY_FILE: pem(/-----BEGIN (RSA |EC )?PRIVATE KEY-----/, 'a PEM private key'),
    /** CA bundle the banks' mTLS servers are trusted with, beside the system's. */
    TPP_TRANSPORT_CA_FILE: pem(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate bundle'),
    /** Trust the sandbox CA (fetched from the sandbox directory) for the mTLS port. */
    CONNECTOR_TRUST_SANDBOX_CA: env.bool(true),
    /**
     * Onboard (register at) every active provider without a registration when the service starts.
     * Default: on in development (the local sandbox is the bank), off elsewhere.
     */
    CONNECTOR_ONBOARD_ON_START: z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  },
  (v) => ({
    sandboxUrl: v.CONNECTOR_SANDBOX_URL.replace(/\/$/, ''),
    sandboxMtlsUrl: v.CONNECTOR_SANDBOX_MTLS_URL.replace(/\/$/, ''),
    endpointOverrides: v.CONNECTOR_PROVIDER_ENDPOINTS,
    activeProviders: v.CONNECTOR_ACTIVE_PROVIDERS,
    consentStatusCheckSeconds: v.CONSENT_STATUS_CHECK_SECONDS === 0 ? undefined : v.CONSENT_STATUS_CHECK_SECONDS,
    servedProviders: v.CONNECTOR_PROVIDERS.length > 0 ? v.CONNECTOR_PROVIDERS : undefined,
    resilience: {
      timeoutMs: v.CONNECTOR_TIMEOUT_MS,
      maxAttempts: v.CONNECTOR_MAX_ATTEMPTS,
      initialBackoffMs: v.CONNECTOR_BACKOFF_INITIAL_MS,
      maxBackoffMs: v.CONNECTOR_BACKOFF_MAX_MS,
      maxInlineRetryAfterMs: v.CONNECTOR_MAX_INLINE_RETRY_AFTER_MS,
      breakerConsecutiveFailures: v.CONNECTOR_BREAKER_FAILURES,
      breakerHalfOpenAfterMs: v.CONNECTOR_BREAKER_HALF_OPEN_MS,
      ratePerSecond: v.CONNECTOR_RATE_PER_SECOND,
      burst: v.CONNECTOR_RATE_BURST,
    },
    tpp: {
      redirectUri: v.TPP_REDIRECT_URI,
      clientName: v.TPP_CLIENT_NAME,
      ipAddress: v.TPP_IP_ADDRESS ?? hostIpAddress(),
      identity: v.TPP_SIGNING_KEY_FILE
        ? {
            signingKeyPem: v.TPP_SIGNING_KEY_FILE,
            kid: v.TPP_SIGNING_KID!,
            softwareStatement: v.TPP_SOFTWARE_STATEMENT_FILE ?? null,
            transport: v.TPP_TRANSPORT_CERT_FILE
              ? {
                  certPem: v.TPP_TRANSPORT_CERT_FILE,
                  keyPem: v.TPP_TRANSPORT_KEY_FILE!,
                  caPem: v.TPP_TRANSPORT_CA_FILE ?? null,
                }
              : null,
          }
        : null,
    },
    trustSandboxCa: v.CONNECTOR_TRUST_SANDBOX_CA,
    reregisterIntervalSeconds: v.CONNECTOR_REREGISTER_INTERVAL_SECONDS,
    onboardOnStart: v.CONNECTOR_ONBOARD_ON_START ?? v.NODE_ENV === 'development',
  }),
  (v) => {
    const issues: string[] = [];
    const identityVars = [
      'TPP_SIGNING_KID',
      'TPP_SOFTWARE_STATEMENT_FILE',
      'TPP_TRANSPORT_CERT_FILE',
      'TPP_TRANSPORT_KEY_FILE',
      'TPP_TRANSPORT_CA_FILE',
    ] as const;
    if (!v.TPP_SIGNING_KEY_FILE) {
      for (const name of identityVars)
        if (v[name] !== undefined)
          issues.push(`${name}: needs TPP_SIGNING_KEY_FILE (the TPP identity is configured as a whole)`);
      return issues;
    }
    if (!v.TPP_SIGNING_KID)
      issues.push('TPP_SIGNING_KID: required with TPP_SIGNING_KEY_FILE (the kid of the key in the directory’s JWKS)');
    if (Boolean(v.TPP_TRANSPORT_CERT_FILE) !== Boolean(v.TPP_TRANSPORT_KEY_FILE))
      issues.push('TPP_TRANSPORT_CERT_FILE and TPP_TRANSPORT_KEY_FILE: set both or neither');
    if (v.TPP_TRANSPORT_CA_FILE && !v.TPP_TRANSPORT_CERT_FILE)
      issues.push('TPP_TRANSPORT_CA_FILE: needs TPP_TRANSPORT_CERT_FILE');
    return issues;
  },
);
export type ConnectorsConfig =
  ReturnType<typeof connectorsSection.parse> extends { ok: true; value: infer T } | { ok: false } ? T : never;

/** This host's first non-internal IPv4 address (loopback when it has none). */
function hostIpAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
