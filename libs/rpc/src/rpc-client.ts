import type { ClientProxy } from '@nestjs/microservices';
import { ClientTCP } from '@nestjs/microservices';
import { TimeoutError, firstValueFrom, timeout } from 'rxjs';
import { AppError } from '@ais/domain';
import { pingPattern, type RpcPattern, type RpcRequest, type RpcResponse, type RpcService } from '@ais/contracts';
import type { HealthCheck } from '@ais/observability';
import { NamespacedClientRedis } from './namespaced-redis.js';
import { RPC_RECONNECT, redisOptionsFromUrl } from './redis-options.js';
import { fromRpcError } from './rpc-errors.js';

/** How long a service's RPC lease lasts unrenewed (RPC_LEASE_MS): a crashed holder's standby waits that long. */
export const DEFAULT_RPC_LEASE_MS = 10_000;

export interface RpcSettings {
  transport: 'redis' | 'tcp';
  timeoutMs: number;
  /** Redis transport: the service lease's TTL (see LeasedServerRedis). */
  leaseMs?: number;
  tcp: Record<RpcService, { host: string; port: number }>;
}

/** A typed RPC client for one service: `send` only takes patterns and payloads from RpcContract. */
export class RpcClient {
  constructor(
    readonly service: RpcService,
    private readonly proxy: ClientProxy,
    private readonly timeoutMs: number,
  ) {}

  async send<P extends RpcPattern>(
    pattern: P,
    request: RpcRequest<P>,
    timeoutMs = this.timeoutMs,
  ): Promise<RpcResponse<P>> {
    try {
      return await firstValueFrom(
        this.proxy.send<RpcResponse<P>, RpcRequest<P>>(pattern, request).pipe(timeout(timeoutMs)),
      );
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw new AppError('service_unavailable', `${this.service} did not answer within ${timeoutMs} ms.`);
      }
      if (error instanceof Error) {
        // Handlers' failures arrive as plain payloads; an Error here is the transport's (refused, closed).
        throw new AppError('service_unavailable', `${this.service} is unreachable.`);
      }
      throw fromRpcError(error);
    }
  }

  close(): Promise<void> | void {
    return this.proxy.close();
  }
}

export function createRpcClient(
  service: RpcService,
  settings: RpcSettings,
  redis: { url: string; prefix: string },
): RpcClient {
  const proxy =
    settings.transport === 'tcp'
      ? new ClientTCP({ host: settings.tcp[service].host, port: settings.tcp[service].port })
      : new NamespacedClientRedis(
          {
            ...redisOptionsFromUrl(redis.url),
            ...RPC_RECONNECT,
            connectionName: `${redis.prefix}:rpc-client:${service}`,
          } as never,
          redis.prefix,
        );
  return new RpcClient(service, proxy as unknown as ClientProxy, settings.timeoutMs);
}

/** Readiness check for an RPC peer: it must answer its ping. */
export class RpcPeerHealthCheck implements HealthCheck {
  readonly name: string;
  constructor(private readonly client: RpcClient) {
    this.name = `rpc:${client.service}`;
  }
  async check(): Promise<void> {
    await this.client.send(pingPattern(this.client.service), {}, 1_500);
  }
}
