import { randomUUID } from 'node:crypto';
import type { ProviderCapabilities } from '@ais/domain';
import type { ProviderRegistration, PsuContext } from '../connector.js';
import { ConnectorContext } from '../connector-context.js';
import type { ConnectorDeps } from '../connector-deps.js';
import { AuthorisationServer } from '../oauth/authorization-server.js';
import type { ProviderEndpoints } from '../provider.js';
import type { BgMappingRules } from './bg.mapper.js';
import type { BgProfile } from './bg.profile.js';

/**
 * What every part of one Berlin Group provider's connector shares, besides the common context:
 * the mapping rules and the authorisation servers met so far (the configured
 * metadata and every consent's scaOAuth link).
 */
export class BgContext extends ConnectorContext<BgProfile> {
  readonly rules: BgMappingRules;
  readonly servers = new Map<string, AuthorisationServer>();

  constructor(
    providerId: string,
    profile: BgProfile,
    endpoints: ProviderEndpoints,
    registration: ProviderRegistration | undefined,
    deps: ConnectorDeps,
    capabilities?: ProviderCapabilities,
  ) {
    super(providerId, profile, endpoints, registration, deps, capabilities);
    this.rules = {
      timeZone: this.capabilities.timeZone,
      merchantCategoryCode: profile.merchantCategoryCode,
      pendingLink: profile.pendingLink,
    };
  }

  get mtls(): boolean {
    return this.profile.qwacOnXs2a && Boolean(this.registration?.transport);
  }

  /** The XS2A base: the mutual-TLS host when the TPP's QWAC goes with every call. */
  get base(): string {
    return this.mtls && this.endpoints.mtlsResourceBaseUrl
      ? this.endpoints.mtlsResourceBaseUrl
      : this.endpoints.resourceBaseUrl;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  server(metadataUrl: string): AuthorisationServer {
    let s = this.servers.get(metadataUrl);
    if (!s) {
      s = new AuthorisationServer(this.http, { discoveryUrl: metadataUrl }, this.now);
      this.servers.set(metadataUrl, s);
    }
    return s;
  }

  headers(psu: PsuContext | undefined, extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      'x-request-id': randomUUID(),
      ...(psu
        ? { 'psu-ip-address': psu.ipAddress, ...(psu.userAgent ? { 'psu-user-agent': psu.userAgent } : {}) }
        : {}),
      ...extra,
    };
  }
}
