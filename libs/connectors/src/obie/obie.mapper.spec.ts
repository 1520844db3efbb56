import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { OBIE_BALANCE_TYPES, localDateOf } from '@ais/domain';
import { validateWire } from '../mapping.js';
import { alsalam } from './banks/alsalam.js';
import { mapObieBalance, mapObieTransactions, type ObieMappingRules } from './obie.mapper.js';
import { ObBalance, ObTransaction6 } from './obie.wire.js';

const rules = (timeZone: string): ObieMappingRules => ({
  timeZone,
  balanceTypes: OBIE_BALANCE_TYPES,
  pendingLink: (t) => t.TransactionReference ?? null,
});

/** OBIE amounts: unsigned, 1–13 integer digits, up to 5 decimals, a string. */
const obieAmount = fc
  .tuple(
    fc.bigInt({ min: 0n, max: 9_999_999_999_999n }),
    fc.option(fc.stringMatching(/^[0-9]{1,5}$/), { nil: undefined }),
  )
  .map(([i, f]) => (f === undefined ? `${i}` : `${i}.${f}`));
const currency = fc.constantFrom('GBP', 'EUR', 'BHD', 'KWD', 'JPY', 'USD');
const zone = fc.constantFrom(
  'Europe/London',
  'Asia/Bahrain',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
);
/** Offsets a bank might write an instant with (whole and half hours, both signs). */
const offsetMinutes = fc.constantFrom(0, 60, 120, 180, 330, 345, 540, 840, -60, -300, -480, -660);
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2035, 11, 31) });

