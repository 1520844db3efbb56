import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createRpcClient, type RpcClient } from '@ais/rpc';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config.js';
import { CONNECTOR_RPC } from '../tokens.js';
import { AuditLogController } from './audit-log/audit-log.controller.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { MetricsController } from './metrics.controller.js';
import { ProviderHealthService } from './providers/provider-health.service.js';
import { ProvidersHealthController } from './providers/providers-health.controller.js';
import { QueueInspector } from './queues/queue-inspector.js';
import { QueuesController } from './queues/queues.controller.js';
import { QueuesService } from './queues/queues.service.js';
import { StatsController } from './stats/stats.controller.js';
import { StatsService } from './stats/stats.service.js';
import { AdminSyncRunsController } from './sync-runs/admin-sync-runs.controller.js';
import { TenantsController } from './tenants/tenants.controller.js';
import { TenantsService } from './tenants/tenants.service.js';

/** Closes the connector-service RPC client with the app. */
@Injectable()
class ConnectorRpcLifecycle implements OnApplicationShutdown {
  constructor(@Inject(CONNECTOR_RPC) private readonly client: RpcClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The operators' surface, every route under /admin (ADMIN_TOKEN) but the webhook deliveries, which
 * the webhooks module serves: tenants and their credentials, stats, provider health and onboarding,
 * queues (retry, pause, resume), sync runs and the audit log across tenants, the dashboard page at
 * GET /admin; and the Prometheus scrape at GET /metrics, which takes the same token.
 * The connector-service is not a readiness peer of the gateway: only onboarding needs it.
 */
@Module({
  controllers: [
    TenantsController,
    StatsController,
    ProvidersHealthController,
    QueuesController,
    AdminSyncRunsController,
    AuditLogController,
    DashboardController,
    MetricsController,
  ],
  providers: [
    TenantsService,
    QueueInspector,
    QueuesService,
    StatsService,
    ProviderHealthService,
    {
      provide: CONNECTOR_RPC,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => createRpcClient('connector-service', config.rpc, config.redis),
    },
    ConnectorRpcLifecycle,
  ],
})
export class AdminModule {}
