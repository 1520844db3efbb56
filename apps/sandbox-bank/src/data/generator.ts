import { Decimal, roundTo } from '../core/money.js';
import { Rng, stableId } from '../core/random.js';
import { dayOfWeek, localDayNumber, localInstant, monthDay } from '../core/time.js';
import { FX_TO, SCALE, type Merchant } from './catalog.js';
import type { AccountKind, BankProfile, CounterpartyAccount, MinuteOfDay } from './banks.js';
import { maskPan, withLuhn } from './identifiers.js';
import type { Account, Recurring, Txn, TxnKind } from './model.js';

const PRODUCT: Record<AccountKind, string> = {
  current: 'Current Account',
  savings: 'Instant Saver',
  credit_card: 'Credit Card',
  business: 'Business Current Account',
};

function money(rng: Rng, min: number, max: number, currency: string): Decimal {
  const scale = SCALE[currency] ?? 1;
  const raw = new Decimal(min + rng.next() * (max - min)).times(scale);
  return roundTo(raw, currency);
}

/** A fixed amount (decimal string, GBP-equivalent) in `currency`, at its minor units. */
function fixed(amount: string, currency: string): Decimal {
  return roundTo(new Decimal(amount).times(SCALE[currency] ?? 1), currency);
}

/** A minute of day: drawn from the range, or the fixed minute (drawing nothing). */
function minuteOf(rng: Rng, minute: MinuteOfDay): number {
  return 'at' in minute ? minute.at : rng.int(minute.min, minute.max);
}

function weighted<T extends { weight: number }>(rng: Rng, items: readonly T[]): T {
  const total = items.reduce((s, i) => s + i.weight, 0);
  let r = rng.next() * total;
  for (const item of items) {
    r -= item.weight;
    if (r < 0) return item;
  }
  return items[items.length - 1];
}

/** Builds the accounts of every PSU of a bank: ids, identifiers, balances and recurring payments. */
export function buildAccounts(profile: BankProfile, seed: string, epochDay: number): Account[] {
  const accounts: Account[] = [];
  for (const psu of profile.psus) {
    const partyId = stableId(9, seed, profile.id, psu.username, 'party');
    const psuAccounts: Account[] = [];
    psu.accounts.forEach((spec, index) => {
      const rng = new Rng(seed, profile.id, psu.username, index, 'account');
      const currency = profile.currency;
      const account: Account = {
        bank: profile.id,
        id: profile.accountId(rng),
        psu: psu.username,
        ownerName: spec.kind === 'business' ? spec.nickname : psu.name,
        partyId,
        index,
        kind: spec.kind,
        currency,
        nickname: spec.nickname,
        product: PRODUCT[spec.kind],
        openedDay: epochDay,
        openingBalance: openingBalance(rng, spec.kind, currency),
        recurring: [],
        identifiers: [],
        wireQuirks: psu.wireQuirks === true,
      };
      if (spec.kind === 'credit_card') {
        account.pan = withLuhn(`${profile.cardBin}${rng.digits(9)}`);
        account.maskedPan = maskPan(account.pan);
        account.creditLimit = fixed(rng.pick(['3000', '5000', '7500']), currency);
      } else {
        Object.assign(account, profile.accountNumbers(rng));
      }
      account.identifiers = profile.identifiers(account);
      psuAccounts.push(account);
    });
    for (const account of psuAccounts) account.recurring = recurringOf(profile, seed, account, psuAccounts, epochDay);
    accounts.push(...psuAccounts);
  }
  return accounts;
}

function openingBalance(rng: Rng, kind: AccountKind, currency: string): Decimal {
  switch (kind) {
    case 'current':
      return money(rng, 1500, 4000, currency);
    case 'savings':
      return money(rng, 5000, 20000, currency);
    case 'credit_card':
      return money(rng, -800, -200, currency);
    case 'business':
      return money(rng, 12000, 30000, currency);
  }
}

