import { createHash } from 'node:crypto';
import { addDays, localDateOf, startOfLocalDate, type AccessWindow, type ProviderCapabilities } from '@ais/domain';

const DAY_MS = 86_400_000;

export interface WindowInput {
  now: Date;
  capabilities: Pick<
    ProviderCapabilities,
    'timeZone' | 'maxHistoryDays' | 'transactionHistoryLimitDays' | 'firstAccessWindowMinutes' | 'syncLookBackDays'
  >;
  /** YYYY-MM-DD: the consent's first date of transactions, when it has one. */
  transactionsFrom: string | null;
  authorisedAt: Date | null;
  /** null until a sync has succeeded: the next sync reads the full history. */
  lastSyncedAt: Date | null;
  /**
   * The whole history is asked for: the first sync after an authorisation (a re-authorisation too) or
   * an explicit full refresh.
   */
  fullRefresh: boolean;
  /**
   * How far back each account the bank lists has its history stored (accounts.backfilled_from; null:
   * not read in full yet). Empty when transactions are not read.
   */
  backfilledFrom: (string | null)[];
  /** The newest booking date of the consent's booked transactions held (YYYY-MM-DD), if any. */
  newestBooked: string | null;
  /** Booking date of the oldest open pending transaction (YYYY-MM-DD), if any. */
  oldestOpenPending: string | null;
  pendingLookbackDays: number;
}

export interface TransactionWindow {
  /** YYYY-MM-DD, inclusive, in the bank's calendar. */
  from: string;
  to: string;
  /** True when this is the full history the consent allows (first sync, re-authorisation, full refresh). */
  full: boolean;
}

const maxDate = (a: string, b: string) => (a > b ? a : b);
const minDate = (a: string, b: string) => (a < b ? a : b);

/**
 * The date window of a sync. The full history the consent allows (its transactionsFrom, the bank's
 * maxHistoryDays, and Berlin Group's 90-day rule unless still inside the first-access minutes after
 * authorisation) is read by the first sync, on a full refresh or after a (re-)authorisation, while an
 * account the bank lists has not had its history read that far back (a full read deferred part-way,
 * an account new to the consent), and when nothing booked is held. Any other sync asks only for what
 * can have changed: from the provider's `syncLookBackDays` before the newest booked date held (late
 * bookings, pending items settling), and back to the oldest open pending transaction (at most
 * `pendingLookbackDays`), so a pending item the bank dropped or booked is seen to go.
 */
export function transactionWindow(input: WindowInput): TransactionWindow {
  const caps = input.capabilities;
  const today = localDateOf(input.now, caps.timeZone);
  let earliest = addDays(today, -caps.maxHistoryDays);
  if (input.transactionsFrom) earliest = maxDate(earliest, input.transactionsFrom);
  const limit = caps.transactionHistoryLimitDays;
  if (limit !== null) {
    const windowMs = (caps.firstAccessWindowMinutes ?? 0) * 60_000;
    const inFirstWindow = input.authorisedAt !== null && input.now.getTime() - input.authorisedAt.getTime() < windowMs;
    if (!inFirstWindow) earliest = maxDate(earliest, addDays(today, -limit));
  }
  const backfilled = input.backfilledFrom.every((d) => d !== null && d <= earliest);
  if (input.lastSyncedAt === null || input.fullRefresh || !backfilled || input.newestBooked === null)
    return { from: minDate(earliest, today), to: today, full: true };
  // A booking dated ahead of the bank's today does not move the window past what can have changed.
  let from = addDays(minDate(input.newestBooked, today), -caps.syncLookBackDays);
  if (input.oldestOpenPending)
    from = minDate(from, maxDate(input.oldestOpenPending, addDays(today, -input.pendingLookbackDays)));
  return { from: minDate(maxDate(from, earliest), today), to: today, full: false };
}

/**
 * The windows of an unattended full read (a first sync, a re-authorisation, a full refresh), read
 * newest first in chunks so that each chunk is one call (a page or a few) and is stored on its own: a
 * budget that runs out part-way keeps what was read, and the next run goes on from the oldest date
 * stored (`resumeFrom`) instead of starting over. The head chunk (the latest days) is always read
 * again, for what arrived meanwhile.
 */
export function backfillWindows(
  window: TransactionWindow,
  resumeFrom: string | null,
  chunkDays: number,
): TransactionWindow[] {
  const head = { from: maxDate(window.from, addDays(window.to, 1 - chunkDays)), to: window.to, full: window.full };
  const out = [head];
  let end = addDays(resumeFrom !== null && resumeFrom < head.from ? resumeFrom : head.from, -1);
  while (end >= window.from) {
    const from = maxDate(window.from, addDays(end, 1 - chunkDays));
    out.push({ from, to: end, full: window.full });
    end = addDays(from, -1);
  }
  return out;
}

export interface ScheduleInput {
  window: AccessWindow;
  frequencyPerDay: number;
  consentId: string;
  /** When the run that just ended ended (its last calls were made before then). */
  after: Date;
  marginMs: number;
  jitterRatio: number;
  /** [0, 1): injected for tests. */
  random: () => number;
}

/** A stable number in [0, 1) for a consent: its place within each slot of the day. */
export function consentPhase(consentId: string): number {
  return createHash('sha256').update(consentId).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * When the consent's next unattended sync is due, spread over the day and never closer than the bank
 * allows. Rolling 24 h (OBIE, PSD2 RTS): one interval of 24 h / frequency after this run's end, plus the
 * safety margin, plus random jitter so consents authorised together drift apart. Calendar day (the
 * Berlin Group sandbox): the bank's day is cut into `frequency` slots and each consent syncs at its
 * own fixed place in each slot (from its id, away from the slot's edges), so it gets all of its daily
 * syncs and consents do not crowd at midnight.
 */
export function nextSyncAt(input: ScheduleInput): Date {
  const interval = DAY_MS / input.frequencyPerDay;
  const after = input.after.getTime();
  switch (input.window.kind) {
    case 'rolling24h':
      return new Date(after + interval + input.marginMs + Math.floor(input.random() * input.jitterRatio * interval));
    case 'calendarDay': {
      const tz = input.window.timeZone;
      const phase = consentPhase(input.consentId);
      const slotTimes = (date: string) => {
        const start = startOfLocalDate(date, tz).getTime();
        const length = (startOfLocalDate(addDays(date, 1), tz).getTime() - start) / input.frequencyPerDay;
        const usable = Math.max(0, length - 2 * input.marginMs);
        return Array.from({ length: input.frequencyPerDay }, (_, k) => ({
          from: start + k * length,
          at: start + k * length + input.marginMs + phase * usable,
        }));
      };
      const today = localDateOf(input.after, tz);
      const slots = [...slotTimes(today), ...slotTimes(addDays(today, 1))];
      // The slot the run ended in is used; the next sync is at the consent's place in a later slot.
      const current = slots.findLastIndex((s) => s.from <= after);
      return new Date(slots[current + 1].at);
    }
  }
}
