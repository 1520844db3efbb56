import { ClientRedis, ServerRedis, type RedisOptions } from '@nestjs/microservices';

type Options = NonNullable<RedisOptions['options']>;

/**
 * Redis pub/sub channels are global to a Redis server (database numbers do not scope them), so two
 * stacks — or two test runs — sharing one Redis would answer each other's requests. These subclasses
 * prefix every request and reply channel with a namespace (REDIS_PREFIX).
 */
export class NamespacedServerRedis extends ServerRedis {
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

  override async handleMessage(channel: string, buffer: string, pub: unknown, pattern: string): Promise<unknown> {
    const strip = (c: string) => (c.startsWith(`${this.namespace}/rpc/`) ? c.slice(this.namespace.length + 5) : c);
    return super.handleMessage(strip(channel), buffer, pub, strip(pattern));
  }
}

export class NamespacedClientRedis extends ClientRedis {
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
}
