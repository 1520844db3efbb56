import type { ProviderCapabilities } from '@ais/domain';
import { ComposedConnector } from '../composed-connector.js';
import type { ProviderRegistration } from '../connector.js';
import type { ConnectorDeps } from '../connector-deps.js';
import type { ProviderEndpoints } from '../provider.js';
import { ObieAuthorisation } from './obie-authorisation.js';
import { ObieConsents } from './obie-consents.js';
import { ObieContext } from './obie-context.js';
import { ObieData } from './obie-data.js';
import { ObieOnboarding } from './obie-onboarding.js';
import type { ObieProfile } from './obie.profile.js';

/**
 * The OBIE 3.1 connector (UK OBIE and Bahrain OBF banks), driven by a bank profile. Composed of
 * what it does, on one context: onboarding (DCR, portal, configured), consents (client-credentials
 * token), authorisation (OIDC hybrid flow with a signed request object, code exchange, refresh) and
 * data (every AIS resource with pagination, bulk endpoints and validation).
 */
export class ObieConnector extends ComposedConnector {
  readonly standard = 'obie_3_1' as const;

  constructor(
    providerId: string,
    profile: ObieProfile,
    endpoints: ProviderEndpoints,
    registration: ProviderRegistration | undefined,
    deps: ConnectorDeps,
    capabilities?: ProviderCapabilities,
  ) {
    const ctx = new ObieContext(providerId, profile, endpoints, registration, deps, capabilities);
    const consents = new ObieConsents(ctx);
    super(providerId, ctx.capabilities, {
      onboarding: new ObieOnboarding(ctx),
      consents,
      authorisation: new ObieAuthorisation(ctx, consents),
      data: new ObieData(ctx, consents),
      close: () => ctx.http.close(),
    });
  }
}
