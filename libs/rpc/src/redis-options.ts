import type { RedisOptions } from 'ioredis';

/** ioredis connection options from a redis:// or rediss:// URL. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Nest's Redis transport reconnects only when given `retryAttempts` (its own retry strategy replaces
 * ioredis's): without it a Redis restart or a dropped connection left the RPC server and clients
 * disconnected for good, every request timing out until the process restarted. Both sides keep
 * retrying every half second; ioredis resubscribes to the channels once back.
 */
export const RPC_RECONNECT = { retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 500 } as const;