function recurringOf(
  profile: BankProfile,
  seed: string,
  a: Account,
  siblings: Account[],
  epochDay: number,
): Recurring[] {
  const rng = new Rng(seed, profile.id, a.id, 'recurring');
  const m = profile.market;
  const c = a.currency;
  const out: Recurring[] = [];
  const add = (r: Omit<Recurring, 'id' | 'startDay'>) =>
    out.push({ ...r, id: stableId(9, seed, a.id, 'rec', out.length), startDay: epochDay - rng.int(30, 900) });
  const savings = siblings.find((s) => s.kind === 'savings');
  if (a.kind === 'current') {
    add({
      kind: 'salary',
      instrument: 'credit_transfer',
      dayOfMonth: 25,
      amount: money(rng, 2900, 4200, c),
      counterparty: rng.pick(m.employers),
      ...cp(profile.counterpartyAccount(rng)),
      reference: 'SALARY',
    });
    add({
      kind: 'rent',
      instrument: 'standing_order',
      dayOfMonth: 1,
      amount: fixed(rng.pick(['950', '1100', '1250']), c).neg(),
      counterparty: rng.pick(m.landlords),
      ...cp(profile.counterpartyAccount(rng)),
      reference: 'RENT',
    });
    for (const biller of m.billers) {
      add({
        kind: 'bill',
        instrument: 'direct_debit',
        dayOfMonth: biller.day,
        amount: fixed(biller.amount, c).neg(),
        counterparty: biller.name,
        reference: `${biller.name.split(' ')[0]} ${rng.digits(6)}`,
        mandateId: `DD${rng.digits(10)}`,
      });
    }
    if (savings) {
      add({
        kind: 'savings_out',
        instrument: 'standing_order',
        dayOfMonth: 26,
        amount: fixed('200', c).neg(),
        counterparty: `${a.ownerName} SAVINGS`,
        ...cp(savings.iban ? { iban: savings.iban } : { sortCodeAccountNumber: savings.sortCodeAccountNumber }),
        reference: 'MONTHLY SAVINGS',
      });
    }
  } else if (a.kind === 'savings') {
    add({
      kind: 'savings_in',
      instrument: 'credit_transfer',
      dayOfMonth: 26,
      amount: fixed('200', c),
      counterparty: a.ownerName,
      reference: 'MONTHLY SAVINGS',
    });
    add({
      kind: 'interest',
      instrument: 'interest',
      dayOfMonth: 1,
      amount: null,
      counterparty: profile.name,
      reference: 'INTEREST',
    });
  } else if (a.kind === 'credit_card') {
    add({
      kind: 'card_repayment',
      instrument: 'direct_debit',
      dayOfMonth: 20,
      amount: null,
      counterparty: 'PAYMENT RECEIVED - THANK YOU',
      reference: 'CARD PAYMENT',
      mandateId: `CC${rng.digits(10)}`,
    });
  } else {
    add({
      kind: 'supplier',
      instrument: 'standing_order',
      dayOfMonth: 28,
      amount: fixed('3400', c).neg(),
      counterparty: a.ownerName.toUpperCase().slice(0, 30) + ' DRAWINGS',
      ...cp(profile.counterpartyAccount(rng)),
      reference: 'DIRECTOR DRAWINGS',
    });
    for (const supplier of m.suppliers) {
      add({
        kind: 'supplier',
        instrument: 'direct_debit',
        dayOfMonth: rng.int(2, 27),
        amount: money(rng, 60, 420, c).neg(),
        counterparty: supplier,
        ...cp(profile.counterpartyAccount(rng)),
        reference: `INV ${rng.digits(6)}`,
        mandateId: `DD${rng.digits(10)}`,
      });
    }
  }
  return out;
}

function cp(acc: CounterpartyAccount): { counterpartyIban?: string; counterpartySortCodeAccount?: string } {
  return { counterpartyIban: acc.iban, counterpartySortCodeAccount: acc.sortCodeAccountNumber };
}

/** Card-spend intensity per account kind (payments per day). */
const CARD_RATE: Record<AccountKind, number> = { current: 1.5, savings: 0, credit_card: 1.5, business: 0.6 };

/**
 * Generates the transactions that originate on one local day of one account. Pure: depends only on
 * (seed, bank, account, day), so any day can be generated in any order and always comes out the same.
 */
