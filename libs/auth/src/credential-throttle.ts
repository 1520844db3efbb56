import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { taggedKey, type RedisClient } from '@ais/db';

/**
 * How many failed client authentications are tolerated, as a bucket of `attempts` that refills one
 * attempt every `windowMs / attempts` (GCRA, like the tenant rate limit): `attempts` failures in a row,
 * then one more per interval, so at most `attempts` per window in the long run.
 */
export interface FailureLimit {
  attempts: number;
  windowMs: number;
}

/**
 * Per client id: 10 failures per 15 minutes (a burst of 10, then one more every 90 s). A client that
 * cannot get its secret right in 10 tries is misconfigured or someone else; beyond that, every attempt
 * for that client id, right secret or not, is a 429 until the bucket refills, so guessing gains nothing.
 */
export const CLIENT_FAILURE_LIMIT: FailureLimit = { attempts: 10, windowMs: 15 * 60_000 };

/**
 * Per source address (an IPv4 address, or an IPv6 /64: what one subscriber holds): 50 failures per 15
 * minutes, five client ids' worth. A client id stops adding to its source's count once it is itself
 * throttled (throttled attempts are not checked, so not counted), so one bad client behind a fintech's
 * NAT (10 at most) leaves its neighbours' correct secrets working; spraying many client ids (unknown
 * ones included) from one address is what this catches.
 */
export const SOURCE_FAILURE_LIMIT: FailureLimit = { attempts: 50, windowMs: 15 * 60_000 };

export type ThrottleDecision = { allowed: true } | { allowed: false; scope: 'client' | 'source'; retryAfterMs: number };

/**
 * GCRA peek over both buckets: how long until one more attempt is allowed in each (<= 0: now).
 * ARGV: now, client interval, client burst, source interval, source burst.
 */
const PEEK = `
local now = tonumber(ARGV[1])
local function wait(key, interval, burst)
  local stored = redis.call('GET', key)
  if not stored then return 0 end
  return math.ceil(math.max(tonumber(stored), now) + interval - burst * interval - now)
end
return {wait(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3])), wait(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]))}
`;

/**
 * One failure in both buckets. The theoretical arrival time never runs more than a full bucket ahead
 * of now, so a burst of concurrent failures cannot lock a client id out for longer than one window.
 * Each key expires when its bucket is full again.
 */
const FAIL = `
local now = tonumber(ARGV[1])
local function fail(key, interval, burst)
  local stored = redis.call('GET', key)
  local tat = now
  if stored then tat = math.max(tonumber(stored), now) end
  tat = math.min(tat + interval, now + burst * interval)
  redis.call('SET', key, tostring(tat), 'PX', math.ceil(tat - now) + 1000)
end
fail(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
fail(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]))
return 1
`;

/**
 * Throttles failed client-credential attempts per client id and per source address, shared by every
 * gateway instance through Redis. `check` runs before the secret is verified (a throttled attempt costs
 * one Redis call, no database lookup or hashing); `recordFailure` after a wrong secret or unknown client.
 *
 * Keys: `<prefix>:{auth-failures}:client:<sha-256 of the client id>` (so a client id of any length or
 * content is a short key) and `…:source:<address>`, one hash tag so that one script reads both on a
 * Redis Cluster. Each lives only while its bucket is not full again (at most one window), so unknown
 * client ids cannot pile up keys.
 */
export class CredentialThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limits: { client: FailureLimit; source: FailureLimit } = {
      client: CLIENT_FAILURE_LIMIT,
      source: SOURCE_FAILURE_LIMIT,
    },
  ) {}

  async check(clientId: string, sourceAddress: string | undefined, now = Date.now()): Promise<ThrottleDecision> {
    const [clientWait, sourceWait] = (await this.redis.eval(
      PEEK,
      2,
      ...this.keys(clientId, sourceAddress),
      ...this.args(now),
    )) as [number, number];
    if (clientWait <= 0 && sourceWait <= 0) return { allowed: true };
    return clientWait >= sourceWait
      ? { allowed: false, scope: 'client', retryAfterMs: clientWait }
      : { allowed: false, scope: 'source', retryAfterMs: sourceWait };
  }

  async recordFailure(clientId: string, sourceAddress: string | undefined, now = Date.now()): Promise<void> {
    await this.redis.eval(FAIL, 2, ...this.keys(clientId, sourceAddress), ...this.args(now));
  }

  private keys(clientId: string, sourceAddress: string | undefined): [string, string] {
    const client = createHash('sha256').update(clientId, 'utf8').digest('base64url').slice(0, 32);
    return [
      taggedKey(this.prefix, 'auth-failures', 'client', client),
      taggedKey(this.prefix, 'auth-failures', 'source', sourceOf(sourceAddress)),
    ];
  }

  private args(now: number): string[] {
    const { client, source } = this.limits;
    return [
      String(now),
      String(client.windowMs / client.attempts),
      String(client.attempts),
      String(source.windowMs / source.attempts),
      String(source.attempts),
    ];
  }
}

/**
 * The source a failure counts against: an IPv4 address as such (also when it arrives IPv4-mapped,
 * `::ffff:203.0.113.9`), an IPv6 address by its /64 (one subscriber's network: counting single
 * addresses there would let one host walk through 2^64 of them).
 */
export function sourceOf(address: string | undefined): string {
  const ip = (address ?? '').split('%')[0].toLowerCase();
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return mapped[1];
  return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`;
}

/** The 8 groups of a valid IPv6 address, as lower-case hex without leading zeros. */
function ipv6Groups(ip: string): string[] {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...fill, ...tailGroups].map((g) => parseInt(g, 16).toString(16));
}
