/**
 * Calendar dates in a bank's own time zone. A bank's booking date is its local calendar day: an
 * instant like 2016-06-25T21:00:00Z is already 26 June in Manama, and must not be read as 25 June.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  d.setUTCFullYear(Number(m[1]));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Throws for an unknown IANA zone name, so a bad profile fails at load, not at the first booking. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * The local wall-clock parts of an instant. Intl's formatToParts costs microseconds and allocates a
 * dozen objects, and connectors call this for every transaction a bank lists: the zone's offset is
 * kept per UTC hour, checked at both ends of the hour (an hour with a clock change in it is left to
 * Intl), and the parts follow from the instant plus that offset. Instants outside 1900–2199 always go
 * to Intl.
 */
function parts(ms: number, timeZone: string): Parts {
  if (ms < FAST_FROM || ms >= FAST_UNTIL) return intlParts(ms, timeZone);
  const offset = offsetThroughHour(Math.floor(ms / HOUR_MS), timeZone);
  if (offset === null) return intlParts(ms, timeZone);
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
/** Hours kept per zone before the zone's table starts over (a few years of hours). */
const HOURS_KEPT = 50_000;
/** Per zone: UTC hour number → the zone's offset (ms) through that whole hour, or null when it changes within it. */
const hourOffsets = new Map<string, Map<number, number | null>>();

function offsetThroughHour(hour: number, timeZone: string): number | null {
  let zone = hourOffsets.get(timeZone);
  if (!zone) {
    zone = new Map();
    hourOffsets.set(timeZone, zone);
  }
  let offset = zone.get(hour);
  if (offset === undefined) {
    const start = intlOffset(hour * HOUR_MS, timeZone);
    offset = start === intlOffset(hour * HOUR_MS + HOUR_MS - 1000, timeZone) ? start : null;
    if (zone.size >= HOURS_KEPT) zone.clear();
    zone.set(hour, offset);
  }
  return offset;
}

/** The zone's offset at `ms` from Intl, in whole seconds (as ms). Years 1900–2199 only (Date.UTC's two-digit years). */
function intlOffset(ms: number, timeZone: string): number {
  const p = intlParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

function intlParts(ms: number, timeZone: string): Parts {
  const out: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) out[p.type] = p.value;
  const yearOfEra = Number(out.year);
  const year = out.era === 'BC' || out.era === 'B' ? 1 - yearOfEra : yearOfEra;
  return {
    year,
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The local calendar date (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDateOf(instant: Date | number | string, timeZone: string): string {
  const ms =
    typeof instant === 'number' ? instant : typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${String(instant)}`);
  const p = parts(ms, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}`;
}

/** Offset of `timeZone` from UTC at `ms`, in milliseconds. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant local midnight starts on `date` (YYYY-MM-DD) in `timeZone` (DST-safe). */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const m = ISO_DATE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return new Date(guess);
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const m = ISO_DATE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days));
  return d.toISOString().slice(0, 10);
}
