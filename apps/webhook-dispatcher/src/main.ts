import { ConfigError } from '@ais/config';
import { installShutdownTimeout } from '@ais/http-kit';
import { createLogger } from '@ais/observability';
import { createWebhookDispatcher } from './bootstrap.js';
import { loadWebhookDispatcherConfig } from './webhook-dispatcher.config.js';

try {
  const config = loadWebhookDispatcherConfig();
  const logger = createLogger('webhook-dispatcher', config.runtime.logLevel);
  const app = await createWebhookDispatcher(config, logger);
  // Draining waits for in-flight attempts (up to the webhook timeout) before the process exits.
  installShutdownTimeout(logger, Math.max(config.runtime.shutdownTimeoutMs, config.webhooks.timeoutMs + 5_000));
  await app.listen({ port: config.ports['webhook-dispatcher'], host: config.ports.host });
  logger.info({ port: config.ports['webhook-dispatcher'] }, 'webhook-dispatcher ready');
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`webhook-dispatcher: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
