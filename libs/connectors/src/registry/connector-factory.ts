import { BerlinGroupConnector } from '../berlin-group/bg.connector.js';
import type { BankConnector, ProviderRegistration } from '../connector.js';
import type { ConnectorDeps } from '../connector-deps.js';
import { ObieConnector } from '../obie/obie.connector.js';
import type { ProviderEndpoints, ProviderRecord } from '../provider.js';
import { bankProfile } from './profiles.js';

export type ClosableConnector = BankConnector & { close(): Promise<void> };

/** Builds the connector of one provider from its row, its stored registration and the ports. */
export function createConnector(
  provider: ProviderRecord,
  registration: ProviderRegistration | undefined,
  deps: ConnectorDeps,
): ClosableConnector {
  const profile = bankProfile(provider.profile);
  if (profile.standard !== provider.standard)
    throw new Error(
      `provider ${provider.id}: profile ${profile.id} is ${profile.standard}, the row says ${provider.standard}`,
    );
  const endpoints = provider.endpoints as ProviderEndpoints;
  if (!endpoints.resourceBaseUrl) throw new Error(`provider ${provider.id} has no endpoints configured`);
  switch (profile.standard) {
    case 'obie_3_1':
      return new ObieConnector(provider.id, profile, endpoints, registration, deps, provider.capabilities);
    case 'berlin_group_1_3':
      return new BerlinGroupConnector(provider.id, profile, endpoints, registration, deps, provider.capabilities);
  }
}
