import type { ProviderCapabilities } from '@ais/domain';
import { OBIE_DEFAULT_CAPABILITIES, standardObieEndpoints } from '../obie/obie.profile.js';
import type { EndpointBase, ProviderEndpoints, ProviderRecord } from '../provider.js';
import { BANK_PROFILES } from './profiles.js';

export interface CatalogueConfig extends EndpointBase {
  /** Per-provider endpoint overrides (real banks, or a sandbox elsewhere). */
  endpointOverrides?: Readonly<Record<string, Partial<ProviderEndpoints>>>;
  /** Providers switched on by configuration (real banks once credentials exist). */
  activeProviders?: readonly string[];
  /** Replaces the status-check interval of every provider that is polled (CONSENT_STATUS_CHECK_SECONDS). */
  consentStatusCheckSeconds?: number;
}

const withStatusCheck = (caps: ProviderCapabilities, seconds: number | undefined): ProviderCapabilities =>
  seconds !== undefined && caps.consentStatusCheckSeconds !== null
    ? { ...caps, consentStatusCheckSeconds: seconds }
    : caps;

/**
 * UK banks of the Fena seed (001), by Fena's provider id. Only HSBC Personal's sort-code range is
 * given in the seed ("[400000,490000)"); no range is invented for the others.
 */
const FENA_UK_BANKS: readonly { id: string; name: string; sortCodeRanges?: string[] }[] = [
  { id: 'ob-lloyds-personal', name: 'Lloyds Personal' },
  { id: 'ob-revolut', name: 'Revolut' },
  { id: 'ob-santander', name: 'Santander' },
  { id: 'ob-halifax-personal', name: 'Halifax' },
  { id: 'ob-natwest', name: 'Natwest' },
  { id: 'ob-tsb', name: 'TSB' },
  { id: 'ob-hsbc-personal', name: 'HSBC Personal', sortCodeRanges: ['[400000,490000)'] },
  { id: 'ob-bos-personal', name: 'Bank of Scotland Personal' },
  { id: 'ob-monzo', name: 'Monzo' },
  { id: 'ob-first-direct', name: 'First Direct' },
  { id: 'ob-rbs', name: 'Royal Bank of Scotland' },
  { id: 'ob-ulster', name: 'Ulster' },
  { id: 'ob-nationwide', name: 'Nationwide' },
  { id: 'starling', name: 'Starling' },
  { id: 'ob-lloyds-business', name: 'Lloyds Business' },
  { id: 'ob-barclays-business', name: 'Barclays Business' },
  { id: 'ob-barclays-corporate', name: 'Barclays Corporate' },
  { id: 'ob-bos-business', name: 'Bank of Scotland Business' },
  { id: 'ob-danske-business', name: 'Danske Business' },
  { id: 'ob-danske-private', name: 'Danske Private' },
  { id: 'ob-hsbc-business', name: 'HSBC Business' },
  { id: 'ob-virgin-money', name: 'Virgin Money' },
  { id: 'ob-sandbox-lloyds', name: 'Lloyds Sandbox' },
  { id: 'ob-metro-personal', name: 'Metro Personal' },
  { id: 'ob-mettle', name: 'Mettle' },
  { id: 'ob-tide', name: 'Tide' },
];

/** The sandbox banks: active, endpoints from configuration (default: the local sandbox). */
const SANDBOX_BANKS: readonly { id: string; profile: string }[] = [
  { id: 'allstar', profile: 'allstar' },
  { id: 'alsalam', profile: 'alsalam' },
  { id: 'saltbank', profile: 'saltbank' },
];

/**
 * Rows for the `providers` table. Pure: `seedProviders` in apps/connector-service upserts them.
 * The Fena seed's UK banks use the `uk-generic` OBIE profile and stay inactive until configured
 * (an endpoint override with a base URL, and the id listed as active).
 */
export function providerCatalogue(config: CatalogueConfig): ProviderRecord[] {
  const active = new Set(config.activeProviders ?? []);
  const sandbox = SANDBOX_BANKS.map(({ id, profile }) => {
    const p = BANK_PROFILES[profile];
    return {
      id,
      name: p.name,
      country: p.country,
      standard: p.standard,
      profile,
      status: 'active' as const,
      endpoints: { ...p.defaultEndpoints(config), ...(config.endpointOverrides?.[id] ?? {}) },
      capabilities: withStatusCheck(p.capabilities, config.consentStatusCheckSeconds),
      sortCodeRanges: [],
    };
  });
  const uk = FENA_UK_BANKS.map((b) => {
    const override = config.endpointOverrides?.[b.id];
    const endpoints = override?.baseUrl ? { ...standardObieEndpoints(override.baseUrl), ...override } : {};
    const capabilities = withStatusCheck({ ...OBIE_DEFAULT_CAPABILITIES }, config.consentStatusCheckSeconds);
    return {
      id: b.id,
      name: b.name,
      country: 'GB',
      standard: 'obie_3_1' as const,
      profile: 'uk-generic',
      status: active.has(b.id) && override?.baseUrl ? ('active' as const) : ('inactive' as const),
      endpoints: endpoints,
      capabilities,
      sortCodeRanges: b.sortCodeRanges ?? [],
    };
  });
  return [...sandbox, ...uk];
}
