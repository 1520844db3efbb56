import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PRISMA, type PrismaClient } from '@ais/db';
import { createHttpApp } from '@ais/http-kit';
import { Metrics, createLogger, type Logger } from '@ais/observability';
import { WebhookDispatcherModule } from './app.module.js';
import type { WebhookDispatcherConfig } from './webhook-dispatcher.config.js';

/** Builds the dispatcher (used by main.ts and by in-process integration tests); it starts working on init. */
export async function createWebhookDispatcher(
  config: WebhookDispatcherConfig,
  logger: Logger = createLogger('webhook-dispatcher', config.runtime.logLevel),
): Promise<NestFastifyApplication> {
  const metrics = new Metrics('webhook-dispatcher');
  const app = await createHttpApp(WebhookDispatcherModule.forRoot(config, metrics, logger), {
    service: 'webhook-dispatcher',
    logger,
    metrics,
  });
  // Load the query engine before the background loops start (they begin on init).
  await app.get<PrismaClient>(PRISMA).$connect();
  await app.init();
  return app;
}
