/** Who is calling the tenant API. Attached to the request by the auth guard. */
export interface TenantPrincipal {
  tenantId: string;
  credentialId: string;
  credentialKind: 'api_key' | 'oauth_client';
  rateLimitPerMinute: number;
}

export const PRINCIPAL_KEY = 'user';
