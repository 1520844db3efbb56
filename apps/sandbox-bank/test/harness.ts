import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import { exportJWK, generateKeyPair, SignJWT, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';
import { createLogger } from '@ais/observability';
import { startSandbox, type RunningSandbox } from '../src/sandbox.js';
import { Decimal } from '../src/core/money.js';

/** A fixed bank clock for tests: a Tuesday morning in London, well past the data epoch. */
export const TEST_CLOCK = '2026-03-10T10:00:00Z';

export async function startTestSandbox(
  overrides: {
    clockStart?: string;
    clockScale?: number;
    pageSize?: number;
    mtlsEnabled?: boolean;
    databaseUrl?: string;
    publicUrl?: string;
    mtlsPublicUrl?: string;
    tlsHosts?: string[];
  } = {},
): Promise<RunningSandbox> {
  return startSandbox({
    host: '127.0.0.1',
    port: 0,
    mtlsPort: 0,
    seed: 'test-seed',
    dataEpoch: '2024-01-01',
    clockStart: overrides.clockStart ?? TEST_CLOCK,
    clockScale: overrides.clockScale ?? 1,
    pageSize: overrides.pageSize ?? 100,
    databaseUrl: overrides.databaseUrl,
    mtlsEnabled: overrides.mtlsEnabled ?? true,
    publicUrl: overrides.publicUrl,
    mtlsPublicUrl: overrides.mtlsPublicUrl,
    tlsHosts: overrides.tlsHosts,
    logger: createLogger('sandbox-test', 'silent'),
  });
}

export interface Http {
  status: number;
  headers: Headers;
  text: string;
  json: any;
  location: string | null;
}

/** Plain HTTP over real sockets (no redirects followed). */
export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; dispatcher?: Agent } = {},
): Promise<Http> {
  const res = await undiciFetch(url, {
    method: init.method ?? 'GET',
    headers: init.headers,
    body: init.body,
    redirect: 'manual',
    dispatcher: init.dispatcher,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    headers: res.headers as unknown as Headers,
    text,
    json,
    location: res.headers.get('location'),
  };
}

export function form(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const JSON_CT = { 'content-type': 'application/json' };

export interface TppKeys {
  privateKey: CryptoKey;
  publicJwk: JWK;
  jwks: { keys: JWK[] };
  kid: string;
}

export async function tppKeys(alg = 'PS256'): Promise<TppKeys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const publicJwk = { ...jwk, kid, alg, use: 'sig' };
  return { privateKey, publicJwk, jwks: { keys: [publicJwk] }, kid };
}

export async function clientAssertion(keys: TppKeys, clientId: string, audience: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: keys.publicJwk.alg as string, kid: keys.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(keys.privateKey);
}

/** Follows the PSU pages with plain HTTP: login, OTP, account choice, decision. Answers the final redirect. */
export async function drivePsuPages(
  base: string,
  location: string,
  psu: {
    username: string;
    password: string;
    otp: string;
    accountIds?: (ids: string[]) => string[];
    decision?: 'approve' | 'deny';
  },
): Promise<string> {
  const pageUrl = new URL(location, base).toString();
  const login = await http(pageUrl);
  if (login.status !== 200) throw new Error(`consent page answered ${login.status}`);
  const r1 = await http(`${pageUrl}/login`, {
    method: 'POST',
    headers: FORM,
    body: form({ username: psu.username, password: psu.password }),
  });
  if (r1.status !== 200) throw new Error(`login answered ${r1.status}`);
  const r2 = await http(`${pageUrl}/otp`, { method: 'POST', headers: FORM, body: form({ otp: psu.otp }) });
  if (r2.status !== 200) throw new Error(`otp answered ${r2.status}`);
  const offered = [...r2.text.matchAll(/name="accountIds" value="([^"]+)"/g)].map((m) => m[1]);
  const chosen = psu.accountIds ? psu.accountIds(offered) : offered;
  const r3 = await http(`${pageUrl}/accounts`, {
    method: 'POST',
    headers: FORM,
    body: form({ accountIds: chosen, decision: psu.decision ?? 'approve' }),
  });
  if (r3.status !== 302 || !r3.location) throw new Error(`decision answered ${r3.status}: ${r3.text.slice(0, 200)}`);
  return r3.location;
}

/** Parameters of a redirect, from the fragment (OIDC hybrid) or the query. */
export function redirectParams(location: string): URLSearchParams {
  const url = new URL(location);
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const PSUS = {
  alice: { username: 'alice', password: 'alice-pass', otp: '123456' },
  bob: { username: 'bob', password: 'bob-pass', otp: '234567' },
  fatima: { username: 'fatima', password: 'fatima-pass', otp: '111111' },
  /** Al Salam's PSU with the seed-003 data quirks (src/obie/alsalam-quirks.ts). */
  layla: { username: 'layla', password: 'layla-pass', otp: '333333' },
  max: { username: 'max', password: 'max-pass', otp: '444444' },
  /** Salt Bank's PSU with a card account (/v1/card-accounts). */
  jonas: { username: 'jonas', password: 'jonas-pass', otp: '666666' },
  erika: { username: 'erika', password: 'erika-pass', otp: '555555' },
};

export const ALL_OBIE_PERMISSIONS = [
  'ReadAccountsDetail',
  'ReadBalances',
  'ReadBeneficiariesDetail',
  'ReadDirectDebits',
  'ReadPAN',
  'ReadParty',
  'ReadPartyPSU',
  'ReadScheduledPaymentsDetail',
  'ReadStandingOrdersDetail',
  'ReadStatementsDetail',
  'ReadTransactionsCredits',
  'ReadTransactionsDebits',
  'ReadTransactionsDetail',
];

export { randomUUID, Agent };

/** The sum of signed decimal strings (Berlin Group amounts), exactly, as a decimal string. */
export function decimalSum(amounts: string[]): string {
  return amounts.reduce((acc, a) => acc.plus(a), new Decimal(0)).toString();
}

/**
 * The signed sum of OBIE transactions as a decimal string, exactly (never via JS numbers):
 * Credit adds, Debit subtracts; an entry without CreditDebitIndicator counts as `unsigned`.
 */
export function signedSum(
  transactions: { Amount: { Amount: string }; CreditDebitIndicator?: string }[],
  unsigned: 'Credit' | 'Debit' = 'Debit',
): string {
  return transactions
    .reduce((acc, t) => {
      const amount = new Decimal(t.Amount.Amount);
      return (t.CreditDebitIndicator ?? unsigned) === 'Credit' ? acc.plus(amount) : acc.minus(amount);
    }, new Decimal(0))
    .toString();
}
