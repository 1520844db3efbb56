import { Decimal, formatAmount } from '../core/money.js';
import { dateToDayNumber, dayNumberToDate, localDayNumber, monthStartBefore } from '../core/time.js';
import { BANKS, type BankId, type BankProfile, type PsuSpec } from './banks.js';
import { DayGenerator, buildAccounts } from './generator.js';
import type { Account, Txn, TxnView } from './model.js';

/** How many days before its booking day a transaction can originate (card lag ≤ 3, plus Al Salam's after-midnight times). */
const MAX_LAG_DAYS = 5;
/** Visible history: the bank shows 24 months back from the first of the current month. */
export const HISTORY_MONTHS = 24;

/**
 * One account's transactions over time, generated lazily day by day and cached. Booked balances are
 * a running sum from the data epoch, so they never depend on which days were looked at first.
 */
export class AccountLedger {
  private readonly generatedDays = new Map<number, Txn[]>();
  private readonly cardDays = new Map<number, Txn[]>();
  private readonly bookedDays = new Map<number, Txn[]>();
  private readonly monthSpend = new Map<string, Decimal>();
  /** cumulative[i]: booked balance at the end of local day epochDay + i. */
  private readonly cumulative: Decimal[] = [];

  constructor(
    readonly account: Account,
    private readonly gen: DayGenerator,
    private readonly epochDay: number,
    private readonly timeZone: string,
  ) {}

  private cards(day: number): Txn[] {
    if (day < this.epochDay) return [];
    let txns = this.cardDays.get(day);
    if (!txns) {
      txns = this.gen.cardEvents(this.account, day);
      this.cardDays.set(day, txns);
    }
    return txns;
  }

  private generated(day: number): Txn[] {
    if (day < this.epochDay) return [];
    let txns = this.generatedDays.get(day);
    if (!txns) {
      const recurring = this.gen.recurringEvents(
        this.account,
        day,
        (y, m) => this.cardSpend(y, m),
        () => this.balanceAtEndOfDay(day - 1),
      );
      txns = [...this.cards(day), ...recurring];
      this.generatedDays.set(day, txns);
    }
    return txns;
  }

  private cardSpend(year: number, month: number): Decimal {
    const key = `${year}-${month}`;
    let sum = this.monthSpend.get(key);
    if (!sum) {
      const first = Math.floor(Date.UTC(year, month - 1, 1) / 86_400_000);
      const last = Math.floor(Date.UTC(year, month, 0) / 86_400_000);
      sum = new Decimal(0);
      for (let d = first - MAX_LAG_DAYS; d <= last; d++) {
        for (const t of this.cards(d)) if (t.bookingDay >= first && t.bookingDay <= last) sum = sum.plus(t.amount);
      }
      this.monthSpend.set(key, sum);
    }
    return sum;
  }

  /** Transactions booking on a local day (whatever the clock: callers filter by bookingMs ≤ now). */
  bookedOn(day: number): Txn[] {
    let txns = this.bookedDays.get(day);
    if (!txns) {
      txns = [];
      for (let d = day - MAX_LAG_DAYS; d <= day; d++)
        for (const t of this.generated(d)) if (t.bookingDay === day) txns.push(t);
      txns.sort((a, b) => a.bookingMs - b.bookingMs || (a.key < b.key ? -1 : 1));
      this.bookedDays.set(day, txns);
    }
    return txns;
  }

  balanceAtEndOfDay(day: number): Decimal {
    if (day < this.epochDay) return this.account.openingBalance;
    for (let d = this.epochDay + this.cumulative.length; d <= day; d++) {
      const prev = d === this.epochDay ? this.account.openingBalance : this.cumulative[d - 1 - this.epochDay];
      const sum = this.bookedOn(d).reduce((s, t) => s.plus(t.amount), new Decimal(0));
      this.cumulative.push(prev.plus(sum));
    }
    return this.cumulative[day - this.epochDay];
  }

  /** Booked balance at an instant. */
  bookedBalance(nowMs: number): Decimal {
    const today = localDayNumber(nowMs, this.timeZone);
    let balance = this.balanceAtEndOfDay(today - 1);
    for (const t of this.bookedOn(today)) if (t.bookingMs <= nowMs) balance = balance.plus(t.amount);
    return balance;
  }

  visibleStartDay(nowMs: number): number {
    return Math.max(this.epochDay, monthStartBefore(localDayNumber(nowMs, this.timeZone), HISTORY_MONTHS));
  }

