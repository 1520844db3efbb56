import { Inject, Injectable } from '@nestjs/common';
import { REDIS, REDIS_SETTINGS } from '../redis.module.js';
import { taggedKey, type RedisClient, type RedisSettings } from '../redis-client.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** A little over a day: the dashboard reads at most the last 24 hours minute by minute. */
export const MINUTE_SERIES_RETENTION_SECONDS = 26 * 3600;

/** Named integer figures of one minute, e.g. `{ requests: 120, serverErrors: 1 }`. */
export type MinuteValues = Record<string, number>;

/** The start of the minute `at` falls in, as minutes since the epoch. */
export const epochMinute = (at: Date | number): number => Math.floor(Number(at) / MINUTE_MS);

/**
 * Per-minute figures shared by every instance of an app, in Redis: one hash per series and hour (fields
 * `<epoch minute>:<name>`), expiring MINUTE_SERIES_RETENTION_SECONDS after its last write. Counters add
 * up across instances (HINCRBY); samples of a shared state (queue depths) are set, last writer wins.
 * Reading N minutes is one pipeline of ⌈N/60⌉+1 HGETALLs whatever the traffic, and nothing outlives the
 * retention. Every key carries the `{ops-series}` hash tag: one Redis Cluster slot, so MULTI and
 * pipelines work there too.
 */
@Injectable()
export class MinuteSeriesRepository {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(REDIS_SETTINGS) private readonly settings: RedisSettings,
  ) {}

  /** Adds the increments to the minute `at` falls in. */
  async add(series: string, at: Date, increments: MinuteValues): Promise<void> {
    const entries = Object.entries(increments).filter(([, n]) => Number.isInteger(n) && n !== 0);
    if (entries.length === 0) return;
    const key = this.key(series, at.getTime());
    const minute = epochMinute(at);
    const tx = this.redis.multi();
    for (const [name, n] of entries) tx.hincrby(key, `${minute}:${name}`, n);
    tx.expire(key, MINUTE_SERIES_RETENTION_SECONDS);
    check(await tx.exec());
  }

  /** Sets the values of the minute `at` falls in (a sample of a state every instance sees alike). */
  async set(series: string, at: Date, values: MinuteValues): Promise<void> {
    const entries = Object.entries(values).filter(([, n]) => Number.isInteger(n));
    if (entries.length === 0) return;
    const key = this.key(series, at.getTime());
    const minute = epochMinute(at);
    const fields: Record<string, string> = {};
    for (const [name, n] of entries) fields[`${minute}:${name}`] = String(n);
    check(await this.redis.multi().hset(key, fields).expire(key, MINUTE_SERIES_RETENTION_SECONDS).exec());
  }

  /** True for exactly one caller per series and minute: whoever samples a shared state for that minute. */
  async claim(series: string, at: Date): Promise<boolean> {
    const key = taggedKey(this.settings.prefix, 'ops-series', series, 'claim', String(epochMinute(at)));
    return (await this.redis.set(key, '1', 'EX', 120, 'NX')) === 'OK';
  }

  /** The `minutes` minutes from the one `from` falls in, by epoch minute; minutes without data are absent. */
  async read(series: string, from: Date, minutes: number): Promise<Map<number, MinuteValues>> {
    const first = epochMinute(from);
    const last = first + minutes - 1;
    const hours: number[] = [];
    for (let h = Math.floor((first * MINUTE_MS) / HOUR_MS); h <= Math.floor((last * MINUTE_MS) / HOUR_MS); h++)
      hours.push(h);
    const pipeline = this.redis.pipeline();
    for (const h of hours) pipeline.hgetall(this.key(series, h * HOUR_MS));
    const results = (await pipeline.exec()) ?? [];
    const out = new Map<number, MinuteValues>();
    for (const [error, hash] of results) {
      if (error) throw error;
      for (const [field, value] of Object.entries((hash ?? {}) as Record<string, string>)) {
        const colon = field.indexOf(':');
        const minute = Number(field.slice(0, colon));
        if (colon < 0 || !Number.isInteger(minute) || minute < first || minute > last) continue;
        const values = out.get(minute) ?? {};
        values[field.slice(colon + 1)] = Number(value);
        out.set(minute, values);
      }
    }
    return out;
  }

  private key(series: string, atMs: number): string {
    return taggedKey(this.settings.prefix, 'ops-series', series, String(Math.floor(atMs / HOUR_MS)));
  }
}

function check(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('Redis discarded the transaction');
  for (const [error] of results) if (error) throw error;
}
