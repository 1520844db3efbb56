import { ConfigError } from '@ais/config';
import { createHttpApp, installShutdownTimeout } from '@ais/http-kit';
import { Metrics, createLogger } from '@ais/observability';
import { SyncWorkerModule } from './app.module.js';
import { loadSyncWorkerConfig } from './sync-worker.config.js';

try {
  const config = loadSyncWorkerConfig();
  const logger = createLogger('sync-worker', config.runtime.logLevel);
  const metrics = new Metrics('sync-worker');
  const app = await createHttpApp(SyncWorkerModule.forRoot(config, metrics, logger), {
    service: 'sync-worker',
    logger,
    metrics,
  });
  installShutdownTimeout(logger, config.runtime.shutdownTimeoutMs);
  await app.listen({ port: config.ports['sync-worker'], host: config.ports.host });
  logger.info({ port: config.ports['sync-worker'] }, 'sync-worker ready');
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`sync-worker: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
