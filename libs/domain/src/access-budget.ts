import type { AccessWindow } from './capabilities.js';
import { addDays, localDateOf, startOfLocalDate } from './calendar.js';

/**
 * The unattended-access budget, computed from the access ledger. A bank counts the calls made without
 * the PSU (no PSU IP sent) per consent, per scope (an account, or '*' for consent-level resources) and
 * per resource, over a rolling 24 hours or the bank's calendar day. PSU-present calls are recorded but
 * never count. Pure: the caller loads the entries (and, to be exact, does so under a lock).
 */
export interface AccessLedgerRecord {
  consentId: string;
  /** The bank's account id, or '*' for consent-level resources (account list, bulk endpoints). */
  scope: string;
  resource: string;
  psuPresent: boolean;
  at: Date | string;
}

export interface AccessScope {
  consentId: string;
  scope: string;
  resource: string;
}

export interface AccessBudget extends AccessScope {
  limit: number;
  used: number;
  remaining: number;
  /**
   * When the next unattended call becomes possible: null when one is possible now (or never, for a
   * limit of 0).
   */
  nextAllowedAt: Date | null;
  /** The start of the window the count covers. */
  windowStart: Date;
}

const DAY_MS = 86_400_000;

export function accessScopeKey(s: AccessScope): string {
  return `${s.consentId}\u0000${s.scope}\u0000${s.resource}`;
}

function ms(at: Date | string): number {
  return typeof at === 'string' ? Date.parse(at) : at.getTime();
}

/** The instant from which calls count towards the window containing `now`. */
export function accessWindowStart(window: AccessWindow, now: Date): Date {
  switch (window.kind) {
    case 'rolling24h':
      return new Date(now.getTime() - DAY_MS);
    case 'calendarDay':
      return startOfLocalDate(localDateOf(now, window.timeZone), window.timeZone);
  }
}

/** Budget of one scope, from that scope's ledger entries (others are ignored). */
export function computeAccessBudget(
  entries: readonly AccessLedgerRecord[],
  scope: AccessScope,
  limit: number,
  window: AccessWindow,
  now: Date,
): AccessBudget {
  const start = accessWindowStart(window, now).getTime();
  const end =
    window.kind === 'calendarDay'
      ? startOfLocalDate(addDays(localDateOf(now, window.timeZone), 1), window.timeZone).getTime()
      : Infinity;
  const counted = entries
    .filter(
      (e) =>
        !e.psuPresent &&
        e.consentId === scope.consentId &&
        e.scope === scope.scope &&
        e.resource === scope.resource &&
        // rolling: a call exactly 24 h ago has dropped out; calendar: midnight belongs to the new day.
        // A call stamped after `now` (another worker's clock runs a little ahead) still counts, or
        // one call too many could be granted; a calendar day ends at the next local midnight.
        (window.kind === 'rolling24h' ? ms(e.at) > start : ms(e.at) >= start && ms(e.at) < end),
    )
    .map((e) => ms(e.at))
    .sort((a, b) => a - b);
  const used = counted.length;
  const remaining = Math.max(0, limit - used);
  let nextAllowedAt: Date | null = null;
  if (remaining === 0) {
    switch (window.kind) {
      case 'rolling24h':
        // One more call is allowed once enough of the oldest counted calls have aged out.
        if (limit > 0) nextAllowedAt = new Date(counted[used - limit] + DAY_MS);
        break;
      case 'calendarDay':
        nextAllowedAt = startOfLocalDate(addDays(localDateOf(now, window.timeZone), 1), window.timeZone);
        break;
    }
  }
  return { ...scope, limit, used, remaining, nextAllowedAt, windowStart: new Date(start) };
}

/** Budgets of every scope present in `entries` (plus `extraScopes`), e.g. for the consent's `budget`. */
export function computeAccessBudgets(
  entries: readonly AccessLedgerRecord[],
  limit: number,
  window: AccessWindow,
  now: Date,
  extraScopes: readonly AccessScope[] = [],
): AccessBudget[] {
  const scopes = new Map<string, AccessScope>();
  for (const s of [...entries, ...extraScopes]) {
    const key = accessScopeKey(s);
    if (!scopes.has(key)) scopes.set(key, { consentId: s.consentId, scope: s.scope, resource: s.resource });
  }
  return [...scopes.values()]
    .map((s) => computeAccessBudget(entries, s, limit, window, now))
    .sort((a, b) => accessScopeKey(a).localeCompare(accessScopeKey(b)));
}
