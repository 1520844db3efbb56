import { ClientNats, ServerNats, type NatsOptions } from '@nestjs/microservices';
import type { RpcService } from '@ais/contracts';

type Options = NonNullable<NatsOptions['options']>;

/** A stack's prefix as one NATS subject token (no dots, wildcards or white space). */
export function natsNamespace(prefix: string): string {
  return prefix.replace(/[^A-Za-z0-9_-]/g, '_');
}

const SERIALIZED = new WeakMap<object, string | Buffer>();

/**
 * Marks a reply whose JSON text the handler made already (to measure it, say), as a string or as its
 * UTF-8 bytes: the serializer sends that instead of making it again. The value must not change after
 * this.
 */
export function serializedAs<T extends object>(value: T, json: string | Buffer): T {
  SERIALIZED.set(value, json);
  return value;
}

/**
 * The packet's JSON (made without its response) with `"response":<json>` added: bytes when the
 * response's are (put on the wire as they are: a large reply is not made a string and encoded again).
 */
function withResponse(packetJson: string, json: string | Buffer): string | Buffer {
  const head = packetJson === '{}' ? '{"response":' : `${packetJson.slice(0, -1)},"response":`;
  return typeof json === 'string' ? `${head}${json}}` : Buffer.concat([Buffer.from(head), json, CLOSE]);
}

const CLOSE = Buffer.from('}');

/**
 * Nest's NATS serializer, bounded: a message over the RPC maximum is never put on the wire. A reply
 * that would be becomes a payload_too_large error for the caller (instead of a publish that fails
 * and leaves the caller waiting for its timeout); a request that would be fails at the sender.
 */
class BoundedSerializer {
  constructor(private readonly maxBytes: number) {}

  serialize(packet: { id?: string; pattern?: unknown; data?: unknown; response?: unknown }): {
    data: string | Buffer;
    headers: undefined;
  } {
    // Nest's NatsRecordSerializer for plain payloads: the packet as JSON, no NATS headers.
    const json = typeof packet.response === 'object' && packet.response !== null && SERIALIZED.get(packet.response);
    const data = json ? withResponse(JSON.stringify({ ...packet, response: undefined }), json) : JSON.stringify(packet);
    if ((typeof data === 'string' ? Buffer.byteLength(data) : data.length) <= this.maxBytes)
      return { data, headers: undefined };
    if (packet.pattern !== undefined) throw new Error(`The request exceeds the RPC maximum of ${this.maxBytes} bytes.`);
    const err = {
      code: 'payload_too_large',
      detail: `The answer exceeds the RPC maximum of ${this.maxBytes} bytes (RPC_MAX_MESSAGE_BYTES).`,
    };
    return { data: JSON.stringify({ id: packet.id, err, isDisposed: true }), headers: undefined };
  }
}

/**
 * NATS subjects are global to a NATS server, so two stacks (or two test runs) sharing one would
 * answer each other's requests: every subject is `<namespace>.rpc.<pattern>` (namespace = the
 * stack's REDIS_PREFIX). Each service's instances form one queue group, so NATS hands each request
 * to exactly one of them (competing consumers: every instance serves its share).
 *
 * Connector calls name a provider: `<namespace>.rpc.connector.<providerId>.<operation>`, so a
 * connector-service can serve some providers only (CONNECTOR_PROVIDERS) and each bank can get a pool.
 */
export function rpcSubject(namespace: string, pattern: string, providerId?: string): string {
  const route = providerId !== undefined ? pattern.replace(/^connector\./, `connector.${providerId}.`) : pattern;
  return `${namespace}.rpc.${route}`;
}

/** Provider ids are subject tokens: no dots, wildcards or white space. */
const PROVIDER_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export class NamespacedServerNats extends ServerNats {
  private readonly own: { unsubscribe(): void }[] = [];

  constructor(
    options: Options,
    private readonly namespace: string,
    private readonly service: RpcService,
    maxBytes: number,
    /** Connector-service: the providers this instance serves (undefined: every provider). */
    private readonly providers?: readonly string[],
    /** Told of every request this instance takes (metrics). */
    private readonly onRequest?: (pattern: string) => void,
  ) {
    super({ ...options, queue: `${namespace}.${service}`, serializer: new BoundedSerializer(maxBytes) as never });
  }

  override normalizePattern(pattern: Parameters<ServerNats['normalizePattern']>[0]): string {
    const route = super.normalizePattern(pattern);
    return route.startsWith(`${this.namespace}.rpc.`) ? route : `${this.namespace}.rpc.${route}`;
  }

  /**
   * Subscribes each handler in the service's queue group; a connector operation once per provider
   * served (`connector.<providerId>.<operation>`), or on the `connector.*.<operation>` wildcard.
   */
  override bindEvents(client: Parameters<ServerNats['bindEvents']>[0]): void {
    const queue = `${this.namespace}.${this.service}`;
    const prefix = `${this.namespace}.rpc.`;
    for (const channel of this.messageHandlers.keys()) {
      const callback = this.getMessageHandler(channel).bind(this) as never;
      const route = channel.slice(prefix.length);
      const subjects = route.startsWith('connector.')
        ? (this.providers ?? ['*']).map((p) => rpcSubject(this.namespace, route, p))
        : [channel];
      for (const subject of subjects) this.own.push(client.subscribe(subject, { queue, callback }));
    }
  }

  override async handleMessage(channel: string, message: Parameters<ServerNats['handleMessage']>[1]): Promise<unknown> {
    this.onRequest?.(channel.slice(`${this.namespace}.rpc.`.length));
    return super.handleMessage(channel, message);
  }

  override async close(): Promise<void> {
    for (const s of this.own.splice(0)) s.unsubscribe();
    await super.close();
  }
}

export class NamespacedClientNats extends ClientNats {
  constructor(
    options: Options,
    private readonly namespace: string,
    maxBytes: number,
  ) {
    super({ ...options, serializer: new BoundedSerializer(maxBytes) as never });
  }

  protected override publish(
    packet: Parameters<ClientNats['publish']>[0],
    callback: Parameters<ClientNats['publish']>[1],
  ): () => void {
    const data = packet.data as { providerId?: unknown } | undefined;
    const providerId = typeof data?.providerId === 'string' ? data.providerId : undefined;
    const pattern = String(packet.pattern);
    if (pattern.startsWith('connector.') && providerId !== undefined && !PROVIDER_TOKEN.test(providerId)) {
      callback({ err: { code: 'validation_failed', message: `Not a provider id: ${JSON.stringify(providerId)}.` } });
      return () => {};
    }
    return super.publish(
      {
        ...packet,
        pattern: rpcSubject(this.namespace, pattern, pattern.startsWith('connector.') ? providerId : undefined),
      },
      callback,
    );
  }
}
