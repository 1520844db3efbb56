import * as oidc from 'openid-client';

/** RFC 7636 on openid-client: a random verifier and its S256 challenge. */
export async function createPkce(): Promise<{ codeVerifier: string; codeChallenge: string; method: 'S256' }> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  return { codeVerifier, codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier), method: 'S256' };
}

/** An unguessable state value. */
export function randomState(): string {
  return oidc.randomState();
}

/** An unguessable nonce (OIDC). */
export function randomNonce(): string {
  return oidc.randomNonce();
}
