import {
  cryptoSection,
  databaseSection,
  healthPortsSection,
  loadConfig,
  redisSection,
  rpcSection,
  runtimeSection,
  syncSection,
} from '@ais/config';

export const loadSyncWorkerConfig = (env?: Record<string, string | undefined>) =>
  loadConfig(
    {
      runtime: runtimeSection,
      database: databaseSection,
      redis: redisSection,
      rpc: rpcSection,
      crypto: cryptoSection,
      ports: healthPortsSection,
      sync: syncSection,
    },
    env,
  );
export type SyncWorkerConfig = ReturnType<typeof loadSyncWorkerConfig>;
