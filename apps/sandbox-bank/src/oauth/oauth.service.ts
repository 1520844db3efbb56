import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createLocalJWKSet, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { request as undiciRequest } from 'undici';
import { certThumbprint, sameDn } from '../core/keys.js';
import { formOf, header, OAuthError, peerCertificate, str } from '../core/http.js';
import type { ClientAuthMethod, ClientRecord, CodeRecord, TokenRecord } from '../core/store.js';
import type { BankId } from '../data/banks.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Default access-token lifetimes (bank clock seconds); the tokenLifetimeSeconds fault overrides them. */
const ACCESS_TTL: Record<BankId, number> = { allstar: 3600, alsalam: 1800, saltbank: 3600 };

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Half of a hash, base64url: the OIDC c_hash / s_hash / at_hash rule for SHA-256/384/512 algs. */
export function halfHash(value: string, alg: string): string {
  const bits = alg.endsWith('512') ? 'sha512' : alg.endsWith('384') ? 'sha384' : 'sha256';
  const digest = createHash(bits).update(value).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface AuthenticatedClient {
  client: ClientRecord;
  method: ClientAuthMethod;
  certThumbprint?: string;
}

/** Clients, client authentication, codes and tokens, shared by the three banks. */
@Injectable()
export class OAuthService {
  constructor(private readonly ctx: SandboxContext) {}

  client(bank: BankId, clientId: string | undefined): ClientRecord | undefined {
    if (!clientId) return undefined;
    const c = this.ctx.store.clients.get(clientId);
    return c && c.bank === bank ? c : undefined;
  }

  saveClient(client: ClientRecord): void {
    this.ctx.store.clients.set(client.clientId, client);
    this.ctx.store.changed();
  }

  newSecret(): string {
    return randomBytes(24).toString('base64url');
  }

  /** The client's public keys: inline, at the sandbox directory, or fetched from its jwks_uri. */
  async clientJwks(client: ClientRecord): Promise<JSONWebKeySet> {
    if (client.jwks) return client.jwks;
    if (!client.jwksUri) throw new OAuthError('invalid_client', 'The client has no registered keys');
    const local = /\/directory\/software\/([^/]+)\/jwks$/.exec(new URL(client.jwksUri).pathname);
    const software = local ? this.ctx.store.software.get(decodeURIComponent(local[1])) : undefined;
    if (software) return software.jwks;
    const res = await undiciRequest(client.jwksUri, { headersTimeout: 3000, bodyTimeout: 3000 });
    if (res.statusCode !== 200)
      throw new OAuthError('invalid_client', `The client's jwks_uri answered ${res.statusCode}`);
    return (await res.body.json()) as JSONWebKeySet;
  }

  /**
   * Authenticates the client at a token endpoint with the method it registered: client_secret_basic,
   * client_secret_post, private_key_jwt (RFC 7523 assertion, aud = token endpoint or issuer),
   * tls_client_auth (RFC 8705, subject DN of the mTLS client certificate) or none (PKCE clients).
   */
  async authenticate(
    bank: BankRuntime,
    req: FastifyRequest,
    tokenEndpoints: string[],
    allowed: ClientAuthMethod[],
  ): Promise<AuthenticatedClient> {
    const form = formOf(req);
    const cert = peerCertificate(req);
    const thumb = cert ? certThumbprint(cert) : undefined;
    const basic = header(req, 'authorization');
    let method: ClientAuthMethod;
    let client: ClientRecord | undefined;
    if (basic && /^Basic\s+/i.test(basic)) {
      const decoded = Buffer.from(basic.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      const id = decodeURIComponent(decoded.slice(0, i));
      const secret = decodeURIComponent(decoded.slice(i + 1));
      client = this.client(bank.id, id);
      if (!client?.clientSecret || i < 0 || !safeEqual(secret, client.clientSecret))
        throw this.invalidClient('Client authentication failed');
      method = 'client_secret_basic';
    } else if (str(form.client_assertion_type) !== undefined || str(form.client_assertion) !== undefined) {
      if (str(form.client_assertion_type) !== ASSERTION_TYPE)
        throw new OAuthError('invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
      const assertion = str(form.client_assertion) ?? '';
      const unverified = decodeJwtPayload(assertion);
      const id = typeof unverified?.sub === 'string' ? unverified.sub : undefined;
      client = this.client(bank.id, id);
      if (!client) throw this.invalidClient('Unknown client in client_assertion');
      if (str(form.client_id) && str(form.client_id) !== client.clientId)
        throw this.invalidClient('client_id does not match the assertion');
      try {
        await jwtVerify(assertion, createLocalJWKSet(await this.clientJwks(client)), {
          issuer: client.clientId,
          subject: client.clientId,
          audience: tokenEndpoints,
          algorithms: ['PS256', 'RS256', 'ES256', 'RS512'],
          maxTokenAge: '1h',
          clockTolerance: 30,
        });
      } catch (e) {
        if (e instanceof OAuthError) throw e;
        throw this.invalidClient(`client_assertion rejected: ${(e as Error).message}`);
      }
      if (typeof unverified?.jti !== 'string') throw this.invalidClient('client_assertion needs a jti');
      method = 'private_key_jwt';
    } else if (str(form.client_secret) !== undefined) {
      client = this.client(bank.id, str(form.client_id));
      if (!client?.clientSecret || !safeEqual(str(form.client_secret)!, client.clientSecret))
        throw this.invalidClient('Client authentication failed');
      method = 'client_secret_post';
    } else {
      client = this.client(bank.id, str(form.client_id));
      if (!client) throw this.invalidClient('Unknown client_id');
      if (client.authMethod === 'tls_client_auth') {
        if (!cert)
          throw this.invalidClient(
            'tls_client_auth needs a client certificate issued by the sandbox CA (use the mTLS port)',
          );
        if (!client.tlsSubjectDn || !sameDn(client.tlsSubjectDn, dnOf(cert.subject)))
          throw this.invalidClient('The client certificate subject does not match tls_client_auth_subject_dn');
        method = 'tls_client_auth';
      } else method = 'none';
    }
    if (
      method !== client.authMethod &&
      !(client.authMethod === 'client_secret_basic' && method === 'client_secret_post' && bank.id === 'saltbank')
    ) {
      throw this.invalidClient(`This client is registered for ${client.authMethod}, not ${method}`);
    }
    if (!allowed.includes(method)) throw this.invalidClient(`${method} is not supported here`);
    return { client, method, certThumbprint: thumb };
  }

  private invalidClient(description: string): OAuthError {
    return new OAuthError('invalid_client', description, 401, { 'www-authenticate': 'Basic realm="sandbox"' });
  }

  issueCode(record: Omit<CodeRecord, 'code' | 'used' | 'expiresAt'>, bank: BankRuntime): string {
    const code = randomBytes(32).toString('base64url');
    this.ctx.store.codes.set(code, { ...record, code, used: false, expiresAt: bank.now() + 10 * 60_000 });
    this.ctx.store.changed();
    return code;
  }

  takeCode(bank: BankRuntime, code: string | undefined, clientId: string): CodeRecord {
    const rec = code ? this.ctx.store.codes.get(code) : undefined;
    if (!rec || rec.bank !== bank.id || rec.clientId !== clientId)
      throw new OAuthError('invalid_grant', 'Unknown authorization code');
    if (rec.used) {
      // RFC 6749 §4.1.2: a replayed code revokes what it issued.
      for (const t of this.ctx.store.tokens.values())
        if (t.consentId === rec.consentId && t.clientId === clientId) t.revoked = true;
      throw new OAuthError('invalid_grant', 'Authorization code already used');
    }
    if (rec.expiresAt < bank.now()) throw new OAuthError('invalid_grant', 'Authorization code expired');
    rec.used = true;
    this.ctx.store.changed();
    return rec;
  }

  accessTtlSeconds(bank: BankRuntime): number {
    return bank.faults.faults.tokenLifetimeSeconds ?? ACCESS_TTL[bank.id];
  }

  issueToken(
    bank: BankRuntime,
    t: Omit<TokenRecord, 'token' | 'expiresAt' | 'bank'> & { ttlSeconds: number; token?: string },
  ): TokenRecord {
    const token = t.token ?? randomBytes(32).toString('base64url');
    const { ttlSeconds, ...rest } = t;
    const rec: TokenRecord = { ...rest, token, bank: bank.id, expiresAt: bank.now() + ttlSeconds * 1000 };
    this.ctx.store.tokens.set(token, rec);
    this.ctx.store.changed();
    return rec;
  }

  /** A valid, unexpired, unrevoked access token of this bank, or undefined. */
  accessToken(bank: BankRuntime, token: string | undefined): TokenRecord | undefined {
    const rec = token ? this.ctx.store.tokens.get(token) : undefined;
    if (!rec || rec.bank !== bank.id || rec.kind !== 'access' || rec.revoked || rec.expiresAt <= bank.now())
      return undefined;
    return rec;
  }

  refreshToken(bank: BankRuntime, token: string | undefined, clientId: string): TokenRecord {
    const rec = token ? this.ctx.store.tokens.get(token) : undefined;
    if (!rec || rec.bank !== bank.id || rec.kind !== 'refresh' || rec.clientId !== clientId)
      throw new OAuthError('invalid_grant', 'Unknown refresh token');
    if (rec.revoked || rec.expiresAt <= bank.now())
      throw new OAuthError('invalid_grant', 'Refresh token expired or revoked');
    return rec;
  }

  /** Revokes every token issued for a consent (consent deleted, revoked or expired by the bank). */
  revokeConsentTokens(consentId: string): void {
    for (const t of this.ctx.store.tokens.values()) if (t.consentId === consentId) t.revoked = true;
    this.ctx.store.changed();
  }

  /** id_token signed by the bank (PS256 at Allstar), with c_hash / s_hash per OIDC Core §3.3.2.11. */
  async idToken(
    bank: BankRuntime,
    claims: {
      clientId: string;
      consentId: string;
      nonce?: string;
      code?: string;
      state?: string;
      accessToken?: string;
    },
  ): Promise<string> {
    const alg = bank.signing.alg;
    const payload: Record<string, unknown> = {
      sub: claims.consentId,
      openbanking_intent_id: claims.consentId,
      acr: 'urn:openbanking:psd2:sca',
      auth_time: Math.floor(Date.now() / 1000),
    };
    if (claims.nonce) payload.nonce = claims.nonce;
    if (claims.code) payload.c_hash = halfHash(claims.code, alg);
    if (claims.state) payload.s_hash = halfHash(claims.state, alg);
    if (claims.accessToken) payload.at_hash = halfHash(claims.accessToken, alg);
    return new SignJWT(payload)
      .setProtectedHeader({ alg, kid: bank.signing.kid, typ: 'JWT' })
      .setIssuer(bank.issuer)
      .setAudience(claims.clientId)
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti(randomUUID())
      .sign(bank.signing.privateKey);
  }
}

export function dnOf(subject: object | undefined): string {
  if (!subject) return '';
  return Object.entries(subject as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v[0] : v}`)
    .join(',');
}

export function decodeJwtPayload(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
