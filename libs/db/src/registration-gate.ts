import { taggedKey, type RedisClient } from './redis-client.js';

/** The last automatic re-registration claimed for a provider, while its interval runs. */
export interface RegistrationClaim {
  /** When an instance claimed it (and began registering again). */
  at: Date;
  /** When the next automatic re-registration may start. */
  nextAllowedAt: Date;
  instance: string;
}

/**
 * At most one automatic re-registration per provider and interval, across every connector-service
 * instance: a RedisClient key set only when absent (SET NX) that lives for the interval. Whoever sets it
 * registers again; everyone else (another instance, or the same one later within the interval) does
 * not. The gateway reads it to tell operators when the next attempt may happen.
 */
export class RegistrationGate {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(providerId: string): string {
    return taggedKey(this.prefix, 'reregister', providerId);
  }

  /** True when this caller may re-register now (and the interval starts); false within the interval. */
  async claim(providerId: string, instance: string, intervalMs: number, now = new Date()): Promise<boolean> {
    if (intervalMs <= 0) return false;
    const value = JSON.stringify({
      at: now.toISOString(),
      nextAllowedAt: new Date(now.getTime() + intervalMs).toISOString(),
      instance,
    });
    return (await this.redis.set(this.key(providerId), value, 'PX', intervalMs, 'NX')) === 'OK';
  }

  async read(providerIds: string[]): Promise<Map<string, RegistrationClaim>> {
    const out = new Map<string, RegistrationClaim>();
    if (providerIds.length === 0) return out;
    const values = await this.redis.mget(providerIds.map((id) => this.key(id)));
    providerIds.forEach((id, i) => {
      const raw = values[i];
      if (!raw) return;
      try {
        const v = JSON.parse(raw) as { at: string; nextAllowedAt: string; instance: string };
        out.set(id, { at: new Date(v.at), nextAllowedAt: new Date(v.nextAllowedAt), instance: v.instance });
      } catch {
        // not ours: ignore
      }
    });
    return out;
  }
}
