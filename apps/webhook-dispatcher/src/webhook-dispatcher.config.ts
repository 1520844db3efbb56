import {
  cryptoSection,
  databaseSection,
  healthPortsSection,
  loadConfig,
  redisSection,
  rpcSection,
  runtimeSection,
  webhooksSection,
} from '@ais/config';

export const loadWebhookDispatcherConfig = (env?: Record<string, string | undefined>) =>
  loadConfig(
    {
      runtime: runtimeSection,
      database: databaseSection,
      redis: redisSection,
      rpc: rpcSection,
      crypto: cryptoSection,
      ports: healthPortsSection,
      webhooks: webhooksSection,
    },
    env,
  );
export type WebhookDispatcherConfig = ReturnType<typeof loadWebhookDispatcherConfig>;
export const DISPATCHER_CONFIG = Symbol('DISPATCHER_CONFIG');
