import type { AppError } from '@ais/domain';
import { bankError, rateLimitedError, unavailableError } from '../bank-error.js';
import type { BankResponse } from '../http/bank-http-client.js';

/** OAuth 2.0 token endpoint errors (RFC 6749 §5.2). */
export function parseOAuthError(providerId: string, operation: string, res: BankResponse, now: Date): AppError {
  let body: { error?: string; error_description?: string } | undefined;
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    body = undefined;
  }
  const detail = { httpStatus: res.status, bankCode: body?.error, operation, body: body ?? res.text };
  if (res.status === 429) {
    const seconds = Number.parseInt(res.headers['retry-after'] ?? '', 10);
    return rateLimitedError(providerId, Number.isFinite(seconds) ? seconds : 60, now, detail);
  }
  if (res.status >= 500)
    return unavailableError(
      providerId,
      `The bank's authorisation server failed (HTTP ${res.status}).`,
      res.headers['retry-after'],
      now,
      detail,
    );
  if (body?.error === 'invalid_client' || res.status === 401)
    return bankError('bank_unauthorised', 'The bank did not accept our client credentials.', { providerId, detail });
  return bankError(
    'bank_rejected_request',
    `The bank's authorisation server refused the request (${body?.error ?? `HTTP ${res.status}`}).`,
    { providerId, detail },
  );
}
