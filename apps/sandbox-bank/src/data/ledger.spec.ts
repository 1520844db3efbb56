import fc from 'fast-check';
import { Decimal } from '../core/money.js';
import { dateToDayNumber, localDayNumber } from '../core/time.js';
import { BANKS } from './banks.js';
import { BankData } from './ledger.js';

const EPOCH = dateToDayNumber('2024-01-01');
const NOW = Date.parse('2026-03-10T10:00:00Z');
const fresh = (bank: keyof typeof BANKS, seed = 'unit-seed') => new BankData(BANKS[bank], seed, EPOCH);

describe('generated bank data', () => {
  it('is the same for the same seed, whichever order days are first looked at', () => {
    const a = fresh('allstar');
    const reference = a
      .ledger(a.accounts[0].id)
      .booked(NOW, Date.parse('2026-01-01T00:00:00Z'))
      .map((t) => [t.key, t.amount.toString(), t.bookedId]);
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 10, 40, 200, 500, 700], { minLength: 1 }), (days) => {
        const b = fresh('allstar');
        const ledger = b.ledger(b.accounts[0].id);
        for (const d of days) ledger.bookedOn(EPOCH + d);
        const again = ledger
          .booked(NOW, Date.parse('2026-01-01T00:00:00Z'))
          .map((t) => [t.key, t.amount.toString(), t.bookedId]);
        expect(again).toEqual(reference);
      }),
      { numRuns: 5 },
    );
  });

  it('differs for another seed', () => {
    expect(fresh('allstar', 'other').accounts[0].id).not.toBe(fresh('allstar').accounts[0].id);
  });

  it('books a pending card payment later under a new id', () => {
    const d = fresh('allstar');
    const ledger = d.ledger(d.accounts[0].id);
    const pending = ledger.pending(NOW);
    expect(pending.length).toBeGreaterThan(0);
    const p = pending[0];
    const later = ledger.booked(p.bookingMs + 1).find((t) => t.key === p.key)!;
    expect(later.status).toBe('booked');
    expect(later.bookedId === null || later.bookedId !== p.pendingId).toBe(true);
    expect(p.pendingId).not.toBeNull();
  });

  it('has genuinely identical same-day transactions and some without a bank id', () => {
    const d = fresh('allstar');
    const booked = d.accounts.flatMap((a) => d.ledger(a.id).booked(NOW));
    const seen = new Map<string, number>();
    for (const t of booked) {
      const k = [t.accountId, t.bookingMs, t.originMs, t.amount.toString(), t.description].join('|');
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    expect([...seen.values()].some((n) => n > 1)).toBe(true);
    expect(booked.some((t) => t.bookedId === null)).toBe(true);
    expect(booked.some((t) => t.fx !== undefined)).toBe(true);
    expect(booked.some((t) => t.kind === 'card_refund')).toBe(true);
  });

  it('never gives Al Salam transactions a bank id and books them at local midnight (21:00Z)', () => {
    const d = fresh('alsalam');
    const booked = d.ledger(d.accounts[0].id).booked(NOW, Date.parse('2026-02-01T00:00:00Z'));
    expect(booked.every((t) => t.bookedId === null)).toBe(true);
    expect(booked.every((t) => new Date(t.bookingMs).toISOString().endsWith('T21:00:00.000Z'))).toBe(true);
    for (const t of booked) expect(t.amount.decimalPlaces()).toBeLessThanOrEqual(3);
  });

  it('keeps the booked balance equal to the opening balance plus every booked amount', () => {
    const d = fresh('saltbank');
    const a = d.accounts[0];
    const ledger = d.ledger(a.id);
    const all = ledger.booked(NOW).reduce((s, t) => s.plus(t.amount), new Decimal(0));
    const beforeVisible = ledger.balanceAtEndOfDay(ledger.visibleStartDay(NOW) - 1);
    expect(ledger.bookedBalance(NOW).toString()).toBe(beforeVisible.plus(all).toString());
  });

  it('shows two years of history back from the bank clock', () => {
    const d = fresh('allstar');
    const ledger = d.ledger(d.accounts[0].id);
    const first = ledger.booked(NOW)[0];
    expect(localDayNumber(NOW, 'Europe/London') - first.bookingDay).toBeGreaterThan(700);
    expect(first.bookingDay).toBeGreaterThanOrEqual(ledger.visibleStartDay(NOW));
  });

  it('reports in the summary exactly the counts and signed sums of booked and pending entries', () => {
    const d = fresh('allstar');
    const summary = d.summary('alice', NOW, '2026-02-01');
    const acct = summary.accounts[0];
    const ledger = d.ledger(acct.accountId);
    const booked = ledger.booked(NOW).filter((t) => t.bookingDay >= dateToDayNumber('2026-02-01'));
    expect(acct.booked.count).toBe(booked.length);
    expect(acct.booked.sum).toBe(booked.reduce((s, t) => s.plus(t.amount), new Decimal(0)).toFixed(2));
    expect(acct.pending.count).toBe(ledger.pending(NOW).length);
    expect(summary.asOf).toBe('2026-03-10T10:00:00.000Z');
    expect(acct.identifiers[0].scheme).toBe('UK.OBIE.SortCodeAccountNumber');
  });

  it('lets new transactions arrive as the clock advances', () => {
    const d = fresh('allstar');
    const ledger = d.ledger(d.accounts[0].id);
    expect(ledger.booked(NOW + 5 * 86_400_000).length).toBeGreaterThan(ledger.booked(NOW).length);
  });

  it("gives Al Salam's seed-003 data quirks to layla only: unsigned invoice credits, placeholder-dated FX card purchases", () => {
    const d = fresh('alsalam');
    const from = Date.parse('2025-06-01T00:00:00Z');
    for (const a of d.accounts) {
      const all = d.ledger(a.id).booked(NOW, from);
      const quirky = all.filter((t) => t.wireQuirk !== undefined);
      if (a.psu !== 'layla') {
        expect(quirky).toEqual([]);
        continue;
      }
      expect(a.wireQuirks).toBe(true);
      for (const t of quirky) {
        if (t.wireQuirk === 'noCreditDebitIndicator')
          expect([t.kind, t.amount.isPositive()]).toEqual(['invoice_in', true]);
        else expect([t.kind, t.fx !== undefined]).toEqual(['card', true]);
      }
      // Exactly those: every invoice credit and every FX card payment of layla, nothing else.
      expect(quirky.length).toBe(all.filter((t) => t.kind === 'invoice_in' || (t.kind === 'card' && t.fx)).length);
      expect(quirky.length).toBeGreaterThan(0);
      expect(quirky.length).toBeLessThan(all.length / 5);
    }
    for (const bank of ['allstar', 'saltbank'] as const) {
      const other = fresh(bank);
      for (const a of other.accounts)
        expect(
          other
            .ledger(a.id)
            .booked(NOW, from)
            .some((t) => t.wireQuirk !== undefined),
        ).toBe(false);
    }
  });
});
