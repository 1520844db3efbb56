import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import type { FastifyRequest } from 'fastify';
import { TenantAuthService } from './tenant-auth.service.js';
import type { TenantPrincipal } from './principal.js';

export function bearerToken(request: Pick<FastifyRequest, 'headers'>): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** `Authorization: Bearer sk_…` */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly auth: TenantAuthService) {
    super();
  }
  async validate(request: FastifyRequest): Promise<TenantPrincipal | false> {
    const token = bearerToken(request);
    return (token && (await this.auth.authenticateApiKey(token))) || false;
  }
}

/** `Authorization: Bearer <JWT from POST /v1/oauth/token>` */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, 'access-token') {
  constructor(private readonly auth: TenantAuthService) {
    super();
  }
  async validate(request: FastifyRequest): Promise<TenantPrincipal | false> {
    const token = bearerToken(request);
    return (token && (await this.auth.authenticateAccessToken(token))) || false;
  }
}
