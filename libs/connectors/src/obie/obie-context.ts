import { randomUUID } from 'node:crypto';
import type { ProviderCapabilities } from '@ais/domain';
import type { ProviderRegistration, PsuContext } from '../connector.js';
import { ConnectorContext } from '../connector-context.js';
import type { ConnectorDeps } from '../connector-deps.js';
import { AuthorisationServer } from '../oauth/authorization-server.js';
import type { ProviderEndpoints } from '../provider.js';
import type { ObieMappingRules } from './obie.mapper.js';
import type { ObieProfile } from './obie.profile.js';

/**
 * What every part of one OBIE provider's connector shares, besides the common context: the
 * authorisation server, the mapping rules and the client-credentials token.
 */
export class ObieContext extends ConnectorContext<ObieProfile> {
  readonly as: AuthorisationServer;
  readonly rules: ObieMappingRules;
  private ccToken: { token: string; expiresAt: number } | undefined;

  constructor(
    providerId: string,
    profile: ObieProfile,
    endpoints: ProviderEndpoints,
    registration: ProviderRegistration | undefined,
    deps: ConnectorDeps,
    capabilities?: ProviderCapabilities,
  ) {
    super(providerId, profile, endpoints, registration, deps, capabilities);
    this.as = new AuthorisationServer(
      this.http,
      {
        discoveryUrl: endpoints.discoveryUrl,
        configured: {
          ...(endpoints.issuer ? { issuer: endpoints.issuer } : {}),
          ...(endpoints.authorizationUrl ? { authorization_endpoint: endpoints.authorizationUrl } : {}),
          ...(endpoints.tokenUrl ? { token_endpoint: endpoints.tokenUrl } : {}),
          ...(endpoints.jwksUrl ? { jwks_uri: endpoints.jwksUrl } : {}),
          ...(endpoints.registrationUrl ? { registration_endpoint: endpoints.registrationUrl } : {}),
        },
      },
      this.now,
    );
    this.rules = {
      timeZone: this.capabilities.timeZone,
      balanceTypes: profile.balanceTypes,
      pendingLink: profile.pendingLink,
    };
  }

  /**
   * With a transport certificate and a bank that serves mutual TLS, every call goes over it (FAPI:
   * tokens are bound to the certificate, so resources must be called with the same one).
   */
  get resourceMtls(): boolean {
    return (
      this.registration?.tokenEndpointAuthMethod === 'tls_client_auth' ||
      (Boolean(this.registration?.transport) && Boolean(this.endpoints.mtlsResourceBaseUrl))
    );
  }

  resourceUrl(path: string): string {
    const base =
      this.resourceMtls && this.endpoints.mtlsResourceBaseUrl
        ? this.endpoints.mtlsResourceBaseUrl
        : this.endpoints.resourceBaseUrl;
    return `${base}${path}`;
  }

  consentUrl(id?: string): string {
    const base = this.endpoints.consentUrl ?? this.resourceUrl('/account-access-consents');
    return id === undefined ? base : `${base}/${encodeURIComponent(id)}`;
  }

  /** A client-credentials token for the consent resource, reused until 30 s before it expires. */
  async clientCredentialsToken(): Promise<string> {
    const now = this.now().getTime();
    if (this.ccToken && this.ccToken.expiresAt - 30_000 > now) return this.ccToken.token;
    const t = await this.as.clientCredentials(this.reg, this.profile.clientCredentialsScope, 'obie.clientCredentials');
    this.ccToken = { token: t.access_token, expiresAt: now + (t.expires_in ?? 300) * 1000 };
    return t.access_token;
  }

  fapiHeaders(psu: PsuContext | undefined): Record<string, string> {
    return {
      accept: 'application/json',
      'x-fapi-interaction-id': randomUUID(),
      ...this.profile.staticHeaders,
      ...(psu
        ? {
            'x-fapi-customer-ip-address': psu.ipAddress,
            ...(psu.lastLoginAt ? { 'x-fapi-auth-date': new Date(psu.lastLoginAt).toUTCString() } : {}),
            ...(psu.userAgent ? { 'x-customer-user-agent': psu.userAgent } : {}),
          }
        : {}),
    };
  }
}
