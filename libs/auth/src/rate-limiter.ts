import { createHash } from 'node:crypto';
import type { RedisClient } from '@ais/db';

/**
 * Generic cell rate algorithm (GCRA) in one Lua call: a token bucket of `limit` per minute with a
 * burst of `limit`, atomic across gateway instances, one key per tenant.
 * Returns { allowed, remaining, retryAfterMs, resetMs }.
 */
const GCRA = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local stored = redis.call('GET', key)
local tat = now
if stored then tat = math.max(tonumber(stored), now) end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if allow_at > now then
  return {0, 0, math.ceil(allow_at - now), math.ceil(tat - now)}
end
redis.call('SET', key, tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return {1, math.floor((now - allow_at) / interval), 0, math.ceil(new_tat - now)}
`;

const GCRA_SHA = createHash('sha1').update(GCRA).digest('hex');

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

export class RateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  async consume(subject: string, limitPerMinute: number, now = Date.now()): Promise<RateDecision> {
    const interval = 60_000 / limitPerMinute;
    const args = [`${this.keyPrefix}:rl:${subject}`, String(now), String(interval), String(limitPerMinute)];
    // By its SHA: the script is not sent (nor hashed by Redis) on every request; a Redis that has not
    // seen it yet (a restart, another cluster node) answers NOSCRIPT once and gets it.
    const reply = await this.redis.evalsha(GCRA_SHA, 1, ...args).catch((error: unknown) => {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return this.redis.eval(GCRA, 1, ...args);
      throw error;
    });
    const [allowed, remaining, retryAfterMs, resetMs] = reply as [number, number, number, number];
    return {
      allowed: allowed === 1,
      limit: limitPerMinute,
      remaining: Math.max(0, remaining),
      retryAfterMs: Math.max(0, retryAfterMs),
      resetMs: Math.max(0, resetMs),
    };
  }
}
