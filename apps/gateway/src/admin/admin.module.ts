import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MinuteSeriesRepository, OpsTimeseriesRepository } from '@ais/db';
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
import { ApiTrafficSampler } from './timeseries/api-traffic.sampler.js';
import { QueueDepthSampler } from './timeseries/queue-depth.sampler.js';
import { TimeseriesController } from './timeseries/timeseries.controller.js';
import { TimeseriesService } from './timeseries/timeseries.service.js';

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
 * queues (retry, pause, resume), sync runs and the audit log across tenants, the time series the
 * dashboard charts (with the samplers of API traffic and queue depths behind them), the dashboard page
 * at GET /admin; and the Prometheus scrape at GET /metrics, which takes the same token.
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
    TimeseriesController,
    DashboardController,
    MetricsController,
  ],
  providers: [
    TenantsService,
    QueueInspector,
    QueuesService,
    StatsService,
    ProviderHealthService,
    OpsTimeseriesRepository,
    MinuteSeriesRepository,
    TimeseriesService,
    ApiTrafficSampler,
    QueueDepthSampler,
    {
      provide: CONNECTOR_RPC,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => createRpcClient('connector-service', config.rpc, config.redis),
    },
    ConnectorRpcLifecycle,
  ],
})
export class AdminModule {}
