export { defineSection, env, type ConfigSection } from './define-section.js';
export { loadConfig, ConfigError } from './load-config.js';
export { runtimeSection } from './sections/runtime.section.js';
export { databaseSection, DEFAULT_DATABASE_URL } from './sections/database.section.js';
export { redisSection, DEFAULT_REDIS_URL } from './sections/redis.section.js';
export { rpcSection } from './sections/rpc.section.js';
export { cryptoSection, parseKeyRing } from './sections/crypto.section.js';
export { gatewaySection } from './sections/gateway.section.js';
export { healthPortsSection } from './sections/health.section.js';
export { sandboxSection, type SandboxConfig } from './sections/sandbox.section.js';
export { connectorsSection, type ConnectorsConfig } from './sections/connectors.section.js';
export { consentsSection } from './sections/consents.section.js';
export { webhooksSection, parseDurationMs, type WebhooksConfig } from './sections/webhooks.section.js';
export {
  parseAllowedTarget,
  parseAllowedTargets,
  type AllowedTarget,
  type AllowedTargetResult,
} from './sections/webhook-allow-list.js';
export { syncSection, type SyncConfig } from './sections/sync.section.js';
export {
  stackEnv,
  stackPorts,
  demoWebhookPort,
  DEFAULT_DEMO_WEBHOOK_PORT,
  DEMO_WEBHOOK_PORT_VAR,
  DEFAULT_STACK_PORTS,
  STACK_PORT_VARS,
  type StackLayout,
  type StackPorts,
} from './stack-env.js';
