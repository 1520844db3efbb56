import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createRpcClient, type RpcClient } from '@ais/rpc';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config.js';
import { AdminSyncRunsController } from './admin-sync-runs.controller.js';
import { AuditLogController } from './audit-log.controller.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { CONNECTOR_RPC } from './ops.tokens.js';
import { ProviderHealthService } from './provider-health.service.js';
import { ProvidersHealthController } from './providers-health.controller.js';
import { QueueInspector } from './queue-inspector.js';
import { QueuesController } from './queues.controller.js';
import { QueuesService } from './queues.service.js';
import { StatsController } from './stats.controller.js';
import { StatsService } from './stats.service.js';

/** Closes the connector-service RPC client with the app. */
@Injectable()
class ConnectorRpcLifecycle implements OnApplicationShutdown {
  constructor(@Inject(CONNECTOR_RPC) private readonly client: RpcClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The operators' surface beyond tenants: stats, provider health and onboarding, queues (retry, pause,
 * resume), sync runs and the audit log across tenants, and the dashboard page at GET /admin.
 * The connector-service is not a readiness peer of the gateway: only onboarding needs it.
 */
@Module({
  controllers: [StatsController, ProvidersHealthController, QueuesController, AdminSyncRunsController, AuditLogController, DashboardController],
  providers: [
    QueueInspector,
    QueuesService,
    StatsService,
    ProviderHealthService,
    { provide: CONNECTOR_RPC, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => createRpcClient('connector-service', config.rpc, config.redis) },
    ConnectorRpcLifecycle,
  ],
})
export class OpsModule {}
