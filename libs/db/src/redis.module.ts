import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { HealthCheck } from '@ais/observability';
import { createRedisClient, type RedisClient, type RedisSettings } from './redis-client.js';

export const REDIS = Symbol('REDIS');
export const REDIS_SETTINGS = Symbol('REDIS_SETTINGS');

@Injectable()
export class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Injectable()
export class RedisHealthCheck implements HealthCheck {
  readonly name = 'redis';
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async check(): Promise<void> {
    await this.redis.ping();
  }
}

/** One shared ioredis connection (to a server or a cluster) per process for commands (BullMQ opens its own). */
@Global()
@Module({})
export class RedisModule {
  static forRoot(settings: RedisSettings): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS_SETTINGS, useValue: settings },
        {
          provide: REDIS,
          useFactory: () => createRedisClient(settings, { maxRetriesPerRequest: 2, enableOfflineQueue: true }),
        },
        RedisLifecycle,
        RedisHealthCheck,
      ],
      exports: [REDIS, REDIS_SETTINGS, RedisHealthCheck],
    };
  }
}
