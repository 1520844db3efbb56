import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636: a 43-character verifier from 32 random bytes, and its S256 challenge. */
export function createPkce(): { codeVerifier: string; codeChallenge: string; method: 'S256' } {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: s256(codeVerifier), method: 'S256' };
}

export function s256(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest('base64url');
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
