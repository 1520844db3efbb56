import type { AuthenticatedCredential, RedisClient } from '@ais/db';
import { duplicateClient } from '@ais/db';

/**
 * How long a credential looked up for one request answers for the next ones on this instance. A change
 * made through the gateway (revocation, rotation, suspension, a new rate limit) clears every instance's
 * cache at once (CredentialChanges); a change made any other way, or a lost notice, takes effect
 * within this long. Well inside a second, the promise made for revocation and suspension.
 */
export const CREDENTIAL_CACHE_TTL_MS = 750;
const MAX_ENTRIES = 10_000;

interface Entry {
  at: number;
  value: Promise<AuthenticatedCredential | null>;
}

/**
 * The credential lookups of the last CREDENTIAL_CACHE_TTL_MS, by key (the secret's hash, or the id an
 * access token names): a tenant's burst of requests costs one lookup, not one each. Concurrent misses
 * share one lookup; a failed lookup is not kept. Unknown keys are kept too (as null), so a client
 * repeating a bad key does not cost a query per request either.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = CREDENTIAL_CACHE_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string, load: () => Promise<AuthenticatedCredential | null>): Promise<AuthenticatedCredential | null> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    const entry: Entry = { at: t, value: load() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    // Oldest first (Map order): a flood of distinct keys cannot grow the cache without bound.
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return entry.value;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Tells every gateway instance that credentials or tenants changed: the writer clears its own cache
 * before it answers (so its next request already sees the change) and publishes on Redis; every
 * instance subscribed clears its cache when the notice arrives. Pub/sub works the same on a Redis
 * Cluster (messages reach every node's subscribers).
 */
export class CredentialChanges {
  private subscriber?: RedisClient;

  constructor(
    private readonly redis: RedisClient,
    private readonly channel: string,
    private readonly cache: CredentialCache,
  ) {}

  static channelFor(prefix: string): string {
    return `${prefix}:credentials:changed`;
  }

  async listen(): Promise<void> {
    const subscriber = duplicateClient(this.redis);
    subscriber.on('message', (channel: string) => {
      if (channel === this.channel) this.cache.clear();
    });
    // A reconnect may have missed notices: start afresh.
    subscriber.on('ready', () => this.cache.clear());
    await subscriber.subscribe(this.channel);
    this.subscriber = subscriber;
  }

  async announce(): Promise<void> {
    this.cache.clear();
    await this.redis.publish(this.channel, String(Date.now())).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}
