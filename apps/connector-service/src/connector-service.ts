import type { RedisClient } from '@ais/db';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '@ais/http-kit';
import type { Logger, Metrics } from '@ais/observability';
import { REDIS } from '@ais/db';
import { startRpcServer } from '@ais/rpc';
import { ConnectorServiceModule } from './app.module.js';
import type { ConnectorServiceConfig } from './connector-service.config.js';

/**
 * Builds and starts the connector-service: HTTP (health, metrics) and the connector.* RPC server.
 * main.ts runs it as a process; tests run it in-process (port 0).
 */
export async function startConnectorService(
  config: ConnectorServiceConfig,
  logger: Logger,
  metrics: Metrics,
  port = config.ports['connector-service'],
): Promise<NestFastifyApplication> {
  const app = await createHttpApp(ConnectorServiceModule.forRoot(config, metrics, logger), {
    service: 'connector-service',
    logger,
    metrics,
  });
  await startRpcServer(
    app,
    'connector-service',
    config.rpc,
    config.redis,
    logger,
    metrics,
    config.connectors.servedProviders,
    app.get<RedisClient>(REDIS),
  );
  await app.listen({ port, host: config.ports.host });
  return app;
}