export class DayGenerator {
  constructor(
    private readonly profile: BankProfile,
    private readonly seed: string,
  ) {}

  cardEvents(a: Account, day: number): Txn[] {
    const rng = new Rng(this.seed, this.profile.id, a.id, day, 'card');
    const out: Txn[] = [];
    const count = rng.poisson(CARD_RATE[a.kind]);
    const market = this.profile.market;
    for (let i = 0; i < count; i++) {
      const foreign = rng.chance(0.08) ? rng.pick(market.foreign) : null;
      const merchant: Merchant = foreign ?? weighted(rng, market.merchants);
      const originMs = localInstant(day, minuteOf(rng, this.profile.cardMinute), this.profile.timeZone);
      let amount: Decimal;
      let fx: Txn['fx'];
      if (foreign) {
        const instructed = roundTo(
          new Decimal(merchant.min + rng.next() * (merchant.max - merchant.min)),
          foreign.currency === 'BHD' ? 'BHD' : 'EUR',
        );
        const base = FX_TO[a.currency]?.[foreign.currency] ?? 1;
        const rate = new Decimal(base).times(1 + 0.02 * Math.sin(day / 29)).toDecimalPlaces(6);
        amount = roundTo(instructed.times(rate), a.currency).neg();
        fx = { currency: foreign.currency, instructedAmount: instructed, rate };
      } else {
        amount = money(rng, merchant.min, merchant.max, a.currency).neg();
      }
      out.push(this.cardTxn(a, day, out.length, rng, 'card', originMs, amount, merchant, fx));
      if (rng.chance(this.profile.duplicateRate)) {
        // A genuinely identical second payment: same merchant, amount and time (two coffees).
        const twin = this.cardTxn(a, day, out.length, rng, 'card', originMs, amount, merchant, fx);
        const first = out[out.length - 1];
        out.push({
          ...twin,
          bookingMs: first.bookingMs,
          bookingDay: first.bookingDay,
          reference: first.reference === null ? null : twin.reference,
        });
      }
    }
    if (count > 0 && rng.chance(0.03)) {
      const merchant = weighted(rng, market.merchants);
      const originMs = localInstant(day, rng.int(600, 1200), this.profile.timeZone);
      out.push(
        this.cardTxn(
          a,
          day,
          out.length,
          rng,
          'card_refund',
          originMs,
          money(rng, merchant.min, merchant.max, a.currency),
          merchant,
        ),
      );
    }
    return out;
  }

  private cardTxn(
    a: Account,
    day: number,
    n: number,
    rng: Rng,
    kind: TxnKind,
    originMs: number,
    amount: Decimal,
    merchant: Merchant,
    fx?: Txn['fx'],
  ): Txn {
    const tz = this.profile.timeZone;
    const originDay = localDayNumber(originMs, tz);
    const lag = rng.int(1, 3);
    const bookingDay = originDay + lag;
    const bookingMs = localInstant(bookingDay, minuteOf(rng, this.profile.bookingMinute), tz);
    const key = `${a.id}:${day}:c${n}`;
    const linked = rng.chance(this.profile.pendingLinkRate);
    return {
      key,
      accountId: a.id,
      kind,
      originMs,
      originDay,
      bookingMs,
      bookingDay,
      amount,
      currency: a.currency,
      bookedId: this.bankId(rng, key, 'b'),
      pendingId: this.profile.pendingIds ? stableId(12, this.seed, key, 'p') : null,
      reference: linked ? `CRD${stableId(9, this.seed, key, 'ref').replace(/[-_]/g, '0').toUpperCase()}` : null,
      description: kind === 'card_refund' ? `REFUND ${merchant.name}` : merchant.name,
      merchant: { name: merchant.name, mcc: merchant.mcc },
      fx,
      // Seed 003: a booked foreign-currency card purchase dated 0001-01-02T21:00:00.000+0000.
      ...(fx && a.wireQuirks ? { wireQuirk: 'placeholderBookingDate' as const } : {}),
    };
  }