  /** Booked transactions with bookingMs in [fromMs, toMs] and ≤ now, oldest first. */
  booked(nowMs: number, fromMs = -Infinity, toMs = Infinity): TxnView[] {
    const today = localDayNumber(nowMs, this.timeZone);
    const start = Math.max(
      this.visibleStartDay(nowMs),
      Number.isFinite(fromMs) ? localDayNumber(fromMs, this.timeZone) - 1 : -Infinity,
    );
    const end = Math.min(today, Number.isFinite(toMs) ? localDayNumber(toMs, this.timeZone) + 1 : Infinity);
    const visible = this.visibleStartDay(nowMs);
    const out: TxnView[] = [];
    for (let d = start; d <= end; d++) {
      if (d < visible) continue;
      for (const t of this.bookedOn(d)) {
        if (t.bookingMs <= nowMs && t.bookingMs >= fromMs && t.bookingMs <= toMs) out.push({ ...t, status: 'booked' });
      }
    }
    return out;
  }

  /** Pending transactions at `now` (originated, not yet booked), oldest first. */
  pending(nowMs: number): TxnView[] {
    const today = localDayNumber(nowMs, this.timeZone);
    const visible = this.visibleStartDay(nowMs);
    const out: TxnView[] = [];
    for (let d = today - MAX_LAG_DAYS; d <= today + 1; d++) {
      for (const t of this.generated(d)) {
        if (t.originMs <= nowMs && nowMs < t.bookingMs && t.originDay >= visible) out.push({ ...t, status: 'pending' });
      }
    }
    return out.sort((a, b) => a.originMs - b.originMs || (a.key < b.key ? -1 : 1));
  }

  /** Sum of pending amounts at `now` (signed). */
  pendingSum(nowMs: number): Decimal {
    return this.pending(nowMs).reduce((s, t) => s.plus(t.amount), new Decimal(0));
  }
}

/** Everything deterministic about one bank: PSUs, accounts and their ledgers. */
export class BankData {
  readonly accounts: Account[];
  private readonly ledgers = new Map<string, AccountLedger>();

  constructor(
    readonly profile: BankProfile,
    readonly seed: string,
    readonly epochDay: number,
  ) {
    this.accounts = buildAccounts(profile, seed, epochDay);
    const gen = new DayGenerator(profile, seed);
    for (const a of this.accounts) this.ledgers.set(a.id, new AccountLedger(a, gen, epochDay, profile.timeZone));
  }

  psu(username: string): PsuSpec | undefined {
    return this.profile.psus.find((p) => p.username === username);
  }

  accountsOf(username: string): Account[] {
    return this.accounts.filter((a) => a.psu === username);
  }

  account(id: string): Account | undefined {
    return this.accounts.find((a) => a.id === id);
  }

  ledger(accountId: string): AccountLedger {
    const ledger = this.ledgers.get(accountId);
    if (!ledger) throw new Error(`no ledger for ${accountId}`);
    return ledger;
  }

  /** The test oracle: counts and signed sums of what the API returns per account, from `from` to now. */
  summary(username: string, nowMs: number, from?: string) {
    const fromDay = from ? dateToDayNumber(from) : -Infinity;
    return {
      asOf: new Date(nowMs).toISOString(),
      accounts: this.accountsOf(username).map((a) => {
        const ledger = this.ledger(a.id);
        const booked = ledger.booked(nowMs).filter((t) => t.bookingDay >= fromDay);
        const pending = ledger.pending(nowMs).filter((t) => t.originDay >= fromDay);
        const sum = (ts: TxnView[]) =>
          formatAmount(
            ts.reduce((s, t) => s.plus(t.amount), new Decimal(0)),
            a.currency,
          );
        return {
          accountId: a.id,
          currency: a.currency,
          /** The first booking date the bank still shows: its history window slides with the month. */
          historyFrom: dayNumberToDate(ledger.visibleStartDay(nowMs)),
          identifiers: a.identifiers.map((i) => ({ scheme: i.scheme, identification: i.identification })),
          booked: { count: booked.length, sum: sum(booked) },
          pending: { count: pending.length, sum: sum(pending) },
        };
      }),
    };
  }
}

const cache = new Map<string, BankData>();

/** Bank data is deterministic, so every sandbox instance in a process shares it. */
export function bankData(bank: BankId, seed: string, epochDate: string): BankData {
  const key = `${bank}|${seed}|${epochDate}`;
  let data = cache.get(key);
  if (!data) {
    data = new BankData(BANKS[bank], seed, dateToDayNumber(epochDate));
    cache.set(key, data);
  }
  return data;
}
