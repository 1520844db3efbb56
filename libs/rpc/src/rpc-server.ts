import { Controller } from '@nestjs/common';
import { MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { INestApplication } from '@nestjs/common';
import { pingPattern, type RpcService } from '@ais/contracts';
import type { Logger, Metrics } from '@ais/observability';
import { LeasedServerRedis } from './namespaced-redis.js';
import { RPC_RECONNECT, redisOptionsFromUrl } from './redis-options.js';
import { RpcErrorFilter } from './rpc-errors.js';
import { DEFAULT_RPC_LEASE_MS, type RpcSettings } from './rpc-client.js';

/**
 * Attaches the RPC server of `service` to a Nest app (hybrid HTTP + RPC) and starts listening. Over
 * Redis, only the instance holding the service's lease answers (see LeasedServerRedis); the others
 * stand by and take over when it stops.
 */
export async function startRpcServer(
  app: INestApplication,
  service: RpcService,
  settings: RpcSettings,
  redis: { url: string; prefix: string },
  logger: Logger,
  metrics?: Metrics,
): Promise<void> {
  const leaseMs = settings.leaseMs ?? DEFAULT_RPC_LEASE_MS;
  const active = metrics?.gauge(
    'rpc_lease_active',
    'Whether this instance holds its service’s RPC lease and answers (1) or stands by (0)',
    [],
  );
  active?.set(0);
  const options: MicroserviceOptions =
    settings.transport === 'tcp'
      ? { transport: Transport.TCP, options: { host: settings.tcp[service].host, port: settings.tcp[service].port } }
      : {
          strategy: new LeasedServerRedis(
            {
              ...redisOptionsFromUrl(redis.url),
              ...RPC_RECONNECT,
              connectionName: `${redis.prefix}:rpc-server:${service}`,
            } as never,
            redis.prefix,
            {
              key: `${redis.prefix}:rpc-lease:${service}`,
              ttlMs: leaseMs,
              everyMs: Math.min(1_000, Math.floor(leaseMs / 3)),
              logger: logger.child({ component: 'rpc-lease', service }),
              onRoleChange: (on) => active?.set(on ? 1 : 0),
            },
          ),
        };
  const microservice = app.connectMicroservice<MicroserviceOptions>(options, {
    inheritAppConfig: false,
    deferInitialization: true,
  });
  microservice.useGlobalFilters(new RpcErrorFilter(logger.child({ component: 'rpc' })));
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
