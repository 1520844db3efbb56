import { DAY_MS, localDayNumber, localInstant } from './time.js';

export interface AccessCounter {
  consentId: string;
  accountId: string;
  resource: string;
  unattended: number;
  psuPresent: number;
  rejected429: number;
  /** Bank-clock instants of the unattended calls that were served. */
  unattendedAt: number[];
}

export type AccessDecision = { allowed: true } | { allowed: false; retryAtBankMs: number };

/** The scope used for calls that are not about one account (account lists, bulk endpoints). */
export const CONSENT_SCOPE = '*';

/**
 * Counts calls per consent × account × resource and enforces the unattended-access limit: either a
 * rolling 24 h window (OBIE banks, PSD2 RTS art. 36(5)) or the bank's calendar day (Berlin Group
 * frequencyPerDay). PSU-present calls are counted apart and never limited.
 */
export class AccessLimiter {
  private readonly counters = new Map<string, AccessCounter>();
  /** Called after every counted call and reset (the store persists the counters). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly mode: 'rolling24h' | 'calendarDay',
    private readonly timeZone: string,
  ) {}

  private counter(consentId: string, accountId: string, resource: string): AccessCounter {
    const key = `${consentId}|${accountId}|${resource}`;
    let c = this.counters.get(key);
    if (!c) {
      c = { consentId, accountId, resource, unattended: 0, psuPresent: 0, rejected429: 0, unattendedAt: [] };
      this.counters.set(key, c);
    }
    return c;
  }

  record(
    consentId: string,
    accountId: string,
    resource: string,
    psuPresent: boolean,
    limit: number,
    nowMs: number,
  ): AccessDecision {
    const c = this.counter(consentId, accountId, resource);
    this.onChange();
    if (psuPresent) {
      c.psuPresent++;
      return { allowed: true };
    }
    const inWindow = this.inWindow(c, nowMs);
    if (inWindow.length >= limit) {
      c.rejected429++;
      const retryAtBankMs =
        this.mode === 'rolling24h'
          ? inWindow[inWindow.length - limit] + DAY_MS
          : localInstant(localDayNumber(nowMs, this.timeZone) + 1, 0, this.timeZone);
      return { allowed: false, retryAtBankMs };
    }
    c.unattended++;
    c.unattendedAt.push(nowMs);
    return { allowed: true };
  }

  private inWindow(c: AccessCounter, nowMs: number): number[] {
    if (this.mode === 'rolling24h') return c.unattendedAt.filter((t) => t > nowMs - DAY_MS && t <= nowMs);
    const today = localDayNumber(nowMs, this.timeZone);
    return c.unattendedAt.filter((t) => localDayNumber(t, this.timeZone) === today && t <= nowMs);
  }

  list(consentId?: string, nowMs?: number): (Omit<AccessCounter, 'unattendedAt'> & { unattendedInWindow: number })[] {
    return [...this.counters.values()]
      .filter((c) => !consentId || c.consentId === consentId)
      .map(({ unattendedAt: _u, ...rest }) => ({
        ...rest,
        unattendedInWindow: nowMs === undefined ? 0 : this.inWindow({ ...rest, unattendedAt: _u }, nowMs).length,
      }));
  }

  reset(): void {
    this.counters.clear();
    this.onChange();
  }

  snapshot(): AccessCounter[] {
    return [...this.counters.values()].map((c) => ({ ...c, unattendedAt: [...c.unattendedAt] }));
  }

  restore(counters: AccessCounter[]): void {
    this.counters.clear();
    for (const c of counters)
      this.counters.set(`${c.consentId}|${c.accountId}|${c.resource}`, { ...c, unattendedAt: [...c.unattendedAt] });
  }
}
