import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@ais/domain';
import { safeEqual } from '@ais/crypto';
import { bearerToken } from './strategies.js';

/** Tenant endpoints: an API key or an access token (passport tries both strategies). */
@Injectable()
export class TenantAuthGuard extends AuthGuard(['api-key', 'access-token']) {
  override handleRequest<T>(error: unknown, principal: T): T {
    if (error) throw error;
    if (!principal) throw new AppError('unauthorized', 'Send Authorization: Bearer <API key or access token>.');
    return principal;
  }
}

/** Injection token of the operators' bearer token (ADMIN_TOKEN). */
export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');

@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly adminToken: string) {}

  canActivate(context: ExecutionContext): boolean {
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>());
    if (!token || !safeEqual(token, this.adminToken)) {
      throw new AppError('unauthorized', 'Send Authorization: Bearer <admin token>.');
    }
    return true;
  }
}
