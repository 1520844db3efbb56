import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

/** OIDC Core §3.3.2.11: left half of the hash of the ASCII value, base64url (c_hash, s_hash, at_hash). */
export function halfHash(value: string, alg: string): string {
  const bits = /512$/.test(alg) ? 'sha512' : /384$/.test(alg) ? 'sha384' : 'sha256';
  const digest = createHash(bits).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  jwks: JSONWebKeySet;
  algorithms: string[];
  nonce?: string;
  /** Check c_hash against this code (hybrid flow: required in the front-channel id_token). */
  code?: string;
  /** Check s_hash against this state (FAPI 1 Advanced: required in the front-channel id_token). */
  state?: string;
  /** Check at_hash when present. */
  accessToken?: string;
  /** The consent the id_token must be about (openbanking_intent_id). */
  intentId?: string;
  requireHashes?: boolean;
  clockToleranceSeconds?: number;
  currentDate?: Date;
}

export class IdTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdTokenError';
  }
}

/** Verifies an id_token's signature, issuer, audience, expiry, nonce, hashes and intent id. */
export async function verifyIdToken(idToken: string, expect: IdTokenExpectations): Promise<JWTPayload> {
  let payload: JWTPayload;
  let alg: string;
  try {
    const verified = await jwtVerify(idToken, createLocalJWKSet(expect.jwks), {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: expect.algorithms,
      clockTolerance: expect.clockToleranceSeconds ?? 60,
      currentDate: expect.currentDate,
    });
    payload = verified.payload;
    alg = verified.protectedHeader.alg;
  } catch (error) {
    throw new IdTokenError(`id_token rejected: ${(error as Error).message}`);
  }
  if (expect.nonce !== undefined && payload.nonce !== expect.nonce) throw new IdTokenError('id_token nonce does not match the authorisation request');
  const check = (claim: 'c_hash' | 's_hash' | 'at_hash', value: string | undefined, required: boolean) => {
    if (value === undefined) return;
    const got = payload[claim];
    if (got === undefined) {
      if (required) throw new IdTokenError(`id_token has no ${claim}`);
      return;
    }
    if (got !== halfHash(value, alg)) throw new IdTokenError(`id_token ${claim} does not match`);
  };
  check('c_hash', expect.code, expect.requireHashes ?? false);
  check('s_hash', expect.state, expect.requireHashes ?? false);
  check('at_hash', expect.accessToken, false);
  if (expect.intentId !== undefined && payload.openbanking_intent_id !== undefined && payload.openbanking_intent_id !== expect.intentId) {
    throw new IdTokenError('id_token is about another consent (openbanking_intent_id)');
  }
  return payload;
}
