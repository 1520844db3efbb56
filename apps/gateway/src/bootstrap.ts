import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SigningKeysService } from '@ais/auth';
import { createHttpApp } from '@ais/http-kit';
import { Metrics, createLogger, type Logger } from '@ais/observability';
import { GatewayModule } from './app.module.js';
import type { GatewayConfig } from './gateway.config.js';
import { IdParamsPipe } from './http/id-params.pipe.js';
import { buildOpenApi, serveOpenApi } from './openapi.js';

/** Builds the gateway (used by main.ts and by in-process integration tests). */
export async function createGateway(
  config: GatewayConfig,
  logger: Logger = createLogger('gateway', config.runtime.logLevel),
): Promise<NestFastifyApplication> {
  const metrics = new Metrics('gateway');
  const app = await createHttpApp(GatewayModule.forRoot(config, logger, metrics), {
    service: 'gateway',
    logger,
    metrics,
    trustProxy: config.gateway.trustProxy,
  });
  app.useGlobalPipes(new IdParamsPipe());
  serveOpenApi(app, buildOpenApi(app, config.gateway.publicUrl));
  await app.init();
  await app.get(SigningKeysService).ensureCurrentKey();
  return app;
}
