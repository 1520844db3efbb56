import type { ProviderCapabilities } from '@ais/domain';
import { ComposedConnector } from '../composed-connector.js';
import type { BankConsentStatus, ConsentRef, ProviderRegistration } from '../connector.js';
import type { ConnectorDeps } from '../connector-deps.js';
import type { ProviderEndpoints } from '../provider.js';
import { BgAuthorisation } from './bg-authorisation.js';
import { BgConsents } from './bg-consents.js';
import { BgContext } from './bg-context.js';
import { BgData } from './bg-data.js';
import { BgOnboarding } from './bg-onboarding.js';
import type { BgProfile } from './bg.profile.js';

/**
 * The Berlin Group NextGenPSD2 1.3 connector, composed of what it does, on one context:
 * onboarding (portal or configured), consents with the access object, authorisation (the OAuth2
 * SCA approach with PKCE S256 and scope AIS:<consentId>, or the scaRedirect link) and data
 * (accounts, balances and transactions with every page followed). PSU-IP-Address only on
 * PSU-present calls.
 */
export class BerlinGroupConnector extends ComposedConnector {
  readonly standard = 'berlin_group_1_3' as const;
  private readonly consents: BgConsents;

  constructor(
    providerId: string,
    profile: BgProfile,
    endpoints: ProviderEndpoints,
    registration: ProviderRegistration | undefined,
    deps: ConnectorDeps,
    capabilities?: ProviderCapabilities,
  ) {
    const ctx = new BgContext(providerId, profile, endpoints, registration, deps, capabilities);
    const consents = new BgConsents(ctx);
    super(providerId, ctx.capabilities, {
      onboarding: new BgOnboarding(ctx),
      consents,
      authorisation: new BgAuthorisation(ctx, consents),
      data: new BgData(ctx, consents),
      close: () => ctx.http.close(),
    });
    this.consents = consents;
  }

  /** The light status endpoint (GET /v1/consents/{id}/status). */
  getConsentStatusOnly(input: ConsentRef): Promise<BankConsentStatus> {
    return this.consents.getConsentStatusOnly(input);
  }
}
