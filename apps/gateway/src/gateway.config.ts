import {
  cryptoSection,
  databaseSection,
  gatewaySection,
  loadConfig,
  redisSection,
  rpcSection,
  runtimeSection,
  webhooksSection,
} from '@ais/config';

export const loadGatewayConfig = (env?: Record<string, string | undefined>) =>
  loadConfig(
    {
      runtime: runtimeSection,
      database: databaseSection,
      redis: redisSection,
      rpc: rpcSection,
      crypto: cryptoSection,
      gateway: gatewaySection,
      webhooks: webhooksSection,
    },
    env,
  );
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
