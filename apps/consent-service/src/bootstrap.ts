import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '@ais/http-kit';
import { Metrics, createLogger, type Logger } from '@ais/observability';
import { startRpcServer } from '@ais/rpc';
import { ConsentServiceModule } from './app.module.js';
import type { ConsentServiceConfig } from './consent-service.config.js';

/** Builds the consent-service (HTTP for health/metrics + RPC server); used by main.ts and tests. */
export async function createConsentService(
  config: ConsentServiceConfig,
  logger: Logger = createLogger('consent-service', config.runtime.logLevel),
): Promise<NestFastifyApplication> {
  const metrics = new Metrics('consent-service');
  const app = await createHttpApp(ConsentServiceModule.forRoot(config, logger, metrics), {
    service: 'consent-service',
    logger,
    metrics,
  });
  await startRpcServer(app, 'consent-service', config.rpc, config.redis, logger, metrics);
  await app.init();
  return app;
}
