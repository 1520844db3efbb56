import type { BucketRange } from '@ais/db';

/** How a window is cut: so many buckets of so many seconds, the last one holding now. */
export interface WindowSpec {
  buckets: number;
  bucketSeconds: number;
}

/** Sync runs and webhook deliveries (Postgres): the last day by the hour, the last week by six hours. */
export const HISTORY_WINDOWS = {
  '24h': { buckets: 24, bucketSeconds: 3_600 },
  '7d': { buckets: 28, bucketSeconds: 21_600 },
} as const satisfies Record<string, WindowSpec>;
export type HistoryWindow = keyof typeof HISTORY_WINDOWS;

/** API traffic and queue depths (Redis, per minute): the last hour or the last day, minute by minute. */
export const MINUTE_WINDOWS = {
  '1h': { buckets: 60, bucketSeconds: 60 },
  '24h': { buckets: 1_440, bucketSeconds: 60 },
} as const satisfies Record<string, WindowSpec>;
export type MinuteWindow = keyof typeof MINUTE_WINDOWS;

/**
 * The window's buckets up to now: aligned on multiples of the bucket size since the epoch (UTC), so
 * every refresh and every gateway instance cuts the same buckets; the last one is still filling.
 */
export function bucketRange(spec: WindowSpec, now: Date): BucketRange {
  const size = spec.bucketSeconds * 1000;
  const end = Math.floor(now.getTime() / size) * size + size;
  return { from: new Date(end - spec.buckets * size), to: new Date(end), bucketSeconds: spec.bucketSeconds };
}

/** The number of buckets in the range. */
export const bucketCount = (range: BucketRange): number =>
  Math.round((range.to.getTime() - range.from.getTime()) / (range.bucketSeconds * 1000));

/** The start of every bucket, oldest first, as ISO strings. */
export function bucketStarts(range: BucketRange): string[] {
  const size = range.bucketSeconds * 1000;
  return Array.from({ length: bucketCount(range) }, (_, i) => new Date(range.from.getTime() + i * size).toISOString());
}

/** The bucket `at` falls in, or -1 outside the range. */
export function bucketIndex(range: BucketRange, at: Date): number {
  const i = Math.floor((at.getTime() - range.from.getTime()) / (range.bucketSeconds * 1000));
  return i >= 0 && i < bucketCount(range) ? i : -1;
}

/** A zero for every bucket. */
export const zeros = (range: BucketRange): number[] => new Array<number>(bucketCount(range)).fill(0);

/** A null (no value) for every bucket. */
export const nulls = (range: BucketRange): (number | null)[] => new Array<number | null>(bucketCount(range)).fill(null);
