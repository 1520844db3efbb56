import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { HealthCheck } from '@ais/observability';

export const REDIS = Symbol('REDIS');
export interface RedisSettings {
  url: string;
  prefix: string;
}
export const REDIS_SETTINGS = Symbol('REDIS_SETTINGS');

@Injectable()
export class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Injectable()
export class RedisHealthCheck implements HealthCheck {
  readonly name = 'redis';
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async check(): Promise<void> {
    await this.redis.ping();
  }
}

/** One shared ioredis connection per process for commands (BullMQ opens its own). */
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
          useFactory: () => new Redis(settings.url, { maxRetriesPerRequest: 2, enableOfflineQueue: true }),
        },
        RedisLifecycle,
        RedisHealthCheck,
      ],
      exports: [REDIS, REDIS_SETTINGS, RedisHealthCheck],
    };
  }
}
