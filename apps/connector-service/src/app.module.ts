import type { RedisClient } from '@ais/db';
import { Module, type DynamicModule, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  CircuitStore,
  DbModule,
  PostgresHealthCheck,
  PRISMA,
  ProviderOperationRepository,
  REDIS,
  RedisHealthCheck,
  RedisModule,
  RegistrationGate,
  type PrismaClient,
} from '@ais/db';
import { HealthModule, InternalMetricsController } from '@ais/http-kit';
import { KeyRing } from '@ais/crypto';
import { Metrics, type Logger } from '@ais/observability';
import { createPingController, createRpcClient, type RpcClient } from '@ais/rpc';
import { ConnectorController } from './connector.controller.js';
import { ConnectorRegistry } from './connector-registry.service.js';
import type { ConnectorServiceConfig } from './connector-service.config.js';
import { PostgresAccessGuard } from './postgres-access-guard.js';
import { ProviderCalls } from './provider-calls.js';
import { CONNECTOR_SERVICE_CONFIG, CONNECTOR_SERVICE_LOGGER, ProviderBootstrap } from './provider-bootstrap.js';
import { RegistrationRepository } from './registration.repository.js';
import { RedisCircuitReporter } from './redis-circuit-reporter.js';
import { RedisThrottleBoard } from './redis-throttle-board.js';
import { RpcTokenSource } from './rpc-token-source.js';
import { CachedTokenSource } from './cached-token-source.js';
import { HeldPages } from './held-pages.js';

const CONSENT_SERVICE_RPC = Symbol('CONSENT_SERVICE_RPC');
const THROTTLE_BOARD = Symbol('THROTTLE_BOARD');

/** Closes the banks' HTTP agents and the RPC client of the token vault on shutdown. */
@Injectable()
class RegistryLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(CONSENT_SERVICE_RPC) private readonly consentService: RpcClient,
    @Inject(THROTTLE_BOARD) private readonly throttleBoard: RedisThrottleBoard,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.registry.close();
    await this.consentService.close();
    await this.throttleBoard.close();
  }
}

@Module({})
export class ConnectorServiceModule {
  static forRoot(config: ConnectorServiceConfig, metrics: Metrics, logger: Logger): DynamicModule {
    return {
      module: ConnectorServiceModule,
      imports: [
        DbModule.forRoot(config.database),
        RedisModule.forRoot(config.redis),
        HealthModule.register([], [PostgresHealthCheck, RedisHealthCheck]),
      ],
      controllers: [createPingController('connector-service'), InternalMetricsController, ConnectorController],
      providers: [
        { provide: Metrics, useValue: metrics },
        { provide: CONNECTOR_SERVICE_CONFIG, useValue: config },
        { provide: CONNECTOR_SERVICE_LOGGER, useValue: logger },
        {
          provide: CONSENT_SERVICE_RPC,
          useFactory: () => createRpcClient('consent-service', config.rpc, config.redis),
        },
        {
          provide: CachedTokenSource,
          inject: [CONSENT_SERVICE_RPC],
          useFactory: (consentService: RpcClient) => new CachedTokenSource(new RpcTokenSource(consentService)),
        },
        {
          provide: HeldPages,
          inject: [REDIS],
          useFactory: (redis: RedisClient) => new HeldPages(redis, config.redis.prefix, config.rpc.maxMessageBytes),
        },
        {
          provide: THROTTLE_BOARD,
          inject: [REDIS],
          useFactory: async (redis: RedisClient) => {
            const board = new RedisThrottleBoard(redis, config.redis.prefix, logger.child({ component: 'throttle' }));
            await board.start();
            return board;
          },
        },
        {
          provide: ConnectorRegistry,
          inject: [PRISMA, CachedTokenSource, REDIS, THROTTLE_BOARD],
          useFactory: (
            prisma: PrismaClient,
            tokenSource: CachedTokenSource,
            redis: RedisClient,
            throttleBoard: RedisThrottleBoard,
          ) => {
            const keys = new KeyRing(config.crypto.keys, config.crypto.activeKeyId);
            return new ConnectorRegistry(
              prisma,
              new RegistrationRepository(prisma, keys),
              {
                accessGuard: new PostgresAccessGuard(prisma),
                tokenSource,
                resilience: config.connectors.resilience,
                tppIpAddress: config.connectors.tpp.ipAddress,
                logger: logger.child({ component: 'connectors' }),
                metrics,
                circuitReporter: new RedisCircuitReporter(
                  new CircuitStore(redis, config.redis.prefix),
                  logger.child({ component: 'circuit' }),
                ),
                throttleBoard,
              },
              config.connectors,
            );
          },
        },
        {
          provide: ProviderCalls,
          inject: [PRISMA, REDIS, ConnectorRegistry],
          useFactory: (prisma: PrismaClient, redis: RedisClient, registry: ConnectorRegistry) =>
            new ProviderCalls({
              prisma,
              registry,
              operations: new ProviderOperationRepository(prisma),
              audit: new AuditLogRepository(prisma),
              gate: new RegistrationGate(redis, config.redis.prefix),
              metrics,
              logger: logger.child({ component: 'registration' }),
              reregisterIntervalSeconds: config.connectors.reregisterIntervalSeconds,
            }),
        },
        RegistryLifecycle,
        ProviderBootstrap,
      ],
    };
  }
}
