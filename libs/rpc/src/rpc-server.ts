import type { RedisClient } from '@ais/db';
import { Controller } from '@nestjs/common';
import { MessagePattern, type MicroserviceOptions } from '@nestjs/microservices';
import type { INestApplication } from '@nestjs/common';
import { pingPattern, type RpcService } from '@ais/contracts';
import type { Logger, Metrics } from '@ais/observability';
import { NamespacedServerNats, natsNamespace } from './nats-transport.js';
import { RpcErrorFilter } from './rpc-errors.js';
import { RpcIdempotency } from './rpc-idempotency.js';
import type { RpcSettings } from './rpc-client.js';

/**
 * Attaches the RPC server of `service` to a Nest app (hybrid HTTP + RPC) and starts listening on
 * NATS, in the service's queue group: every running instance answers its share of the requests.
 * A connector-service may serve some providers only (`providers`, from CONNECTOR_PROVIDERS).
 */
export async function startRpcServer(
  app: INestApplication,
  service: RpcService,
  settings: RpcSettings,
  stack: { prefix: string },
  logger: Logger,
  metrics?: Metrics,
  providers?: readonly string[],
  /** RedisClient for idempotency keys (the connector-service's acts at the bank): repeats get the first outcome. */
  idempotency?: RedisClient,
): Promise<void> {
  metrics
    ?.gauge('rpc_server_info', 'This instance answers RPC for its service (1), with the providers it serves', [
      'providers',
    ])
    .set({ providers: providers?.join(',') ?? '*' }, 1);
  const taken = metrics?.counter('rpc_requests_total', 'RPC requests this instance took, by pattern', ['pattern']);
  const strategy = new NamespacedServerNats(
    {
      servers: settings.natsServers,
      name: `${stack.prefix}:rpc-server:${service}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // On shutdown: stop taking requests, let the ones in hand finish, then close.
      gracefulShutdown: true,
      gracePeriod: 1_000,
    },
    natsNamespace(stack.prefix),
    service,
    settings.maxMessageBytes,
    providers,
    taken ? (pattern) => taken.inc({ pattern }) : undefined,
  );
  const microservice = app.connectMicroservice<MicroserviceOptions>(
    { strategy },
    { inheritAppConfig: false, deferInitialization: true },
  );
  microservice.useGlobalFilters(new RpcErrorFilter(logger.child({ component: 'rpc' })));
  if (idempotency)
    microservice.useGlobalInterceptors(new RpcIdempotency(idempotency, stack.prefix, settings.timeoutMs));
  await app.startAllMicroservices();
}

/** Answers `<service>.ping` so peers' readiness checks can see this service. */
export function createPingController(service: RpcService) {
  @Controller()
  class PingController {
    @MessagePattern(pingPattern(service))
    ping() {
      return { service, at: new Date().toISOString() };
    }
  }
  return PingController;
}
