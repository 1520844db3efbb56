import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { DbModule, PostgresHealthCheck, RedisHealthCheck, RedisModule } from '@ais/db';
import { CursorCodec, HealthModule } from '@ais/http-kit';
import { KeyRing } from '@ais/crypto';
import { createRpcClient, RpcPeerHealthCheck, type RpcClient } from '@ais/rpc';
import { Metrics, type Logger } from '@ais/observability';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config.js';
import { AuthModule } from './auth/auth.module.js';
import { OAuthController } from './oauth/oauth.controller.js';
import { ProvidersController } from './providers/providers.controller.js';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { EventsModule } from './events/events.module.js';
import { CONSENT_RPC, LOGGER } from './tokens.js';
import { ConsentsController } from './consents/consents.controller.js';
import { CallbackController, DemoCallbackController } from './consents/callback.controller.js';
import { ConsentQueryService } from './consents/consent-query.service.js';
import { ConsentBudgetService } from './consents/consent-budget.service.js';
import { DataController } from './data/data.controller.js';
import { AccountDataService } from './data/account-data.service.js';
import { SyncModule } from './sync/sync.module.js';
import { AdminModule } from './admin/admin.module.js';

class ConsentServicePeer extends RpcPeerHealthCheck {}

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger, metrics: Metrics): DynamicModule {
    return {
      module: GatewayModule,
      global: true,
      imports: [
        DbModule.forRoot(config.database),
        RedisModule.forRoot(config.redis),
        AuthModule.forRoot(),
        WebhooksModule,
        EventsModule,
        SyncModule,
        AdminModule,
        HealthModule.register(
          [
            {
              provide: ConsentServicePeer,
              inject: [CONSENT_RPC],
              useFactory: (client: RpcClient) => new ConsentServicePeer(client),
            },
          ],
          [PostgresHealthCheck, RedisHealthCheck, ConsentServicePeer],
        ),
      ],
      controllers: [
        OAuthController,
        ProvidersController,
        ConsentsController,
        CallbackController,
        DemoCallbackController,
        DataController,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: Metrics, useValue: metrics },
        // Every list's cursors are signed with a key derived from the key ring (the ring's older keys
        // still verify, so a rotation does not break a client's paging).
        { provide: CursorCodec, inject: [KeyRing], useFactory: (ring: KeyRing) => CursorCodec.fromKeyRing(ring) },
        ConsentQueryService,
        ConsentBudgetService,
        AccountDataService,
        { provide: CONSENT_RPC, useFactory: () => createRpcClient('consent-service', config.rpc, config.redis) },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
      exports: [GATEWAY_CONFIG, LOGGER, Metrics, CONSENT_RPC, CursorCodec],
    };
  }
}
