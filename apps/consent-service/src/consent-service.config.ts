import {
  consentsSection,
  cryptoSection,
  databaseSection,
  healthPortsSection,
  loadConfig,
  redisSection,
  rpcSection,
  runtimeSection,
} from '@ais/config';

export const loadConsentServiceConfig = (env?: Record<string, string | undefined>) =>
  loadConfig(
    {
      runtime: runtimeSection,
      database: databaseSection,
      redis: redisSection,
      rpc: rpcSection,
      crypto: cryptoSection,
      ports: healthPortsSection,
      consents: consentsSection,
    },
    env,
  );
export type ConsentServiceConfig = ReturnType<typeof loadConsentServiceConfig>;
export const CONSENT_SERVICE_CONFIG = Symbol('CONSENT_SERVICE_CONFIG');
