import { TimeoutError, firstValueFrom, timeout } from 'rxjs';
import { AppError } from '@ais/domain';
import { pingPattern, type RpcPattern, type RpcRequest, type RpcResponse, type RpcService } from '@ais/contracts';
import type { HealthCheck } from '@ais/observability';
import { NamespacedClientNats, natsNamespace } from './nats-transport.js';
import { fromRpcError } from './rpc-errors.js';
import { IDEMPOTENT_PATTERNS, newIdempotencyKey } from './rpc-idempotency.js';

export interface RpcSettings {
  /** One or more NATS servers (comma-separated in NATS_URL). */
  natsServers: string[];
  timeoutMs: number;
  /** The largest message either side sends (RPC_MAX_MESSAGE_BYTES); bank data moves a page at a time. */
  maxMessageBytes: number;
}

/**
 * Requests that may be sent again after a timeout (their instance died or stalled): reads, and the
 * vault's token (single-flight refresh behind it). The connector's acts at the bank go again with the
 * same idempotency key (IDEMPOTENT_PATTERNS: the server answers a repeat with the first outcome); every
 * other request (the consent-service's own acts) is never repeated after a timeout.
 */
const REPEATABLE = new Set<string>([
  'connector.listAccounts',
  'connector.getBalances',
  'connector.getTransactionsPage',
  'connector.listStatements',
  'connector.getStatementTransactions',
  'connector.getParties',
  'connector.listBeneficiaries',
  'connector.listStandingOrders',
  'connector.listDirectDebits',
  'connector.listScheduledPayments',
  'connector.getConsentStatus',
  'connector.checkConsentStatus',
  'connector.buildAuthorisation',
  'consent-service.getAccessToken',
  'consent-service.ping',
  'connector-service.ping',
  ...IDEMPOTENT_PATTERNS,
]);

/** How long a request waits for an instance to subscribe (none answering: a restart, a deploy). */
const NO_RESPONDER_PATIENCE_MS = 5_000;

/**
 * A typed RPC client for one service: `send` only takes patterns and payloads from RpcContract.
 * Over NATS each request reaches one instance of the service (a queue group); when none listens,
 * the request is sent again for a few seconds, and a repeatable request whose instance went silent
 * (killed mid-request) is sent once more, to another instance (with its idempotency key, for an act).
 */
export class RpcClient {
  constructor(
    readonly service: RpcService,
    private readonly proxy: NamespacedClientNats,
    private readonly timeoutMs: number,
  ) {}

  async send<P extends RpcPattern>(
    pattern: P,
    request: RpcRequest<P>,
    timeoutMs = this.timeoutMs,
    patienceMs = NO_RESPONDER_PATIENCE_MS,
  ): Promise<RpcResponse<P>> {
    const repeatable = REPEATABLE.has(pattern);
    if (IDEMPOTENT_PATTERNS.has(pattern) && (request as { idempotencyKey?: string }).idempotencyKey === undefined)
      request = { ...request, idempotencyKey: newIdempotencyKey() };
    const giveUpAt = Date.now() + patienceMs;
    let timedOut = false;
    for (;;) {
      try {
        return await firstValueFrom(
          this.proxy.send<RpcResponse<P>, RpcRequest<P>>(pattern, request).pipe(timeout(timeoutMs)),
        );
      } catch (error) {
        if (error instanceof TimeoutError) {
          if (repeatable && !timedOut) {
            timedOut = true;
            continue;
          }
          throw new AppError('service_unavailable', `${this.service} did not answer within ${timeoutMs} ms.`);
        }
        if (error instanceof Error && /max_payload|exceeds the RPC maximum/.test(error.message)) {
          throw new AppError('payload_too_large', `A ${pattern} request is larger than the RPC allows.`);
        }
        if (error instanceof Error) {
          // No instance subscribed (NATS answers "no responders" at once), or the connection is down:
          // the request never reached a handler, so sending it again is safe whatever it is.
          if (Date.now() < giveUpAt) {
            await new Promise((r) => setTimeout(r, 200));
            continue;
          }
          throw new AppError('service_unavailable', `${this.service} is unreachable.`);
        }
        throw fromRpcError(error);
      }
    }
  }

  close(): Promise<void> {
    return this.proxy.close();
  }
}

export function createRpcClient(service: RpcService, settings: RpcSettings, stack: { prefix: string }): RpcClient {
  const proxy = new NamespacedClientNats(
    {
      servers: settings.natsServers,
      name: `${stack.prefix}:rpc-client:${service}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    },
    natsNamespace(stack.prefix),
    settings.maxMessageBytes,
  );
  return new RpcClient(service, proxy, settings.timeoutMs);
}

/** Readiness check for an RPC peer: one of its instances must answer its ping. */
export class RpcPeerHealthCheck implements HealthCheck {
  readonly name: string;
  constructor(private readonly client: RpcClient) {
    this.name = `rpc:${client.service}`;
  }
  async check(): Promise<void> {
    await this.client.send(pingPattern(this.client.service), {}, 1_500, 0);
  }
}
