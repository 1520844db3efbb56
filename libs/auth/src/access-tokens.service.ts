import { Injectable } from '@nestjs/common';
import { SignJWT, createLocalJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import { AppError, newId } from '@ais/domain';
import { ACCESS_TOKEN_ALG, SigningKeysService } from './signing-keys.service.js';

export interface AccessTokenSettings {
  issuer: string;
  ttlSeconds: number;
}

export interface AccessTokenClaims {
  tenantId: string;
  credentialId: string;
  clientId: string;
}

/** Short-lived JWTs for tenants (client_credentials), verified against the gateway's own JWKS. */
@Injectable()
export class AccessTokensService {
  private keySet: JWTVerifyGetKey | null = null;
  private keySetLoadedAt = 0;

  constructor(
    private readonly signingKeys: SigningKeysService,
    private readonly settings: AccessTokenSettings,
  ) {}

  get audience(): string {
    return `${this.settings.issuer}/v1`;
  }

  async issue(claims: AccessTokenClaims): Promise<{ accessToken: string; expiresIn: number }> {
    const { kid, key } = await this.signingKeys.activeKey();
    const accessToken = await new SignJWT({ client_id: claims.clientId, cid: claims.credentialId })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid, typ: 'at+jwt' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.audience)
      .setSubject(claims.tenantId)
      .setJti(newId('credential').replace('cred_', 'jti_'))
      .setIssuedAt()
      .setExpirationTime(`${this.settings.ttlSeconds}s`)
      .sign(key);
    return { accessToken, expiresIn: this.settings.ttlSeconds };
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    try {
      return await this.verifyWith(await this.getKeySet(false), token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey) {
        // A key rotated in by another instance: reload once.
        return this.verifyWith(await this.getKeySet(true), token).catch(() => {
          throw new AppError('unauthorized', 'The access token is invalid.');
        });
      }
      if (error instanceof joseErrors.JWTExpired) throw new AppError('unauthorized', 'The access token has expired.');
      throw new AppError('unauthorized', 'The access token is invalid.');
    }
  }

  private async verifyWith(keySet: JWTVerifyGetKey, token: string): Promise<AccessTokenClaims> {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: this.settings.issuer,
      audience: this.audience,
      algorithms: [ACCESS_TOKEN_ALG],
      typ: 'at+jwt',
    });
    if (
      typeof payload.sub !== 'string' ||
      typeof payload['cid'] !== 'string' ||
      typeof payload['client_id'] !== 'string'
    ) {
      throw new AppError('unauthorized', 'The access token is invalid.');
    }
    return { tenantId: payload.sub, credentialId: payload['cid'], clientId: payload['client_id'] };
  }

  private async getKeySet(force: boolean): Promise<JWTVerifyGetKey> {
    if (!this.keySet || force || Date.now() - this.keySetLoadedAt > 300_000) {
      this.keySet = createLocalJWKSet(await this.signingKeys.jwks());
      this.keySetLoadedAt = Date.now();
    }
    return this.keySet;
  }
}
