import { AppError, type ProviderCapabilities } from '@ais/domain';
import type { DataCallContext, ProviderRegistration } from './connector.js';
import { connectorHttpClient, type ConnectorDeps } from './connector-deps.js';
import type { BankHttpClient } from './http/bank-http-client.js';
import type { AccessResource } from './ports.js';
import type { ProviderEndpoints } from './provider.js';

/**
 * What the parts of one provider's connector share, whatever its standard: the bank profile,
 * endpoints, registration, ports, clock and HTTP client. Each standard extends it with its own.
 */
export abstract class ConnectorContext<P extends { capabilities: ProviderCapabilities }> {
  readonly capabilities: ProviderCapabilities;
  readonly http: BankHttpClient;
  readonly now: () => Date;

  constructor(
    readonly providerId: string,
    readonly profile: P,
    readonly endpoints: ProviderEndpoints,
    readonly registration: ProviderRegistration | undefined,
    readonly deps: ConnectorDeps,
    capabilities?: ProviderCapabilities,
  ) {
    this.capabilities = capabilities ?? profile.capabilities;
    this.now = deps.now ?? (() => new Date());
    this.http = connectorHttpClient(providerId, deps, registration?.transport, this.now);
  }

  get reg(): ProviderRegistration {
    if (!this.registration)
      throw new AppError('provider_unavailable', `Provider ${this.providerId} is not onboarded yet.`, {
        providerId: this.providerId,
      });
    return this.registration;
  }

  /**
   * A data call's `beforeAttempt`: every attempt that will reach the bank (pages and retries
   * included) is reserved with the access guard first, so an unattended sync never goes past the
   * consent's budget.
   */
  reserveEachAttempt(call: DataCallContext, access: { resource: AccessResource; scope: string }): () => Promise<void> {
    return async () => {
      await this.deps.accessGuard.reserve({
        providerId: this.providerId,
        consentId: call.consentId,
        scope: access.scope,
        resource: access.resource,
        psuPresent: call.psu !== undefined,
        limit: call.frequencyPerDay,
        window: this.capabilities.accessWindow,
      });
    };
  }
}
