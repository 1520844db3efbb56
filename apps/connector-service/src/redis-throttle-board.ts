import { duplicateClient, taggedKey, type RedisClient } from '@ais/db';
import { MemoryThrottleBoard, type ThrottlePause } from '@ais/connectors';
import type { Logger } from '@ais/observability';

/**
 * Stores a pause, drops the pauses that have ended, keeps the hash as long as its longest pause, and tells
 * the running instances, in one step. KEYS[1] the hash; ARGV: field, pause JSON, now (ms), ttl (ms), channel.
 */
const PUBLISH_PAUSE = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local now = tonumber(ARGV[3])
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local ok, p = pcall(cjson.decode, fields[i + 1])
  if not ok or type(p) ~= 'table' or type(p['until']) ~= 'number' or p['until'] <= now then
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
redis.call('PUBLISH', ARGV[5], ARGV[2])
return 1
`;

/**
 * Banks' 429 pauses shared by every connector-service instance through Redis: the pauses in force live in
 * one hash (read once at start, for pauses published before this instance existed; one key, so it reads
 * the same on one server and on a Redis Cluster, where a SCAN would see one node), and each new pause is
 * a message on a channel (for the running instances). Calls consult only this process's memory (the
 * MemoryThrottleBoard it extends), so a bank call never waits on Redis; a pause published by another
 * instance applies within a round trip.
 */
export class RedisThrottleBoard extends MemoryThrottleBoard {
  private subscriber: RedisClient | undefined;
  private readonly channel: string;
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    super(now);
    this.channel = `${prefix}:bank-throttle`;
    this.key = taggedKey(prefix, 'bank-throttle', 'pauses');
  }

  async start(): Promise<void> {
    const subscriber = duplicateClient(this.redis);
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    await subscriber.subscribe(this.channel);
    for (const value of Object.values(await this.redis.hgetall(this.key))) this.receive(value);
  }

  async close(): Promise<void> {
    await this.subscriber?.quit();
    this.subscriber = undefined;
  }

  override publish(pause: ThrottlePause): void {
    this.record(pause);
    const now = this.now();
    const ttl = Math.ceil(pause.until - now);
    if (ttl <= 0) return;
    const message = JSON.stringify(pause);
    this.redis
      .eval(
        PUBLISH_PAUSE,
        1,
        this.key,
        `${pause.providerId}:${pause.key}`,
        message,
        String(now),
        String(ttl),
        this.channel,
      )
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
