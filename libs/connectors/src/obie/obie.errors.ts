import type { AppError } from '@ais/domain';
import { answerBody, bankError, throttleOrOutage, type BankErrorCode } from '../bank-error.js';
import type { BankResponse } from '../http/bank-http-client.js';
import { ObErrorResponse1 } from './obie.wire.js';

/**
 * OBIE error responses (OBErrorResponse1 for 400/403/500, headers only for the rest) to the
 * normalised codes. OBIE has no dedicated codes for "expired" or "revoked": the HTTP status and
 * UK.OBIE ErrorCode decide, and the message settles what the code leaves open.
 */
export function parseObieError(providerId: string, operation: string, res: BankResponse, now: Date): AppError {
  const body = answerBody(res);
  const parsed = ObErrorResponse1.safeParse(body);
  const codes = parsed.success ? parsed.data.Errors.map((e) => e.ErrorCode) : [];
  const text = parsed.success
    ? [parsed.data.Message, ...parsed.data.Errors.map((e) => e.Message)].join(' ')
    : typeof body === 'string'
      ? body
      : '';
  const detail = {
    httpStatus: res.status,
    bankCode: codes[0],
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
    defaultRetryAfterSeconds: 60,
  });
  if (transient) return transient;
  if (res.status === 401)
    return fail('bank_unauthorised', 'The bank did not accept the access token or client credentials.');
  if (res.status === 403) {
    if (/expir/i.test(text)) return fail('consent_expired', 'The consent has expired at the bank.');
    if (/revok|rejected/i.test(text) || codes.includes('UK.OBIE.Resource.InvalidConsentStatus')) {
      return fail('consent_revoked', 'The consent is no longer authorised at the bank.');
    }
    return fail('bank_forbidden_permission', 'The consent does not grant the permission this call needs.');
  }
  if (codes.includes('UK.OBIE.Reauthenticate'))
    return fail('consent_expired', 'The bank requires the PSU to re-authenticate.');
  return fail('bank_rejected_request', `The bank rejected the request (HTTP ${res.status}).`);
}
