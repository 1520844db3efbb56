import type { FastifyRequest } from 'fastify';
import type { TenantPrincipal } from '@ais/auth';

/** An operator's change, as the audit log records it: the request that made it. */
export interface AdminContext {
  requestId: string;
}

/** A tenant's change, as the audit log records it: the tenant, the credential it used and the request. */
export interface TenantContext {
  tenantId: string;
  credentialId: string;
  requestId: string;
}

export const adminContext = (req: FastifyRequest): AdminContext => ({ requestId: String(req.id) });

export const tenantContext = (principal: TenantPrincipal, req: FastifyRequest): TenantContext => ({
  tenantId: principal.tenantId,
  credentialId: principal.credentialId,
  requestId: String(req.id),
});
