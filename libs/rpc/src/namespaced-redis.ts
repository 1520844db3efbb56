import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ClientRedis,
  ServerRedis,
  type ReadPacket,
  type RedisContext,
  type RedisOptions,
  type WritePacket,
} from '@nestjs/microservices';
import { Redis, type RedisOptions as RedisClientOptions } from 'ioredis';
import type { Logger } from '@ais/observability';
import { RpcLease } from './rpc-lease.js';

type Options = NonNullable<RedisOptions['options']>;

/** A client's private reply channel suffix: only its own replies reach it. */
const INBOX = /^[A-Za-z0-9-]{8,64}$/;

/**
 * Redis pub/sub channels are global to a Redis server (database numbers do not scope them), so two
 * stacks — or two test runs — sharing one Redis would answer each other's requests. These subclasses
 * prefix every request and reply channel with a namespace (REDIS_PREFIX).
 *
 * Replies go to the requesting client's own channel (`….reply/<inbox>`, the inbox named in the
 * request): with Nest's shared `….reply` channel every client of a pattern received, and JSON-parsed,
 * every reply to every other client, so N sync-workers each parsed N times the bank data.
 */
export class NamespacedServerRedis extends ServerRedis {
  /** Request id → the requester's inbox, from parsing the request until its publisher is made. */
  private readonly inboxes = new Map<string, string>();

  constructor(
    options: Options,
    private readonly namespace: string,
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return `${this.namespace}/rpc/${pattern}`;
  }

  override getReplyPattern(pattern: string): string {
    return `${this.namespace}/rpc/${pattern}.reply`;
  }

  override async handleMessage(channel: string, buffer: string, pub: Redis, pattern: string): Promise<unknown> {
    const strip = (c: string) => (c.startsWith(`${this.namespace}/rpc/`) ? c.slice(this.namespace.length + 5) : c);
    return super.handleMessage(strip(channel), buffer, pub, strip(pattern));
  }

  /** Nest's one parse of a request: notes the requester's inbox (older clients name none) for its publisher. */
  override parseMessage(content: unknown): Record<string, unknown> {
    const packet = super.parseMessage(content) as Record<string, unknown>;
    const { id, replyTo } = typeof packet === 'object' && packet !== null ? packet : {};
    if (typeof id === 'string' && typeof replyTo === 'string' && INBOX.test(replyTo)) this.inboxes.set(id, replyTo);
    return packet;
  }

  override getPublisher(pub: Redis, pattern: string, id: string, ctx: RedisContext): (response: unknown) => unknown {
    const inbox = this.inboxes.get(id);
    if (!inbox) return super.getPublisher(pub, pattern, id, ctx);
    this.inboxes.delete(id);
    const channel = `${this.getReplyPattern(pattern)}/${inbox}`;
    return (response: unknown) => {
      const outgoing = this.serializer.serialize(Object.assign(response as object, { id }));
      return pub.publish(channel, JSON.stringify(outgoing));
    };
  }
}

export class NamespacedClientRedis extends ClientRedis {
  private readonly inbox = randomUUID();

  constructor(
    options: Options,
    private readonly namespace: string,
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return `${this.namespace}/rpc/${pattern}`;
  }

  override getReplyPattern(pattern: string): string {
    return `${this.namespace}/rpc/${pattern}.reply/${this.inbox}`;
  }

  protected override publish(partialPacket: ReadPacket, callback: (packet: WritePacket) => unknown): () => void {
    return super.publish(Object.assign(partialPacket, { replyTo: this.inbox }), callback);
  }
}

export interface LeaseSettings {
  /** Redis key of the lease (one per service and REDIS_PREFIX). */
  key: string;
  /** How long a lease lasts unrenewed: the longest a crashed holder keeps a standby waiting. */
  ttlMs: number;
  /** How often the holder renews and a standby tries to take over. */
  everyMs: number;
  logger: Logger;
  /** Told each time this instance starts or stops answering (for a metric). */
  onRoleChange?: (active: boolean) => void;
}

/**
 * Redis pub/sub hands every request to every subscriber, so two instances of a service would both
 * handle it (twice the bank calls, two answers). This server answers only while it holds the
 * service's lease (RpcLease): one instance is active, any other stands by, connected but not
 * subscribed, and takes over when the lease is released (graceful shutdown: within `everyMs`) or
 * lapses (crash: within `ttlMs`). An instance that cannot renew stops answering before its lease can
 * lapse, so two never answer at once. The standby's HTTP side (health, metrics) runs as usual.
 */
export class LeasedServerRedis extends NamespacedServerRedis {
  private leaseClient?: Redis;
  private lease?: RpcLease;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private active = false;
  private closing = false;

  constructor(
    private readonly redisOptions: Options,
    namespace: string,
    private readonly leasing: LeaseSettings,
  ) {
    super(redisOptions, namespace);
  }

  override async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    try {
      this.leaseClient = new Redis({
        ...(this.redisOptions as RedisClientOptions),
        lazyConnect: true,
        maxRetriesPerRequest: 1,
      });
      this.leaseClient.on('error', () => undefined); // failures surface through the lease calls
      await this.leaseClient.connect();
      this.lease = new RpcLease(
        this.leaseClient,
        this.leasing.key,
        `${hostname()}:${process.pid}:${randomUUID()}`,
        this.leasing.ttlMs,
      );
      if (await this.lease.tryAcquire()) await this.activate();
      else
        this.leasing.logger.info(
          { lease: this.leasing.key },
          'standing by: another instance answers this service’s RPC',
        );
      this.timer = setInterval(() => void this.tick(), this.leasing.everyMs);
      this.timer.unref();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  override async handleMessage(channel: string, buffer: string, pub: Redis, pattern: string): Promise<unknown> {
    if (!this.active || !this.lease?.held) return undefined; // fenced: the holder of the lease answers
    return super.handleMessage(channel, buffer, pub, pattern);
  }

  override async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await this.ticking;
    if (this.active) await this.deactivate();
    await this.lease?.release().catch(() => undefined);
    await this.leaseClient?.quit().catch(() => undefined);
  }

  private tick(): Promise<void> {
    if (this.closing || this.ticking) return this.ticking ?? Promise.resolve();
    this.ticking = this.step().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async step(): Promise<void> {
    const lease = this.lease!;
    if (this.active) {
      // A Redis error keeps the lease counted until it would lapse; "someone else has it" ends it now.
      await lease.renew().catch(() => undefined);
      if (!lease.held) {
        await this.deactivate();
        this.leasing.logger.warn({ lease: this.leasing.key }, 'lost the RPC lease: standing by');
      }
    } else if (await lease.tryAcquire().catch(() => false)) {
      await this.activate().catch((error: unknown) =>
        this.leasing.logger.error({ err: error }, 'took the RPC lease but could not subscribe'),
      );
    }
  }

  private async activate(): Promise<void> {
    this.isManuallyClosed = false;
    await new Promise<void>(
      (resolve, reject) =>
        void super.listen((err?: unknown) =>
          err ? reject(err instanceof Error ? err : new Error('could not subscribe to the RPC channels')) : resolve(),
        ),
    );
    this.active = true;
    this.leasing.onRoleChange?.(true);
    this.leasing.logger.info({ lease: this.leasing.key }, 'holding the RPC lease: answering this service’s RPC');
  }

  private async deactivate(): Promise<void> {
    this.active = false;
    this.leasing.onRoleChange?.(false);
    await super.close().catch(() => undefined);
  }
}
