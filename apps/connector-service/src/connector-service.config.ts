import {
  connectorsSection,
  cryptoSection,
  databaseSection,
  healthPortsSection,
  loadConfig,
  redisSection,
  rpcSection,
  runtimeSection,
} from '@ais/config';

export function loadConnectorServiceConfig(source?: Record<string, string | undefined>) {
  return loadConfig(
    {
      runtime: runtimeSection,
      database: databaseSection,
      redis: redisSection,
      rpc: rpcSection,
      crypto: cryptoSection,
      ports: healthPortsSection,
      connectors: connectorsSection,
    },
    source,
  );
}
export type ConnectorServiceConfig = ReturnType<typeof loadConnectorServiceConfig>;
