import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';

/** Where Redis is: `cluster` when REDIS_URL names seed nodes of a Redis Cluster. */
export interface RedisSettings {
  url: string;
  prefix: string;
  cluster?: boolean;
}

/** A connection to one Redis server or to a Redis Cluster: the commands this project uses work on both. */
export type RedisClient = Redis | Cluster;

/** Options both kinds take: the cluster hands them to each node connection. */
export interface RedisClientOptions {
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
  lazyConnect?: boolean;
  connectionName?: string;
}

/**
 * A new connection for these settings. For a cluster, every URL of REDIS_URL is a seed node; user name,
 * password and TLS (`rediss://`) come from the first, and apply to every node the cluster reports.
 */
export function createRedisClient(settings: RedisSettings, options: RedisClientOptions = {}): RedisClient {
  const { enableOfflineQueue, lazyConnect, ...nodeOptions } = options;
  if (!settings.cluster) return new Redis(settings.url, options);
  const seeds = settings.url.split(',').map((u) => new URL(u.trim()));
  const first = seeds[0];
  const redisOptions: ClusterOptions['redisOptions'] = {
    ...nodeOptions,
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return new Cluster(
    seeds.map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) })),
    {
      redisOptions,
      enableOfflineQueue,
      lazyConnect,
      // Nodes announce themselves by address; a slot map refresh follows failovers and resharding.
      slotsRefreshTimeout: 2_000,
    },
  );
}

/**
 * What BullMQ needs to reach Redis, and how to let go of it. For one server, connection options: each
 * Queue / Worker opens (and closes) its own connections. For a cluster, a Cluster client (BullMQ cannot
 * build one from options): BullMQ duplicates it for a worker's blocking reads and never closes it, so
 * `release` does, after the queue or worker is closed.
 */
export interface BullConnection {
  connection: ConnectionOptions;
  release(): Promise<void>;
}

export function openBullConnection(settings: RedisSettings): BullConnection {
  const options = { maxRetriesPerRequest: null, enableOfflineQueue: true } as const;
  if (!settings.cluster) return { connection: { url: settings.url, ...options }, release: async () => undefined };
  const cluster = createRedisClient(settings, options);
  return {
    connection: cluster,
    release: async () => {
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}

/**
 * Keys that multi-key commands (MGET, pipelines, transactions, scripts) use together must share a Redis
 * Cluster hash slot: a `{family}` hash tag puts every key of one family in the same slot, and different
 * families in different slots. Keys still begin with the stack's prefix, so `SCAN ais:*` and an ACL key
 * pattern `~ais:*` cover a whole stack. `taggedKey('ais', 'circuit', 'allstar')` → `ais:{circuit}:allstar`.
 */
export function taggedKey(prefix: string, family: string, ...rest: string[]): string {
  return [prefix, `{${family}}`, ...rest].join(':');
}

export type { RedisOptions };

/** Another connection like this one (a subscriber needs its own): same server, or same cluster. */
export function duplicateClient(client: RedisClient): RedisClient {
  return client instanceof Cluster ? client.duplicate() : client.duplicate();
}
