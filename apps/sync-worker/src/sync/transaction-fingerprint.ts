import { hash } from 'node:crypto';
import type { StoredFingerprint } from '@ais/db';

/**
 * An account's transactions as the bank listed them for one window, summed up per booking day, so
 * that the next sync can tell without reading a row that what the bank says now is what is stored.
 *
 * A day's digest covers the content hash of each of its items (every field the sync stores, see
 * `transactionHash`), or each item's identity and the connector's digest of its JSON text, in the
 * bank's order. After an account batch has compared its rows and written the
 * difference (window W, the bank's items I), the store holds every item of I unchanged and not
 * removed, and no other live row booked in W; the fingerprint records W and I's days. As long as no
 * later batch wrote (every batch that writes replaces the fingerprint, under the consent's lock),
 * a new answer I' for a window W' needs no write when:
 *  1. every day I' has items on has the same digest as stored (those items are stored, unchanged);
 *  2. every day of W' ∩ W that I' has no item on had none stored either (nothing there to remove);
 *  3. on the days of W' outside W, the live rows are exactly I''s items there: counted, since the
 *     items are stored by 1, an equal count leaves no other row to remove.
 * Then the diff would find nothing: no row to add, modify or remove, so no pending row to replace.
 */

/** A booking day's items: how many, and their digest (16 bytes). */
export interface DayDigest {
  items: number;
  digest: Buffer;
}

/** By day number (days since 1970-01-01). */
export type DayDigests = Map<number, DayDigest>;

export interface DateRange {
  /** YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const DIGEST_BYTES = 16;
const ENTRY_BYTES = 4 + DIGEST_BYTES;
/**
 * What a day's digest covers, in its first line: a fingerprint made of other items never matches.
 * HASHED: the items' content hashes (`transactionHash`, made by the worker from each item).
 * DIGESTED: each item's identity and the connector's digest of its JSON text (`draftDigest`), which
 * cover the same fields. A window compared by one kind after being stored by the other is read and
 * diffed once (nothing to write but the new fingerprint).
 */
const HASHED = 'transactions-by-day/1';
const DIGESTED = 'transactions-by-day/2';

export const dayNumber = (date: string): number =>
  Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
export const dayDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The items' days and digests; `hashes[i]` is the content hash of `items[i]`. */
export function dayDigests(items: readonly { bookingDate: string }[], hashes: readonly string[]): DayDigests {
  return byDay(HASHED, items, hashes);
}

/** The items' days and digests from their identities and `digests[i]`, the connector's `draftDigest` of `items[i]`. */
export function dayDigestsOfDrafts(
  items: readonly { bookingDate: string; identityKey: string }[],
  digests: readonly string[],
): DayDigests {
  return byDay(
    DIGESTED,
    items,
    items.map((t, i) => `${t.identityKey} ${digests[i]}`),
  );
}

function byDay(version: string, items: readonly { bookingDate: string }[], parts: readonly string[]): DayDigests {
  const days = new Map<number, string[]>();
  for (const [i, t] of items.entries()) {
    const day = dayNumber(t.bookingDate);
    const list = days.get(day);
    if (list) list.push(parts[i]);
    else days.set(day, [parts[i]]);
  }
  const out: DayDigests = new Map();
  for (const [day, list] of days)
    out.set(day, {
      items: list.length,
      digest: hash('sha256', `${version}\n${list.join('\n')}`, 'buffer').subarray(0, DIGEST_BYTES),
    });
  return out;
}

/** The days as stored (transaction_fingerprints.days): sorted by day, day number then digest. */
export function encodeDays(days: DayDigests): Buffer {
  const sorted = [...days.keys()].sort((a, b) => a - b);
  const out = Buffer.alloc(sorted.length * ENTRY_BYTES);
  for (const [i, day] of sorted.entries()) {
    out.writeInt32BE(day, i * ENTRY_BYTES);
    days.get(day)!.digest.copy(out, i * ENTRY_BYTES + 4);
  }
  return out;
}

/** transaction_fingerprints.days as stored (see `encodeDays`): each day's digest by day number, in day order. */
export function decodeDays(bytes: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let at = 0; at + ENTRY_BYTES <= bytes.length; at += ENTRY_BYTES)
    out.set(bytes.readInt32BE(at), bytes.subarray(at + 4, at + ENTRY_BYTES));
  return out;
}

/**
 * Whether the bank's answer `days` for `window` may be taken as already stored (see the top of this
 * file): null when it may not; otherwise the ranges of `window` the fingerprint does not cover, whose
 * live rows must number `expected` (none to count: unchanged).
 */
export function unchangedSince(
  stored: StoredFingerprint | null,
  window: DateRange,
  days: DayDigests,
): { outside: DateRange[]; expected: number } | null {
  const storedDays = stored ? decodeDays(stored.days) : new Map<number, Buffer>();
  // 1. Every day with items digests as stored.
  for (const [day, { digest }] of days) if (!storedDays.get(day)?.equals(digest)) return null;
  const from = dayNumber(window.from);
  const to = dayNumber(window.to);
  const storedFrom = stored ? dayNumber(stored.windowFrom) : Infinity;
  const storedTo = stored ? dayNumber(stored.windowTo) : -Infinity;
  // 2. No day of both windows lost its items.
  for (const day of storedDays.keys())
    if (day >= Math.max(from, storedFrom) && day <= Math.min(to, storedTo) && !days.has(day)) return null;
  // 3. The days of the window the fingerprint did not compare.
  const outside: [number, number][] = [];
  if (storedFrom > storedTo || storedTo < from || storedFrom > to) outside.push([from, to]);
  else {
    if (from < storedFrom) outside.push([from, storedFrom - 1]);
    if (to > storedTo) outside.push([storedTo + 1, to]);
  }
  let expected = 0;
  for (const [day, { items }] of days) if (outside.some(([a, b]) => day >= a && day <= b)) expected += items;
  return { outside: outside.map(([a, b]) => ({ from: dayDate(a), to: dayDate(b) })), expected };
}
