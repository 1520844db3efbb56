import { ConfigError } from '@ais/config';
import { installShutdownTimeout } from '@ais/http-kit';
import { createLogger } from '@ais/observability';
import { createGateway } from './bootstrap.js';
import { loadGatewayConfig } from './gateway.config.js';

try {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.runtime.logLevel);
  const app = await createGateway(config, logger);
  installShutdownTimeout(logger, config.runtime.shutdownTimeoutMs);
  await app.listen({ port: config.gateway.port, host: config.gateway.host });
  logger.info({ url: config.gateway.publicUrl, docs: `${config.gateway.publicUrl}/docs` }, 'gateway listening');
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`gateway: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
