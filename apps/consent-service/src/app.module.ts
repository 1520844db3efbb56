import { Module, type DynamicModule } from '@nestjs/common';
import { KeyRing } from '@ais/crypto';
import { DbModule, PostgresHealthCheck, RedisHealthCheck, RedisModule } from '@ais/db';
import { HealthModule, InternalMetricsController } from '@ais/http-kit';
import { Metrics, type Logger } from '@ais/observability';
import { createPingController, createRpcClient, RpcPeerHealthCheck, type RpcClient } from '@ais/rpc';
import { SyncUseCasesModule } from '@ais/sync';
import { CONSENT_SERVICE_CONFIG, type ConsentServiceConfig } from './consent-service.config.js';
import { CONNECTOR_RPC, LOGGER } from './tokens.js';
import { ConsentLifecycleService } from './consents/consent-lifecycle.service.js';
import { ConsentRpcController } from './consents/consent.rpc.controller.js';
import { BankRevocations } from './consents/bank-revocations.js';
import { TokenVaultService } from './vault/token-vault.service.js';
import { ConsentJobs } from './maintenance/consent-jobs.js';
import { ConsentMaintenanceService } from './maintenance/consent-maintenance.service.js';
import { ConsentWorker } from './maintenance/consent-worker.js';
import { ConsentStatusChecks } from './maintenance/consent-status-checks.js';

export { CONNECTOR_RPC };

@Module({})
export class ConsentServiceModule {
  static forRoot(config: ConsentServiceConfig, logger: Logger, metrics: Metrics): DynamicModule {
    return {
      module: ConsentServiceModule,
      global: true,
      imports: [
        DbModule.forRoot(config.database),
        RedisModule.forRoot(config.redis),
        SyncUseCasesModule,
        HealthModule.register(
          [
            {
              provide: RpcPeerHealthCheck,
              inject: [CONNECTOR_RPC],
              useFactory: (client: RpcClient) => new RpcPeerHealthCheck(client),
            },
          ],
          [PostgresHealthCheck, RedisHealthCheck, RpcPeerHealthCheck],
        ),
      ],
      controllers: [createPingController('consent-service'), InternalMetricsController, ConsentRpcController],
      providers: [
        { provide: CONSENT_SERVICE_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: Metrics, useValue: metrics },
        { provide: KeyRing, useFactory: () => new KeyRing(config.crypto.keys, config.crypto.activeKeyId) },
        { provide: CONNECTOR_RPC, useFactory: () => createRpcClient('connector-service', config.rpc, config.redis) },
        ConsentLifecycleService,
        TokenVaultService,
        BankRevocations,
        ConsentJobs,
        ConsentMaintenanceService,
        ConsentStatusChecks,
        ConsentWorker,
      ],
      exports: [CONNECTOR_RPC, CONSENT_SERVICE_CONFIG, LOGGER],
    };
  }
}
