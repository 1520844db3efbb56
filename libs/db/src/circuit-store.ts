import { taggedKey, type RedisClient } from './redis-client.js';

export type StoredCircuitState = 'closed' | 'open' | 'half_open';

/** One provider's circuit across every connector-service instance, as operators see it. */
export interface CircuitReading {
  /** open if any instance's breaker is open, half_open if any is probing the bank, else closed. */
  state: StoredCircuitState;
  /** When the reported state began (the earliest instance's), null when closed. */
  since: Date | null;
  /** Open: when the first instance lets a trial call through. */
  halfOpenAt: Date | null;
  /** Instances reporting a breaker that is not closed. */
  instances: number;
}

interface Entry {
  state: 'open' | 'half_open';
  since: string;
  halfOpenAt: string | null;
}

/** A breaker that stayed open this long without a transition belongs to an instance gone for good. */
const KEY_TTL_SECONDS = 24 * 3600;

/**
 * Breaker states in Redis: one hash per provider, one field per connector-service instance that
 * holds a breaker that is not closed (a closed one removes its field). Each instance's breaker lives
 * in its memory, so this is the only place where all of them can be seen at once.
 */
export class CircuitStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(providerId: string): string {
    return taggedKey(this.prefix, 'circuit', providerId);
  }

  async report(
    instance: string,
    t: { providerId: string; state: StoredCircuitState; at: Date; halfOpenAfterMs: number | null },
  ): Promise<void> {
    const key = this.key(t.providerId);
    if (t.state === 'closed') {
      await this.redis.hdel(key, instance);
      return;
    }
    const entry: Entry = {
      state: t.state,
      since: t.at.toISOString(),
      halfOpenAt: t.halfOpenAfterMs === null ? null : new Date(t.at.getTime() + t.halfOpenAfterMs).toISOString(),
    };
    await this.redis.multi().hset(key, instance, JSON.stringify(entry)).expire(key, KEY_TTL_SECONDS).exec();
  }

  async read(providerIds: string[], now = new Date()): Promise<Map<string, CircuitReading>> {
    const out = new Map<string, CircuitReading>();
    if (providerIds.length === 0) return out;
    const pipeline = this.redis.pipeline();
    for (const id of providerIds) pipeline.hgetall(this.key(id));
    const results = (await pipeline.exec()) ?? [];
    providerIds.forEach((id, i) => {
      const [error, hash] = results[i] ?? [null, {}];
      if (error) throw error;
      out.set(id, aggregate(Object.values((hash ?? {}) as Record<string, string>).map(parseEntry), now));
    });
    return out;
  }
}

function parseEntry(text: string): Entry | null {
  try {
    const e = JSON.parse(text) as Entry;
    return e.state === 'open' || e.state === 'half_open' ? e : null;
  } catch {
    return null;
  }
}

/**
 * A breaker that is not closed changes state at its next call (a trial call closes or re-opens it),
 * so an entry with no transition for this long belongs to an instance that is gone, or has had no
 * call to make: it says nothing about the bank any more.
 */
const STALE_MS = 60 * 60_000;

/**
 * An open breaker past its half-open time lets the next call try the bank: shown as half_open, the
 * state it is in as far as any caller can tell. Stale entries (STALE_MS) are left out.
 */
export function aggregate(entries: (Entry | null)[], now: Date): CircuitReading {
  const lastMoved = (e: Entry) =>
    new Date(e.state === 'open' && e.halfOpenAt !== null ? e.halfOpenAt : e.since).getTime();
  const live = entries.filter((e): e is Entry => e !== null && lastMoved(e) + STALE_MS > now.getTime());
  const effective = live.map((e) => ({
    ...e,
    state:
      e.state === 'open' && e.halfOpenAt !== null && new Date(e.halfOpenAt) <= now ? ('half_open' as const) : e.state,
  }));
  const pick = (state: 'open' | 'half_open') => effective.filter((e) => e.state === state);
  const open = pick('open');
  const chosen = open.length > 0 ? open : pick('half_open');
  if (chosen.length === 0) return { state: 'closed', since: null, halfOpenAt: null, instances: 0 };
  const earliest = (xs: (string | null)[]) => {
    const times = xs.filter((x): x is string => x !== null).map((x) => new Date(x).getTime());
    return times.length > 0 ? new Date(Math.min(...times)) : null;
  };
  return {
    state: chosen[0].state,
    since: earliest(chosen.map((e) => e.since)),
    halfOpenAt: chosen[0].state === 'open' ? earliest(chosen.map((e) => e.halfOpenAt)) : null,
    instances: effective.length,
  };
}
