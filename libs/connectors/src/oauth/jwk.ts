import type { JWK } from 'jose';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The public half of a JWK (what goes into a JWKS or a registration). */
export function publicJwk(jwk: JWK, kid?: string, alg?: string): JWK {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(jwk)) if (!PRIVATE_MEMBERS.includes(k)) out[k] = v;
  if (kid) out.kid = kid;
  if (alg) out.alg = alg;
  out.use = 'sig';
  return out;
}
