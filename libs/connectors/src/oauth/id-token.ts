import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { bankError } from '../bank-error.js';

/** OIDC Core §3.3.2.11: left half of the hash of the ASCII value, base64url (c_hash, s_hash, at_hash). */
export function halfHash(value: string, alg: string): string {
  const bits = /512$/.test(alg) ? 'sha512' : /384$/.test(alg) ? 'sha384' : 'sha256';
  const digest = createHash(bits).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** An id_token that failed validation (signature, issuer, audience, expiry, nonce, c_hash, s_hash, at_hash). */
export class IdTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdTokenError';
  }
}

/** The claims of an id_token read without verifying it (openid-client verifies it in the grant). */
export function unverifiedClaims(idToken: string): JWTPayload | undefined {
  try {
    return decodeJwt(idToken);
  } catch {
    return undefined;
  }
}

/** at_hash, when the token endpoint's id_token carries one: openid-client leaves that check to the client. */
export function checkAccessTokenHash(idToken: string, accessToken: string): void {
  const atHash = unverifiedClaims(idToken)?.at_hash;
  if (atHash === undefined) return;
  if (atHash !== halfHash(accessToken, decodeProtectedHeader(idToken).alg ?? 'RS256'))
    throw new IdTokenError('id_token at_hash does not match');
}

/** What a connector reports for an id_token that failed validation. */
export function idTokenRejected(providerId: string, operation: string, error: IdTokenError) {
  return bankError('bank_invalid_response', 'The bank sent an id_token that failed verification.', {
    providerId,
    detail: { operation, cause: error.message },
  });
}