  private bankId(rng: Rng, key: string, suffix: string): string | null {
    if (rng.chance(this.profile.missingIdRate)) return null;
    return stableId(12, this.seed, key, suffix);
  }

  /** Recurring entries (salary, rent, DDs, interest, repayments) on a day; `cardSpend` answers last month's card total. */
  recurringEvents(
    a: Account,
    day: number,
    cardSpend: (year: number, month: number) => Decimal,
    balanceBefore: () => Decimal,
  ): Txn[] {
    const out: Txn[] = [];
    const { year, month, day: dom, daysInMonth } = monthDay(day);
    const dow = dayOfWeek(day);
    const tz = this.profile.timeZone;
    for (const r of a.recurring) {
      if (day < r.startDay) continue;
      let due = Math.min(r.dayOfMonth, daysInMonth) === dom;
      if (r.kind === 'salary') {
        // Paid on the last working day on or before the 25th.
        const target = Math.min(25, daysInMonth);
        const targetDow = dayOfWeek(day - dom + target);
        const shift = targetDow === 6 ? 1 : targetDow === 0 ? 2 : 0;
        due = dom === target - shift && dow !== 0 && dow !== 6;
      }
      if (!due) continue;
      const rng = new Rng(this.seed, this.profile.id, a.id, day, r.id);
      let amount: Decimal;
      if (r.kind === 'card_repayment') {
        const prev = month === 1 ? { y: year - 1, m: 12 } : { y: year, m: month - 1 };
        amount = cardSpend(prev.y, prev.m).neg();
        if (amount.lte(0)) continue;
      } else if (r.kind === 'interest') {
        amount = roundTo(balanceBefore().times(0.035).div(12), a.currency);
        if (amount.lte(0)) continue;
      } else {
        amount = r.amount!;
      }
      const at = localInstant(day, minuteOf(rng, this.profile.recurringMinute), tz);
      const key = `${a.id}:${day}:${r.id}`;
      out.push({
        key,
        accountId: a.id,
        kind: r.kind,
        originMs: at,
        originDay: day,
        bookingMs: at,
        bookingDay: day,
        amount,
        currency: a.currency,
        bookedId: this.bankId(rng, key, 'b'),
        pendingId: null,
        reference:
          r.kind === 'interest' ? null : `${r.reference} ${String(month).padStart(2, '0')}/${year}`.slice(0, 35),
        description: r.kind === 'interest' ? 'CREDIT INTEREST' : `${r.counterparty}`,
        counterparty: {
          name: r.counterparty,
          iban: r.counterpartyIban,
          sortCodeAccountNumber: r.counterpartySortCodeAccount,
        },
        mandateId: r.mandateId,
        recurringId: r.id,
        endToEndId:
          r.instrument === 'interest'
            ? undefined
            : `E2E${stableId(9, this.seed, key, 'e2e').replace(/[-_]/g, '0')}`.slice(0, 35),
      });
    }
    if (a.kind === 'business') {
      const rng = new Rng(this.seed, this.profile.id, a.id, day, 'invoice');
      if (dow !== 0 && dow !== 6 && rng.chance(0.12)) {
        const client = rng.pick(this.profile.market.clients);
        const at = localInstant(day, minuteOf(rng, this.profile.invoiceMinute), tz);
        const key = `${a.id}:${day}:inv`;
        const party = this.profile.counterpartyAccount(rng);
        out.push({
          key,
          accountId: a.id,
          kind: 'invoice_in',
          originMs: at,
          originDay: day,
          bookingMs: at,
          bookingDay: day,
          amount: money(rng, 400, 3200, a.currency),
          currency: a.currency,
          bookedId: this.bankId(rng, key, 'b'),
          pendingId: null,
          reference: `INVOICE ${rng.digits(5)}`,
          description: client,
          counterparty: { name: client, ...party },
          endToEndId: `E2E${rng.digits(16)}`,
          // Seed 003: a transfer sent without CreditDebitIndicator (here: money in, so guessing "Debit" is wrong).
          ...(a.wireQuirks ? { wireQuirk: 'noCreditDebitIndicator' as const } : {}),
        });
      }
    }
    return out;
  }
}
