/**
 * What never reaches a log line: credentials in headers, secrets, bank tokens, keys. Paths use pino's
 * redact syntax; `scrubSecrets` applies the same policy to arbitrary objects (error details, bank
 * responses) before they are logged or stored for operators.
 */
export const SECRET_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'clientSecret',
  'apiKey',
  'api_key',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'idToken',
  'client_assertion',
  'assertion',
  'code_verifier',
  'codeVerifier',
  'private_key',
  'privateKey',
  'privateJwk',
  'registration_access_token',
  'otp',
  'adminToken',
] as const;

const SECRET_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

export const REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? [`*.${k}`, `*.*.${k}`, k] : [`*["${k}"]`, `["${k}"]`])),
];

const BEARERISH = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWTISH = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const KEYISH = /\b(sk|whsec)_[A-Za-z0-9_-]{8,}/g;

/** Masks secrets inside free text (error messages, bank bodies). */
export function scrubText(text: string): string {
  return text.replace(BEARERISH, '$1 [REDACTED]').replace(JWTISH, '[REDACTED_JWT]').replace(KEYISH, '$1_[REDACTED]');
}

/** Deep copy of `value` with secret-named fields replaced and secret-looking strings masked. */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[TRUNCATED]';
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_SET.has(k.toLowerCase()) ? '[REDACTED]' : scrubSecrets(v, depth + 1);
    }
    return out;
  }
  return value;
}
