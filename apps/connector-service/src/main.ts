import { ConfigError } from '@ais/config';
import { installShutdownTimeout } from '@ais/http-kit';
import { Metrics, createLogger } from '@ais/observability';
import { loadConnectorServiceConfig } from './connector-service.config.js';
import { startConnectorService } from './connector-service.js';

try {
  const config = loadConnectorServiceConfig();
  const logger = createLogger('connector-service', config.runtime.logLevel);
  await startConnectorService(config, logger, new Metrics('connector-service'));
  installShutdownTimeout(logger, config.runtime.shutdownTimeoutMs);
  logger.info(
    { port: config.ports['connector-service'], onboardOnStart: config.connectors.onboardOnStart },
    'connector-service ready',
  );
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`connector-service: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
