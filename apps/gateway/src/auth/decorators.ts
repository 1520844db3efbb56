import { UseGuards, applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { AdminTokenGuard, TenantAuthGuard, type TenantPrincipal } from '@ais/auth';
import { TenantRateLimitGuard } from '../rate-limit/tenant-rate-limit.guard.js';

/** Tenant endpoint: API key or access token, then the tenant's rate limit. */
export const TenantAuth = () =>
  applyDecorators(UseGuards(TenantAuthGuard, TenantRateLimitGuard), ApiBearerAuth('tenant'));

/** Operator endpoint: the configured ADMIN_TOKEN. */
export const AdminAuth = () => applyDecorators(UseGuards(AdminTokenGuard), ApiSecurity('admin'));

export const Principal = createParamDecorator((_: unknown, context: ExecutionContext): TenantPrincipal => {
  const principal = context.switchToHttp().getRequest<{ user?: TenantPrincipal }>().user;
  if (!principal) throw new Error('Principal used on a route without TenantAuth');
  return principal;
});
