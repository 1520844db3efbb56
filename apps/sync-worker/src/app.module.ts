import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DbModule, PostgresHealthCheck, RedisHealthCheck, RedisModule } from '@ais/db';
import { HealthModule, InternalMetricsController } from '@ais/http-kit';
import { Metrics, type Logger } from '@ais/observability';
import { createRpcClient, RpcPeerHealthCheck, type RpcClient } from '@ais/rpc';
import { SyncUseCasesModule } from '@ais/sync';
import type { SyncWorkerConfig } from './sync-worker.config.js';
import { CLOCK, CONNECTOR_RPC, LOGGER, SYNC_WORKER_CONFIG, systemClock, type Clock } from './tokens.js';
import { WorkerPool } from './queues/worker-pool.js';
import { JOB_HANDLERS } from './queues/job-handler.js';
import { SyncConsentJob } from './jobs/sync-consent.job.js';
import { ScheduleDueSyncsJob } from './jobs/schedule-due-syncs.job.js';
import { SyncService } from './sync/sync.service.js';
import { SchedulerService } from './scheduler/scheduler.service.js';

class ConnectorPeer extends RpcPeerHealthCheck {}
class ConsentPeer extends RpcPeerHealthCheck {}
const RPC_CLIENTS = Symbol('RPC_CLIENTS');

@Injectable()
class RpcClientsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RPC_CLIENTS) private readonly clients: RpcClient[]) {}
  async onApplicationShutdown(): Promise<void> {
    for (const client of this.clients) await client.close();
  }
}

export interface SyncWorkerOptions {
  /** Tests pass a clock aligned with the sandbox bank's; production uses the system clock. */
  clock?: Clock;
}

@Module({})
export class SyncWorkerModule {
  static forRoot(
    config: SyncWorkerConfig,
    metrics: Metrics,
    logger: Logger,
    options: SyncWorkerOptions = {},
  ): DynamicModule {
    const connector = createRpcClient('connector-service', config.rpc, config.redis);
    const consentService = createRpcClient('consent-service', config.rpc, config.redis);
    return {
      module: SyncWorkerModule,
      imports: [
        DbModule.forRoot(config.database),
        RedisModule.forRoot(config.redis),
        SyncUseCasesModule,
        HealthModule.register(
          [
            { provide: ConnectorPeer, useFactory: () => new ConnectorPeer(connector) },
            { provide: ConsentPeer, useFactory: () => new ConsentPeer(consentService) },
          ],
          [PostgresHealthCheck, RedisHealthCheck, ConnectorPeer, ConsentPeer],
        ),
      ],
      controllers: [InternalMetricsController],
      providers: [
        { provide: Metrics, useValue: metrics },
        { provide: SYNC_WORKER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: CONNECTOR_RPC, useValue: connector },
        { provide: RPC_CLIENTS, useValue: [connector, consentService] },
        RpcClientsLifecycle,
        SyncService,
        SchedulerService,
        SyncConsentJob,
        ScheduleDueSyncsJob,
        {
          provide: JOB_HANDLERS,
          inject: [SyncConsentJob, ScheduleDueSyncsJob],
          useFactory: (...handlers: unknown[]) => handlers,
        },
        WorkerPool,
      ],
    };
  }
}