function withOffset(ms: number, minutes: number, compact = false): string {
  const wall = new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${wall}${sign}${hh}${compact ? '' : ':'}${mm}`;
}

/** Every value outside `raw` that is a JS number: there must be none (money is never a float). */
function numbersOutsideRaw(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersOutsideRaw(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => (k === 'raw' ? [] : numbersOutsideRaw(v, `${path}.${k}`)));
  return [];
}

/** Unknown members a newer minor version (or a bank) may add: they must survive in `raw`. */
const extras = fc.dictionary(
  fc.stringMatching(/^X[A-Za-z]{1,8}$/),
  fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 3 },
);

const transaction = fc
  .record({
    AccountId: fc.constantFrom('acc-1', 'acc-2'),
    TransactionId: fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,12}$/), { nil: undefined }),
    TransactionReference: fc.option(fc.stringMatching(/^[A-Z0-9]{4,10}$/), { nil: undefined }),
    CreditDebitIndicator: fc.constantFrom('Credit' as const, 'Debit' as const),
    Status: fc.constantFrom('Booked' as const, 'Pending' as const),
    at: instant,
    offset: offsetMinutes,
    Amount: fc.record({ Amount: obieAmount, Currency: currency }),
    TransactionInformation: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    extra: extras,
  })
  .map(({ at, offset, extra, ...t }) => {
    const out: Record<string, unknown> = { ...extra, ...t, BookingDateTime: withOffset(at, offset) };
    for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
    return out;
  });

describe('OBIE mapper (properties)', () => {
  it('never produces a float, and the signed amount round-trips to the bank amount and indicator exactly', () => {
    fc.assert(
      fc.property(fc.array(transaction, { maxLength: 25 }), zone, (items, tz) => {
        const parsed = items.map((i) => validateWire(ObTransaction6, i, 'OBTransaction6'));
        const mapped = [...mapObieTransactions(parsed, rules(tz)).values()].flat();
        expect(numbersOutsideRaw(mapped)).toEqual([]);
        for (const t of mapped) {
          const wire = t.raw as { Amount: { Amount: string; Currency: string }; CreditDebitIndicator: string };
          expect(typeof t.amount.amount).toBe('string');
          expect(t.amount.currency).toBe(wire.Amount.Currency);
          const back = new Decimal(t.amount.amount);
          expect(back.abs().equals(new Decimal(wire.Amount.Amount))).toBe(true);
          expect(back.isNegative()).toBe(wire.CreditDebitIndicator === 'Debit' && !back.isZero());
          // No digit lost: the bank's fraction is a prefix of ours (ours may only be padded).
          const bankFraction = wire.Amount.Amount.split('.')[1] ?? '';
          expect((t.amount.amount.split('.')[1] ?? '').startsWith(bankFraction)).toBe(true);
        }
      }),
    );
  });

  it('drops no field: every item is kept whole in raw, unknown members included, one output per booked/pending input', () => {
    fc.assert(
      fc.property(fc.array(transaction, { maxLength: 25 }), (items) => {
        const parsed = items.map((i) => validateWire(ObTransaction6, i, 'OBTransaction6'));
        const byAccount = mapObieTransactions(parsed, rules('Europe/London'));
        const mapped = [...byAccount.values()].flat();
        expect(mapped).toHaveLength(items.length);
        expect(mapped.map((t) => t.raw)).toEqual(expect.arrayContaining(items));
        for (const t of mapped) {
          const raw = t.raw as Record<string, unknown>;
          expect(t.externalId).toBe(raw.TransactionId ?? null);
          expect(t.reference).toBe(raw.TransactionReference ?? null);
          expect(t.description).toBe(raw.TransactionInformation ?? '');
          expect(t.status).toBe(raw.Status === 'Booked' ? 'booked' : 'pending');
        }
      }),
    );
  });

  it("books on the bank's local calendar date, whatever offset the instant is written with and whatever the host's zone", () => {
    const hostZone = process.env.TZ;
    try {
      fc.assert(
        fc.property(
          instant,
          offsetMinutes,
          offsetMinutes,
          zone,
          fc.constantFrom('UTC', 'Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Kolkata'),
          (at, o1, o2, tz, host) => {
            process.env.TZ = host;
            const item = (offset: number) =>
              validateWire(
                ObTransaction6,
                {
                  AccountId: 'a',
                  CreditDebitIndicator: 'Debit',
                  Status: 'Booked',
                  BookingDateTime: withOffset(at, offset),
                  Amount: { Amount: '1.00', Currency: 'GBP' },
                },
                'tx',
              );
            const [a] = mapObieTransactions([item(o1)], rules(tz)).get('a')!;
            const [b] = mapObieTransactions([item(o2)], rules(tz)).get('a')!;
            expect(a.bookingDate).toBe(b.bookingDate);
            expect(a.bookedAt).toBe(new Date(at - (at % 1000)).toISOString());
          },
        ),
      );
      // Written in the bank's own (fixed) offset, the date part is the booking date, never shifted.
      fc.assert(
        fc.property(
          instant,
          fc.constantFrom(
            ['Asia/Bahrain', 180],
            ['Asia/Kolkata', 330],
            ['Pacific/Kiritimati', 840],
            ['Pacific/Pago_Pago', -660],
          ),
          (at, [tz, offset]) => {
            const written = withOffset(at, offset);
            const [t] = mapObieTransactions(
              [
                validateWire(
                  ObTransaction6,
                  {
                    AccountId: 'a',
                    CreditDebitIndicator: 'Credit',
                    Status: 'Booked',
                    BookingDateTime: written,
                    Amount: { Amount: '5', Currency: 'BHD' },
                  },
                  'tx',
                ),
              ],
              rules(tz),
            ).get('a')!;
            expect(t.bookingDate).toBe(written.slice(0, 10));
          },
        ),
      );
    } finally {
      if (hostZone === undefined) delete process.env.TZ;
      else process.env.TZ = hostZone;
    }
  });

  it('keeps identical same-day transactions apart, with occurrence numbers stable across re-runs and other days', () => {
    const day = fc.integer({ min: 0, max: 4 });
    const twin = fc.record({ day, amount: fc.constantFrom('4.50', '12.00'), info: fc.constantFrom('COFFEE', 'BUS') });
    fc.assert(
      fc.property(fc.array(twin, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 4 }), (items, cut) => {
        const wire = items.map((i) =>
          validateWire(
            ObTransaction6,
            {
              AccountId: 'a',
              CreditDebitIndicator: 'Debit',
              Status: 'Booked',
              BookingDateTime: `2026-03-0${i.day + 1}T12:00:00+00:00`,
              Amount: { Amount: i.amount, Currency: 'GBP' },
              TransactionInformation: i.info,
            },
            'tx',
          ),
        );
        const first = mapObieTransactions(wire, rules('Europe/London')).get('a')!;
        const again = mapObieTransactions(wire, rules('Europe/London')).get('a')!;
        expect(new Set(first.map((t) => t.identityKey)).size).toBe(first.length);
        expect(again.map((t) => t.identityKey)).toEqual(first.map((t) => t.identityKey));
        // A later window that starts on another day: the days both cover keep their keys.
        const kept = wire.filter((_, i) => items[i].day >= cut);
        const later = mapObieTransactions(kept, rules('Europe/London')).get('a') ?? [];
        expect(later.map((t) => t.identityKey)).toEqual(
          first.filter((_, i) => items[i].day >= cut).map((t) => t.identityKey),
        );
      }),
    );
  });

  it('maps balances (and credit lines) with exact signed amounts, Al Salam seed shapes included', () => {
    const balance = fc.record({
      AccountId: fc.constant('a'),
      CreditDebitIndicator: fc.constantFrom('Credit', 'Debit'),
      Type: fc.constantFrom(...Object.keys(OBIE_BALANCE_TYPES)),
      at: instant,
      offset: offsetMinutes,
      Amount: fc.record({ Amount: obieAmount, Currency: currency }),
      line: fc.option(
        fc.record({ Included: fc.boolean(), Amount: fc.record({ Amount: obieAmount, Currency: currency }) }),
        { nil: undefined },
      ),
      compact: fc.boolean(),
    });
    fc.assert(
      fc.property(balance, ({ at, offset, line, compact, ...b }) => {
        // Al Salam writes +0000 offsets and a single CreditLine object; its profile rewrites both first.
        const wire = {
          ...b,
          DateTime: withOffset(at, offset, compact),
          ...(line ? { CreditLine: compact ? line : [line] } : {}),
        };
        const parsed = validateWire(
          ObBalance,
          (alsalam.normaliseWire({ Data: { Balance: [wire] } }) as { Data: { Balance: unknown[] } }).Data.Balance[0],
          'balance',
        );
        const mapped = mapObieBalance(parsed, { ...rules('Asia/Bahrain'), balanceTypes: alsalam.balanceTypes });
        expect(numbersOutsideRaw(mapped)).toEqual([]);
        const signed = new Decimal(mapped.amount.amount);
        expect(signed.abs().equals(new Decimal(b.Amount.Amount))).toBe(true);
        expect(signed.isNegative()).toBe(b.CreditDebitIndicator === 'Debit' && !signed.isZero());
        expect(mapped.originalType).toBe(b.Type);
        expect(mapped.referenceDate).toBe(localDateOf(at, 'Asia/Bahrain'));
        expect(mapped.creditLines.map((l) => l.amount && new Decimal(l.amount.amount).toString())).toEqual(
          line ? [new Decimal(line.Amount.Amount).toString()] : [],
        );
      }),
    );
  });
});
