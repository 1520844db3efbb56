import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@ais/domain';
import { RateLimiter, type TenantPrincipal } from '@ais/auth';

/** Runs after TenantAuthGuard: one unit per request from the tenant's per-minute budget. */
@Injectable()
export class TenantRateLimitGuard implements CanActivate {
  constructor(private readonly limiter: RateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: TenantPrincipal }>();
    const reply = http.getResponse<FastifyReply>();
    const principal = request.user;
    if (!principal) return true;
    const decision = await this.limiter.consume(`tenant:${principal.tenantId}`, principal.rateLimitPerMinute);
    void reply.header('ratelimit-limit', String(decision.limit));
    void reply.header('ratelimit-remaining', String(decision.remaining));
    void reply.header('ratelimit-reset', String(Math.ceil(decision.resetMs / 1000)));
    if (!decision.allowed) {
      throw new AppError('rate_limited', `Rate limit of ${decision.limit} requests per minute exceeded.`, {
        retryAfterSeconds: decision.retryAfterMs / 1000,
      });
    }
    return true;
  }
}
