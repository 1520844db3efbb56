import { ConfigError } from '@ais/config';
import { installShutdownTimeout } from '@ais/http-kit';
import { createLogger } from '@ais/observability';
import { createConsentService } from './bootstrap.js';
import { loadConsentServiceConfig } from './consent-service.config.js';

try {
  const config = loadConsentServiceConfig();
  const logger = createLogger('consent-service', config.runtime.logLevel);
  const app = await createConsentService(config, logger);
  installShutdownTimeout(logger, config.runtime.shutdownTimeoutMs);
  await app.listen({ port: config.ports['consent-service'], host: config.ports.host });
  logger.info({ port: config.ports['consent-service'] }, 'consent-service ready');
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`consent-service: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
