import { isoCompactOffset, localDate, localInstant, dateToDayNumber, localDayNumber, zoneOffsetMs } from './time.js';

describe('bank-local calendar', () => {
  it('treats 21:00Z as the next day in Bahrain', () => {
    const t = Date.parse('2016-06-25T21:00:00Z');
    expect(localDate(t, 'Asia/Bahrain')).toBe('2016-06-26');
    expect(localInstant(dateToDayNumber('2016-06-26'), 0, 'Asia/Bahrain')).toBe(t);
    expect(isoCompactOffset(t)).toBe('2016-06-25T21:00:00.000+0000');
  });

  it('follows daylight saving in London', () => {
    expect(new Date(localInstant(dateToDayNumber('2026-07-01'), 9 * 60, 'Europe/London')).toISOString()).toBe(
      '2026-07-01T08:00:00.000Z',
    );
    expect(new Date(localInstant(dateToDayNumber('2026-01-15'), 9 * 60, 'Europe/London')).toISOString()).toBe(
      '2026-01-15T09:00:00.000Z',
    );
    expect(localDayNumber(Date.parse('2026-07-01T23:30:00Z'), 'Europe/London')).toBe(dateToDayNumber('2026-07-02'));
  });

  it('agrees with Intl across the clock changes of the banks’ zones', () => {
    const mismatches: unknown[] = [];
    for (const timeZone of ['Europe/London', 'Europe/Berlin', 'Asia/Bahrain'])
      for (const from of [Date.UTC(2026, 2, 28), Date.UTC(2026, 9, 24)])
        for (let ms = from; ms < from + 3 * 86_400_000; ms += 611_000 + 7) {
          const f = new Intl.DateTimeFormat('en-CA', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
          });
          const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
          const offset =
            Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
          if (zoneOffsetMs(ms, timeZone) !== offset) mismatches.push({ timeZone, ms, offset });
        }
    expect(mismatches).toEqual([]);
  });
});
