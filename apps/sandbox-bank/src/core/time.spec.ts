import { isoCompactOffset, localDate, localInstant, dateToDayNumber, localDayNumber } from './time.js';

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
});
