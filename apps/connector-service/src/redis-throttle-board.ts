import type { Redis } from 'ioredis';
import { MemoryThrottleBoard, type ThrottlePause } from '@ais/connectors';
import type { Logger } from '@ais/observability';

/**
 * Banks' 429 pauses shared by every connector-service instance through Redis: each pause is a key
 * that expires with it (read once at start, for pauses published before this instance existed) and a
 * message on a channel (for the running instances). Calls consult only this process's memory (the
 * MemoryThrottleBoard it extends), so a bank call never waits on Redis; a pause published by another
 * instance applies within a round trip.
 */
export class RedisThrottleBoard extends MemoryThrottleBoard {
  private subscriber: Redis | undefined;
  private readonly channel: string;
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    super(now);
    this.channel = `${prefix}:bank-throttle`;
    this.keyPrefix = `${prefix}:bank-throttle:`;
  }

  async start(): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    await subscriber.subscribe(this.channel);
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) for (const value of await this.redis.mget(...keys)) if (value) this.receive(value);
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.subscriber?.quit();
    this.subscriber = undefined;
  }

  override publish(pause: ThrottlePause): void {
    this.record(pause);
    const ttl = Math.ceil(pause.until - this.now());
    if (ttl <= 0) return;
    const message = JSON.stringify(pause);
    this.redis
      .multi()
      .set(`${this.keyPrefix}${pause.providerId}:${pause.key}`, message, 'PX', ttl)
      .publish(this.channel, message)
      .exec()
      .catch((err: unknown) =>
        this.logger.error(
          { err, providerId: pause.providerId },
          'could not share a 429 pause with the other instances',
        ),
      );
  }

  private receive(message: string): void {
    try {
      const p = JSON.parse(message) as Partial<ThrottlePause>;
      if (
        typeof p.providerId === 'string' &&
        typeof p.key === 'string' &&
        typeof p.until === 'number' &&
        Number.isFinite(p.until)
      ) {
        this.record({ providerId: p.providerId, key: p.key, until: p.until });
      }
    } catch {
      this.logger.warn('ignored a malformed 429 pause message');
    }
  }
}
