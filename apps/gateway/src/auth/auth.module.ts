import type { RedisClient } from '@ais/db';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { KeyRing } from '@ais/crypto';
import { REDIS, SigningKeyRepository } from '@ais/db';
import {
  ADMIN_TOKEN,
  AccessTokenStrategy,
  AccessTokensService,
  AdminTokenGuard,
  ApiKeyStrategy,
  CredentialCache,
  CredentialThrottle,
  RateLimiter,
  SigningKeysService,
  TenantAuthGuard,
  TenantAuthService,
} from '@ais/auth';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config.js';
import { TenantRateLimitGuard } from '../rate-limit/tenant-rate-limit.guard.js';
import { CredentialNotices } from './credential-notices.js';

/** Tenant and operator authentication, token issuing, the per-tenant rate limit and the throttle on failed client authentications. */
@Global()
@Module({})
export class AuthModule {
  static forRoot(): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule],
      providers: [
        {
          provide: KeyRing,
          inject: [GATEWAY_CONFIG],
          useFactory: (config: GatewayConfig) => new KeyRing(config.crypto.keys, config.crypto.activeKeyId),
        },
        {
          provide: SigningKeysService,
          inject: [SigningKeyRepository, KeyRing, GATEWAY_CONFIG],
          useFactory: (repo: SigningKeyRepository, ring: KeyRing, config: GatewayConfig) =>
            new SigningKeysService(repo, ring, {
              rotationDays: config.gateway.signingKeyRotationDays,
              retireAfterSeconds: config.gateway.accessTokenTtlSeconds * 2,
            }),
        },
        {
          provide: AccessTokensService,
          inject: [SigningKeysService, GATEWAY_CONFIG],
          useFactory: (keys: SigningKeysService, config: GatewayConfig) =>
            new AccessTokensService(keys, {
              issuer: config.gateway.publicUrl,
              ttlSeconds: config.gateway.accessTokenTtlSeconds,
            }),
        },
        {
          provide: RateLimiter,
          inject: [REDIS, GATEWAY_CONFIG],
          useFactory: (redis: RedisClient, config: GatewayConfig) => new RateLimiter(redis, config.redis.prefix),
        },
        {
          provide: CredentialThrottle,
          inject: [REDIS, GATEWAY_CONFIG],
          useFactory: (redis: RedisClient, config: GatewayConfig) => new CredentialThrottle(redis, config.redis.prefix),
        },
        {
          provide: ADMIN_TOKEN,
          inject: [GATEWAY_CONFIG],
          useFactory: (config: GatewayConfig) => config.gateway.adminToken,
        },
        AdminTokenGuard,
        { provide: CredentialCache, useFactory: () => new CredentialCache() },
        CredentialNotices,
        TenantAuthService,
        ApiKeyStrategy,
        AccessTokenStrategy,
        TenantAuthGuard,
        TenantRateLimitGuard,
      ],
      exports: [
        ADMIN_TOKEN,
        KeyRing,
        SigningKeysService,
        AccessTokensService,
        TenantAuthService,
        CredentialNotices,
        RateLimiter,
        CredentialThrottle,
        AdminTokenGuard,
        TenantAuthGuard,
        TenantRateLimitGuard,
      ],
    };
  }
}
