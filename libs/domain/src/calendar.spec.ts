import { localDateOf, startOfLocalDate, zoneOffsetMs } from './calendar.js';

/** What Intl says, without the per-hour offsets calendar.ts keeps. */
const formats = new Map<string, Intl.DateTimeFormat>();
function intlLocal(ms: number, timeZone: string): { date: string; offset: number } {
  const f =
    formats.get(timeZone) ??
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  formats.set(timeZone, f);
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, offset: wall - Math.floor(ms / 1000) * 1000 };
}

describe('calendar (local dates and offsets)', () => {
  // Zones with DST, half- and quarter-hour offsets, a half-hour DST (Lord Howe) and a zone that skipped a day (Apia, 2011).
  const zones = [
    'Europe/London',
    'Europe/Berlin',
    'Asia/Bahrain',
    'America/St_Johns',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Apia',
    'Europe/Amsterdam',
  ];

  it('agrees with Intl at every 7 minutes 13 seconds around clock changes, whatever was asked before', () => {
    const ranges = [
      [Date.UTC(2024, 2, 30), Date.UTC(2024, 3, 2)],
      [Date.UTC(2024, 9, 26), Date.UTC(2024, 9, 29)],
      [Date.UTC(2024, 3, 5), Date.UTC(2024, 3, 8)],
      [Date.UTC(2011, 11, 28), Date.UTC(2012, 0, 2)],
      [Date.UTC(1937, 5, 29), Date.UTC(1937, 6, 3)],
    ];
    const mismatches: unknown[] = [];
    for (const timeZone of zones)
      for (const [from, to] of ranges)
        for (let ms = from; ms < to; ms += 433_000 + 17) {
          const expected = intlLocal(ms, timeZone);
          const got = { date: localDateOf(ms, timeZone), offset: zoneOffsetMs(ms, timeZone) };
          if (got.date !== expected.date || got.offset !== expected.offset)
            mismatches.push({ timeZone, ms, got, expected });
        }
    expect(mismatches).toEqual([]);
  });

  it('keeps dates far from today right (Intl only)', () => {
    expect(localDateOf(Date.UTC(1850, 0, 1, 12), 'Europe/London')).toBe('1850-01-01');
    expect(localDateOf(Date.UTC(2300, 5, 1, 23, 30), 'Asia/Bahrain')).toBe('2300-06-02');
  });

  it('finds local midnight across a clock change', () => {
    expect(startOfLocalDate('2024-03-31', 'Europe/Berlin').toISOString()).toBe('2024-03-30T23:00:00.000Z');
    expect(startOfLocalDate('2024-04-01', 'Europe/Berlin').toISOString()).toBe('2024-03-31T22:00:00.000Z');
  });
});
