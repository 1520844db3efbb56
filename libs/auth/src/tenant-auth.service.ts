import { Injectable } from '@nestjs/common';
import { CredentialRepository, type AuthenticatedCredential } from '@ais/db';
import { hashSecret, safeEqual } from '@ais/crypto';
import { AppError } from '@ais/domain';
import { AccessTokensService } from './access-tokens.service.js';
import { CredentialCache } from './credential-cache.js';
import { looksLikeApiKey } from './credentials.js';
import type { TenantPrincipal } from './principal.js';

const TOUCH_INTERVAL_MS = 60_000;

/** Resolves bearer credentials to a tenant principal; every refusal is a problem with a code. */
@Injectable()
export class TenantAuthService {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly credentials: CredentialRepository,
    private readonly accessTokens: AccessTokensService,
    private readonly cache: CredentialCache,
  ) {}

  async authenticateApiKey(token: string, now = new Date()): Promise<TenantPrincipal | null> {
    if (!looksLikeApiKey(token)) return null;
    const hash = hashSecret(token);
    const credential = await this.cache.get(`api_key:${hash}`, () =>
      this.credentials.findBySecretHash('api_key', hash),
    );
    if (!credential) throw new AppError('unauthorized', 'The API key is not valid.');
    return this.principalFor(credential, now);
  }

  async authenticateAccessToken(token: string, now = new Date()): Promise<TenantPrincipal | null> {
    if (looksLikeApiKey(token) || token.split('.').length !== 3) return null;
    const claims = await this.accessTokens.verify(token);
    const credential = await this.cache.get(`id:${claims.credentialId}`, () =>
      this.credentials.findById(claims.credentialId),
    );
    if (!credential || credential.tenantId !== claims.tenantId)
      throw new AppError('unauthorized', 'The access token is invalid.');
    return this.principalFor(credential, now);
  }

  /** client_credentials: returns the OAuth client's credential when id and secret match. */
  async authenticateClient(
    clientId: string,
    clientSecret: string,
    now = new Date(),
  ): Promise<TenantPrincipal & { clientId: string }> {
    const credential = await this.credentials.findByPublicId('oauth_client', clientId);
    if (!credential || !safeEqual(credential.secretHash, hashSecret(clientSecret))) {
      throw new AppError('unauthorized', 'Unknown client or wrong client secret.');
    }
    return { ...this.principalFor(credential, now), clientId };
  }

  private principalFor(credential: AuthenticatedCredential, now: Date): TenantPrincipal {
    if (credential.status !== 'active') throw new AppError('unauthorized', 'This credential has been revoked.');
    if (credential.expiresAt && credential.expiresAt <= now)
      throw new AppError('unauthorized', 'This credential has expired (it was rotated).');
    if (credential.tenant.status !== 'active')
      throw new AppError('tenant_suspended', 'This tenant is suspended. Contact the operator.');
    this.touch(credential.id, now);
    return {
      tenantId: credential.tenantId,
      credentialId: credential.id,
      credentialKind: credential.kind,
      rateLimitPerMinute: credential.tenant.rateLimitPerMinute,
    };
  }

  /** Records last use at most once a minute per credential, off the request's critical path. */
  private touch(id: string, now: Date): void {
    const last = this.touched.get(id) ?? 0;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(id, now.getTime());
    if (this.touched.size > 10_000) this.touched.clear();
    this.credentials.touch(id, now).catch(() => undefined);
  }
}
