import { AppError } from '@ais/domain';
import { bankError } from '../bank-error.js';
import type { AuthorisationCallback, AuthorisationSession } from '../connector.js';

/**
 * The redirect back from the bank, checked against the stored session before anything is sent to
 * the bank: an error the bank reported ends the authorisation, the state must be the session's,
 * and there must be a code.
 */
export function checkCallback(
  providerId: string,
  session: AuthorisationSession,
  callback: AuthorisationCallback,
): { code: string; state: string } {
  if (callback.error) {
    throw bankError('bank_rejected_request', `The bank ended the authorisation: ${callback.error}.`, {
      providerId,
      detail: { bankCode: callback.error, cause: callback.error_description },
      extensions: { oauthError: callback.error },
    });
  }
  if (!callback.state || callback.state !== session.state)
    throw new AppError('validation_failed', 'The state on the redirect does not match the authorisation request.');
  if (!callback.code) throw new AppError('validation_failed', 'The redirect carries no authorization code.');
  return { code: callback.code, state: callback.state };
}
