import { HISTORY_WINDOWS, MINUTE_WINDOWS, bucketIndex, bucketRange, bucketStarts } from './timeseries-window.js';

describe('time-series windows', () => {
  const now = new Date('2026-12-05T13:21:07.118Z');

  it('cuts the last 24 hours into 24 hourly buckets, the last one holding now', () => {
    const range = bucketRange(HISTORY_WINDOWS['24h'], now);
    expect(range).toEqual({
      from: new Date('2026-12-04T14:00:00.000Z'),
      to: new Date('2026-12-05T14:00:00.000Z'),
      bucketSeconds: 3600,
    });
    const starts = bucketStarts(range);
    expect(starts).toHaveLength(24);
    expect(starts[0]).toBe('2026-12-04T14:00:00.000Z');
    expect(starts[23]).toBe('2026-12-05T13:00:00.000Z');
    expect(bucketIndex(range, now)).toBe(23);
  });

  it('cuts 7 days into 28 buckets of 6 hours aligned on 00, 06, 12 and 18 UTC', () => {
    const range = bucketRange(HISTORY_WINDOWS['7d'], now);
    expect(range.from.toISOString()).toBe('2026-11-28T18:00:00.000Z');
    expect(range.to.toISOString()).toBe('2026-12-05T18:00:00.000Z');
    expect(bucketStarts(range)).toHaveLength(28);
    expect(bucketIndex(range, new Date('2026-11-28T23:59:59.999Z'))).toBe(0);
    expect(bucketIndex(range, new Date('2026-11-29T00:00:00.000Z'))).toBe(1);
  });

  it('places instants on bucket boundaries in the bucket they start, and refuses instants outside', () => {
    const range = bucketRange(MINUTE_WINDOWS['1h'], now);
    expect(bucketStarts(range)).toHaveLength(60);
    expect(range.to.toISOString()).toBe('2026-12-05T13:22:00.000Z');
    expect(bucketIndex(range, new Date('2026-12-05T12:22:00.000Z'))).toBe(0);
    expect(bucketIndex(range, new Date('2026-12-05T12:21:59.999Z'))).toBe(-1);
    expect(bucketIndex(range, range.to)).toBe(-1);
    expect(bucketRange(MINUTE_WINDOWS['24h'], now)).toMatchObject({ bucketSeconds: 60 });
    expect(bucketStarts(bucketRange(MINUTE_WINDOWS['24h'], now))).toHaveLength(1440);
  });

  it('cuts the same buckets at any moment inside a bucket (every instance, every refresh)', () => {
    const a = bucketRange(HISTORY_WINDOWS['24h'], new Date('2026-12-05T13:00:00.000Z'));
    const b = bucketRange(HISTORY_WINDOWS['24h'], new Date('2026-12-05T13:59:59.999Z'));
    expect(a).toEqual(b);
  });
});
