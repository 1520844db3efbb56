/**
 * Calendar arithmetic in a bank's own time zone. Days are numbered from 1970-01-01 (local), so a
 * "day" is the bank's calendar day, never a UTC day: Al Salam's 21:00Z is already tomorrow in Manama.
 */
export const DAY_MS = 86_400_000;

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * The wall-clock parts of an instant in the zone. The bank calls this for every transaction it lists,
 * and Intl's formatToParts is slow: the zone's offset is kept per UTC hour (checked at both ends of
 * the hour; an hour with a clock change in it goes to Intl), and the parts follow from instant + offset.
 */
export function localParts(ms: number, timeZone: string): LocalParts {
  if (ms < FAST_FROM || ms >= FAST_UNTIL) return intlLocalParts(ms, timeZone);
  const offset = offsetThroughHour(Math.floor(ms / HOUR_MS), timeZone);
  if (offset === null) return intlLocalParts(ms, timeZone);
  const d = new Date(Math.floor(ms / 1000) * 1000 + offset);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const HOUR_MS = 3_600_000;
const FAST_FROM = Date.UTC(1900, 0, 1);
const FAST_UNTIL = Date.UTC(2200, 0, 1);
/** Per zone: UTC hour number → the zone's offset through that whole hour, or null when it changes within it. */
const hourOffsets = new Map<string, Map<number, number | null>>();

function offsetThroughHour(hour: number, timeZone: string): number | null {
  let zone = hourOffsets.get(timeZone);
  if (!zone) {
    zone = new Map();
    hourOffsets.set(timeZone, zone);
  }
  let offset = zone.get(hour);
  if (offset === undefined) {
    const at = (ms: number) => {
      const p = intlLocalParts(ms, timeZone);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
    };
    const start = at(hour * HOUR_MS);
    offset = start === at(hour * HOUR_MS + HOUR_MS - 1000) ? start : null;
    if (zone.size >= 50_000) zone.clear();
    zone.set(hour, offset);
  }
  return offset;
}

function intlLocalParts(ms: number, timeZone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

/** Offset of the zone from UTC at `ms`, in ms (Europe/London in summer: +3 600 000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Local calendar day number (days since 1970-01-01) of an instant. */
export function localDayNumber(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return Math.floor(Date.UTC(p.year, p.month - 1, p.day) / DAY_MS);
}

/** The instant at which local wall-clock time `minutes` after midnight happens on local day `dayNumber`. */
export function localInstant(dayNumber: number, minutesOfDay: number, timeZone: string): number {
  const wall = dayNumber * DAY_MS + minutesOfDay * 60_000;
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return guess;
}

export function dayNumberToDate(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

export function dateToDayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** Local date (YYYY-MM-DD) of an instant in the zone. */
export function localDate(ms: number, timeZone: string): string {
  return dayNumberToDate(localDayNumber(ms, timeZone));
}

export function dayOfWeek(dayNumber: number): number {
  return new Date(dayNumber * DAY_MS).getUTCDay();
}

export function monthDay(dayNumber: number): { year: number; month: number; day: number; daysInMonth: number } {
  const d = new Date(dayNumber * DAY_MS);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  return { year, month, day: d.getUTCDate(), daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate() };
}

/** First day of the month `months` before the month of `dayNumber`. */
export function monthStartBefore(dayNumber: number, months: number): number {
  const d = new Date(dayNumber * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 1) / DAY_MS);
}

/** ISO instant with an explicit +00:00 offset and no milliseconds: 2026-01-15T09:00:00+00:00. */
export function isoOffset(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

/** Al Salam's wire format: 2019-06-10T08:38:25.064+0000 (no colon in the offset). */
export function isoCompactOffset(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** RFC 7231 HTTP date. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
