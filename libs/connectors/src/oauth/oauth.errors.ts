import type { AppError } from '@ais/domain';
import { answerBody, bankError, throttleOrOutage } from '../bank-error.js';
import type { BankResponse } from '../http/bank-http-client.js';

/** OAuth 2.0 token endpoint errors (RFC 6749 §5.2). */
export function parseOAuthError(providerId: string, operation: string, res: BankResponse, now: Date): AppError {
  const parsed = answerBody(res);
  const body =
    parsed !== null && typeof parsed === 'object'
      ? (parsed as { error?: string; error_description?: string })
      : undefined;
  const detail = { httpStatus: res.status, bankCode: body?.error, operation, body: body ?? res.text };
  const transient = throttleOrOutage(res, {
    providerId,
    now,
    detail,
    server: "The bank's authorisation server",
    defaultRetryAfterSeconds: 60,
  });
  if (transient) return transient;
  if (body?.error === 'invalid_client' || res.status === 401)
    return bankError('bank_unauthorised', 'The bank did not accept our client credentials.', { providerId, detail });
  return bankError(
    'bank_rejected_request',
    `The bank's authorisation server refused the request (${body?.error ?? `HTTP ${res.status}`}).`,
    { providerId, detail },
  );
}
