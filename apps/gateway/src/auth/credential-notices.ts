import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CredentialCache, CredentialChanges } from '@ais/auth';
import { REDIS, type RedisClient } from '@ais/db';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config.js';

/**
 * This instance's end of CredentialChanges: listens from start to shutdown; the admin paths that
 * revoke, rotate or suspend call `announce()` after their transaction commits.
 */
@Injectable()
export class CredentialNotices implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly changes: CredentialChanges;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    cache: CredentialCache,
  ) {
    this.changes = new CredentialChanges(redis, CredentialChanges.channelFor(config.redis.prefix), cache);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.changes.listen();
  }

  announce(): Promise<void> {
    return this.changes.announce();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.changes.close();
  }
}
