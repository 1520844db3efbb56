import type { AppError } from '@ais/domain';
import { answerBody, bankError, throttleOrOutage, type BankErrorCode } from '../bank-error.js';
import type { BankResponse } from '../http/bank-http-client.js';
import { BgErrorBody } from './bg.wire.js';

/** Berlin Group message codes (tppMessages[].code) to the normalised code set. */
const BY_CODE: Readonly<Record<string, BankErrorCode>> = {
  CONSENT_EXPIRED: 'consent_expired',
  CONSENT_UNKNOWN: 'consent_revoked',
  TOKEN_INVALID: 'bank_unauthorised',
  TOKEN_EXPIRED: 'bank_unauthorised',
  TOKEN_UNKNOWN: 'bank_unauthorised',
  CERTIFICATE_INVALID: 'bank_unauthorised',
  CERTIFICATE_EXPIRED: 'bank_unauthorised',
  CERTIFICATE_BLOCKED: 'bank_unauthorised',
  CERTIFICATE_REVOKED: 'bank_unauthorised',
  CERTIFICATE_MISSING: 'bank_unauthorised',
  ROLE_INVALID: 'bank_unauthorised',
  SERVICE_BLOCKED: 'bank_forbidden_permission',
  PRODUCT_INVALID: 'bank_forbidden_permission',
  ACCESS_EXCEEDED: 'bank_rate_limited',
  SERVICE_UNAVAILABLE: 'bank_unavailable',
  INTERNAL_SERVER_ERROR: 'bank_unavailable',
};

export function parseBgError(providerId: string, operation: string, res: BankResponse, now: Date): AppError {
  const body = answerBody(res);
  const parsed = BgErrorBody.safeParse(body);
  const messages = parsed.success
    ? [
        ...(parsed.data.tppMessages ?? []),
        ...(parsed.data.code ? [{ code: parsed.data.code, text: parsed.data.detail }] : []),
      ]
    : [];
  const first = messages[0];
  const text = messages.map((m) => m.text ?? '').join(' ');
  const detail = {
    httpStatus: res.status,
    bankCode: first?.code,
    interactionId: res.headers['x-fapi-interaction-id'],
    operation,
    body,
  };
  const fail = (code: BankErrorCode, message: string) => bankError(code, message, { providerId, detail });
  const transient = throttleOrOutage(res, {
    providerId,
    now,
    detail,
    server: 'The bank',
    defaultRetryAfterSeconds: 3600,
    throttled: first?.code === 'ACCESS_EXCEEDED',
  });
  if (transient) return transient;
  if (first?.code === 'CONSENT_INVALID') {
    if (/cover|permission|not granted/i.test(text))
      return fail('bank_forbidden_permission', 'The consent does not cover this account or resource.');
    if (/expired/i.test(text)) return fail('consent_expired', 'The consent has expired at the bank.');
    return fail('consent_revoked', 'The consent is no longer valid at the bank.');
  }
  const mapped = first ? BY_CODE[first.code] : undefined;
  if (mapped && mapped !== 'bank_rate_limited') return fail(mapped, `The bank refused the call (${first.code}).`);
  if (res.status === 401) return fail('bank_unauthorised', 'The bank did not accept the access token.');
  if (res.status === 403) return fail('bank_forbidden_permission', 'The bank refused: permission not granted.');
  return fail('bank_rejected_request', `The bank rejected the request (${first?.code ?? `HTTP ${res.status}`}).`);
}
