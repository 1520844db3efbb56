import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { KeyRing } from '@ais/crypto';
import { DbModule, PostgresHealthCheck, RedisHealthCheck, RedisModule, WebhookDispatchRepository } from '@ais/db';
import { HealthModule, InternalMetricsController } from '@ais/http-kit';
import { Metrics, type Logger } from '@ais/observability';
import { TargetPolicy } from '@ais/webhooks';
import { DISPATCHER_CONFIG, type WebhookDispatcherConfig } from './webhook-dispatcher.config.js';
import { DispatcherMetrics } from './dispatcher.metrics.js';
import { DeliveryScheduler } from './delivery/delivery-scheduler.service.js';
import { EndpointDirectory } from './delivery/endpoint-directory.js';
import { OutcomeRecorder } from './delivery/outcome-recorder.js';
import { WebhookSender } from './delivery/webhook-sender.js';
import { OutboxRelay } from './relay/outbox-relay.service.js';
import { RetentionJanitor } from './janitor/retention.service.js';
import { LOGGER } from './tokens.js';

/**
 * The hot path's own node-postgres pool (relay, claims, outcomes); Prisma keeps the rest. Its
 * sessions commit asynchronously (synchronous_commit=off): a database crash can lose the last few
 * hundred milliseconds of the dispatcher's own bookkeeping, which only means that some deliveries are
 * sent again (same webhook-id) or a relay step is redone; no event is lost, since the events are
 * committed by their producers. In exchange a commit does not wait for a WAL flush.
 */
const DISPATCH_POOL = Symbol('DISPATCH_POOL');

@Injectable()
class DispatchPoolLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DISPATCH_POOL) private readonly pool: pg.Pool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Module({})
export class WebhookDispatcherModule {
  static forRoot(config: WebhookDispatcherConfig, metrics: Metrics, logger: Logger): DynamicModule {
    return {
      module: WebhookDispatcherModule,
      imports: [
        DbModule.forRoot(config.database),
        RedisModule.forRoot(config.redis),
        HealthModule.register([], [PostgresHealthCheck, RedisHealthCheck]),
      ],
      controllers: [InternalMetricsController],
      providers: [
        { provide: Metrics, useValue: metrics },
        { provide: DISPATCHER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: KeyRing, useFactory: () => new KeyRing(config.crypto.keys, config.crypto.activeKeyId) },
        { provide: TargetPolicy, useFactory: () => new TargetPolicy(config.webhooks.allowedPrivateTargets) },
        {
          provide: DISPATCH_POOL,
          useFactory: () => {
            const pool = new pg.Pool({
              connectionString: config.database.url,
              max: config.database.poolSize,
              options: '-c synchronous_commit=off',
            });
            pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
            return pool;
          },
        },
        DispatchPoolLifecycle,
        {
          provide: WebhookDispatchRepository,
          inject: [DISPATCH_POOL],
          useFactory: (pool: pg.Pool) => new WebhookDispatchRepository(pool),
        },
        {
          provide: WebhookSender,
          inject: [TargetPolicy],
          useFactory: (policy: TargetPolicy) =>
            new WebhookSender(policy, {
              timeoutMs: config.webhooks.timeoutMs,
              connectTimeoutMs: config.webhooks.connectTimeoutMs,
              maxResponseBytes: config.webhooks.maxResponseBytes,
            }),
        },
        DispatcherMetrics,
        EndpointDirectory,
        OutcomeRecorder,
        DeliveryScheduler,
        OutboxRelay,
        RetentionJanitor,
      ],
    };
  }
}
