import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { validateWire } from '../mapping.js';
import { saltbank } from './banks/saltbank.js';
import {
  bgCardResourceId,
  bgFrequency,
  mapBgBalance,
  mapBgCardAccount,
  mapBgCardTransactionDraft,
  mapBgStandingOrder,
  mapBgTransactions,
  type BgMappingRules,
} from './bg.mapper.js';
import { BgBalance, BgCardAccountDetails, BgCardTransaction, BgStandingOrder, BgTransaction } from './bg.wire.js';

const rules: BgMappingRules = {
  timeZone: 'Europe/Berlin',
  merchantCategoryCode: saltbank.merchantCategoryCode,
  pendingLink: saltbank.pendingLink,
};

/** Berlin Group amounts: signed decimal strings, up to 14 integer digits and 3 decimals. */
const bgAmount = fc
  .tuple(
    fc.boolean(),
    fc.bigInt({ min: 0n, max: 99_999_999_999_999n }),
    fc.option(fc.stringMatching(/^[0-9]{1,3}$/), { nil: undefined }),
  )
  .map(([neg, i, f]) => `${neg ? '-' : ''}${i}${f === undefined ? '' : `.${f}`}`);
const currency = fc.constantFrom('EUR', 'GBP', 'BHD', 'JPY', 'CHF');
const isoDate = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2035, 11, 31) })
  .map((ms) => new Date(ms).toISOString().slice(0, 10));
const extras = fc.dictionary(fc.stringMatching(/^x[A-Za-z]{1,8}$/), fc.oneof(fc.string(), fc.integer(), fc.boolean()), {
  maxKeys: 3,
});

const transaction = fc
  .record({
    transactionId: fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,12}$/), { nil: undefined }),
    entryReference: fc.option(fc.stringMatching(/^[A-Z0-9]{4,10}$/), { nil: undefined }),
    bookingDate: isoDate,
    valueDate: fc.option(isoDate, { nil: undefined }),
    transactionAmount: fc.record({ currency, amount: bgAmount }),
    creditorName: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    remittanceInformationUnstructured: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    additionalInformation: fc.option(fc.constantFrom('MCC 5411', 'MCC 5812', 'note'), { nil: undefined }),
    extra: extras,
  })
  .map(({ extra, ...t }) => {
    const out: Record<string, unknown> = { ...extra, ...t };
    for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
    return out;
  });

function numbersOutsideRaw(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersOutsideRaw(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => (k === 'raw' ? [] : numbersOutsideRaw(v, `${path}.${k}`)));
  return [];
}

describe('Berlin Group mapper (properties)', () => {
  it('never produces a float, amounts round-trip exactly, and nothing is dropped (raw kept whole)', () => {
    fc.assert(
      fc.property(
        fc.array(transaction, { maxLength: 20 }),
        fc.array(transaction, { maxLength: 10 }),
        (bookedWire, pendingWire) => {
          const booked = bookedWire.map((t) => validateWire(BgTransaction, t, 'transaction'));
          const pending = pendingWire.map((t) => validateWire(BgTransaction, t, 'transaction'));
          const mapped = mapBgTransactions([{ booked, pending }], rules, '2026-03-10');
          expect(mapped).toHaveLength(bookedWire.length + pendingWire.length);
          expect(numbersOutsideRaw(mapped)).toEqual([]);
          expect(mapped.map((t) => t.raw)).toEqual([...bookedWire, ...pendingWire]);
          for (const t of mapped) {
            const wire = t.raw as {
              transactionAmount: { amount: string; currency: string };
              transactionId?: string;
              entryReference?: string;
              additionalInformation?: string;
            };
            expect(new Decimal(t.amount.amount).equals(new Decimal(wire.transactionAmount.amount))).toBe(true);
            expect(t.amount.currency).toBe(wire.transactionAmount.currency);
            const bankFraction = wire.transactionAmount.amount.split('.')[1] ?? '';
            expect((t.amount.amount.split('.')[1] ?? '').startsWith(bankFraction)).toBe(true);
            expect(t.externalId).toBe(wire.transactionId ?? null);
            expect(t.pendingLink).toBe(wire.entryReference ?? null);
            expect(t.merchant?.categoryCode ?? null).toBe(
              /^MCC (\d{4})$/.exec(wire.additionalInformation ?? '')?.[1] ?? null,
            );
          }
        },
      ),
    );
  });

  it("keeps the bank's booking and value dates verbatim, whatever the host's time zone", () => {
    const hostZone = process.env.TZ;
    try {
      fc.assert(
        fc.property(
          transaction,
          fc.constantFrom('UTC', 'Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Tokyo'),
          (wire, host) => {
            process.env.TZ = host;
            const [t] = mapBgTransactions(
              [{ booked: [validateWire(BgTransaction, wire, 'transaction')], pending: [] }],
              rules,
              '2026-03-10',
            );
            expect(t.bookingDate).toBe(wire.bookingDate);
            expect(t.valueDate).toBe(wire.valueDate ?? null);
          },
        ),
      );
    } finally {
      if (hostZone === undefined) delete process.env.TZ;
      else process.env.TZ = hostZone;
    }
  });

  it('keeps identical same-day transactions apart, with occurrence numbers stable across re-runs and pages', () => {
    const twin = fc.record({
      day: fc.constantFrom('2026-03-01', '2026-03-02'),
      amount: fc.constantFrom('-4.50', '-12.00'),
      text: fc.constantFrom('Kaffee', 'Bus'),
    });
    fc.assert(
      fc.property(
        fc.array(twin, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        (items, pageSize) => {
          const wire = items.map((i) =>
            validateWire(
              BgTransaction,
              {
                bookingDate: i.day,
                transactionAmount: { currency: 'EUR', amount: i.amount },
                remittanceInformationUnstructured: i.text,
              },
              'tx',
            ),
          );
          const onePage = mapBgTransactions([{ booked: wire, pending: [] }], rules, '2026-03-10');
          const pages = Array.from({ length: Math.ceil(wire.length / pageSize) }, (_, p) => ({
            booked: wire.slice(p * pageSize, (p + 1) * pageSize),
            pending: [],
          }));
          const paged = mapBgTransactions(pages, rules, '2026-03-10');
          expect(new Set(onePage.map((t) => t.identityKey)).size).toBe(onePage.length);
          expect(paged.map((t) => t.identityKey)).toEqual(onePage.map((t) => t.identityKey));
          expect(onePage.every((t) => t.idSource === 'fingerprint' && /#\d+$/.test(t.identityKey))).toBe(true);
        },
      ),
    );
  });

  it('maps balances with the exact signed amount and keeps the bank type', () => {
    const balance = fc.record({
      balanceAmount: fc.record({ currency, amount: bgAmount }),
      balanceType: fc.constantFrom(
        'closingBooked',
        'expected',
        'openingBooked',
        'interimAvailable',
        'interimBooked',
        'forwardAvailable',
        'nonInvoiced',
      ),
      referenceDate: fc.option(isoDate, { nil: undefined }),
    });
    fc.assert(
      fc.property(balance, (b) => {
        const wire = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined));
        const mapped = mapBgBalance(validateWire(BgBalance, wire, 'balance'));
        expect(numbersOutsideRaw(mapped)).toEqual([]);
        expect(new Decimal(mapped.amount.amount).equals(new Decimal(b.balanceAmount.amount))).toBe(true);
        expect(mapped).toMatchObject({
          type: b.balanceType,
          originalType: b.balanceType,
          referenceDate: b.referenceDate ?? null,
        });
      }),
    );
  });
});

describe('Berlin Group card accounts', () => {
  const details = validateWire(
    BgCardAccountDetails,
    {
      resourceId: 'c9Xk2',
      maskedPan: '535522xxxxxx1234',
      currency: 'EUR',
      name: 'Salt Mastercard',
      product: 'Credit Card',
      usage: 'PRIV',
      creditLimit: { currency: 'EUR', amount: '5000.00' },
      _links: {},
    },
    'cardAccountDetails',
  );

  it('lists a card account as an account: a credit card known by its masked PAN, read on /card-accounts', () => {
    const account = mapBgCardAccount(details);
    expect(account).toMatchObject({
      externalId: 'card-accounts/c9Xk2',
      type: 'personal',
      subtype: 'creditCard',
      currency: 'EUR',
      name: 'Salt Mastercard',
      identifiers: [{ scheme: 'pan', identification: '535522xxxxxx1234' }],
    });
    expect(bgCardResourceId(account.externalId)).toBe('c9Xk2');
    expect(bgCardResourceId('c9Xk2')).toBeNull();
    expect(() => mapBgCardAccount({ ...details, resourceId: undefined })).toThrow(/resourceId/);
  });

  it('maps a card transaction: the acceptor as merchant with its category code, the foreign amount kept', () => {
    const t = validateWire(
      BgCardTransaction,
      {
        cardTransactionId: 'ct-1',
        transactionDate: '2026-03-01',
        bookingDate: '2026-03-03',
        transactionAmount: { currency: 'EUR', amount: '-42.10' },
        originalAmount: { currency: 'USD', amount: '-45.00' },
        currencyExchange: [
          {
            sourceCurrency: 'USD',
            exchangeRate: '0.935556',
            unitCurrency: 'USD',
            targetCurrency: 'EUR',
            quotationDate: '2026-03-01',
          },
        ],
        merchantCategoryCode: '5812',
        maskedPAN: '535522xxxxxx1234',
        transactionDetails: 'JOE’S DINER NEW YORK',
        proprietaryBankTransactionCode: 'CARD',
      },
      'cardTransaction',
    );
    expect(mapBgCardTransactionDraft(t, 'booked', false, '2026-03-10')).toMatchObject({
      externalId: 'ct-1',
      status: 'booked',
      bookingDate: '2026-03-03',
      amount: { amount: '-42.10', currency: 'EUR' },
      description: 'JOE’S DINER NEW YORK',
      merchant: { name: 'JOE’S DINER NEW YORK', categoryCode: '5812' },
      bankTransactionCode: { code: null, proprietaryCode: 'CARD' },
      currencyExchange: { sourceCurrency: 'USD', instructedAmount: { amount: '-45.00', currency: 'USD' } },
    });
    // Pending: the transaction date stands in for the booking date.
    expect(
      mapBgCardTransactionDraft({ ...t, bookingDate: undefined }, 'pending', false, '2026-03-10').bookingDate,
    ).toBe('2026-03-01');
  });

  it('turns debitAccounting (debits quoted positive) into the holder’s sign, for transactions and balances', () => {
    fc.assert(
      fc.property(bgAmount, (amount) => {
        const t = validateWire(
          BgCardTransaction,
          { transactionDate: '2026-03-01', transactionAmount: { currency: 'EUR', amount } },
          'cardTransaction',
        );
        const plain = mapBgCardTransactionDraft(t, 'pending', false, '2026-03-10').amount.amount;
        const inverted = mapBgCardTransactionDraft(t, 'pending', true, '2026-03-10').amount.amount;
        expect(new Decimal(inverted).equals(new Decimal(plain).negated())).toBe(true);
        const b = validateWire(
          BgBalance,
          { balanceType: 'interimBooked', balanceAmount: { currency: 'EUR', amount } },
          'balance',
        );
        expect(new Decimal(mapBgBalance(b, true).amount.amount).equals(new Decimal(amount).negated())).toBe(true);
      }),
    );
  });
});

describe('Berlin Group standing orders (bookingStatus=information)', () => {
  const entry = validateWire(
    BgStandingOrder,
    {
      transactionId: 'so-1',
      transactionAmount: { currency: 'EUR', amount: '-1100.00' },
      creditorName: 'Hausverwaltung Schmidt',
      creditorAccount: { iban: 'DE89370400440532013000' },
      remittanceInformationUnstructured: 'RENT',
      bankTransactionCode: 'PMNT-ICDT-STDO',
      additionalInformationStructured: {
        standingOrderDetails: { startDate: '2024-05-01', frequency: 'Monthly', dayOfExecution: '1' },
      },
    },
    'standingOrder',
  );

  it('maps to the normalised standing order the OBIE connector produces', () => {
    expect(mapBgStandingOrder('acc-1', entry)).toEqual({
      externalId: 'so-1',
      accountId: 'acc-1',
      frequency: 'IntrvlMnthDay:01:01',
      reference: 'RENT',
      status: 'Active',
      firstPaymentAt: '2024-05-01T00:00:00.000Z',
      nextPaymentAt: null,
      lastPaymentAt: null,
      finalPaymentAt: null,
      numberOfPayments: null,
      firstPaymentAmount: null,
      nextPaymentAmount: { amount: '1100.00', currency: 'EUR' },
      lastPaymentAmount: null,
      finalPaymentAmount: null,
      creditorAccount: { scheme: 'iban', identification: 'DE89370400440532013000', name: 'Hausverwaltung Schmidt' },
      raw: entry,
    });
  });

  it('writes Berlin Group frequencies in the OBIE syntax, from the day of execution or the start date', () => {
    expect(bgFrequency({ frequency: 'Daily', startDate: '2026-01-07' })).toBe('EvryDay');
    expect(bgFrequency({ frequency: 'Weekly', startDate: '2026-01-07' })).toBe('IntrvlWkDay:01:03');
    expect(bgFrequency({ frequency: 'EveryTwoWeeks', startDate: '2026-01-05', dayOfExecution: '5' })).toBe(
      'IntrvlWkDay:02:05',
    );
    expect(bgFrequency({ frequency: 'Quarterly', startDate: '2026-01-15' })).toBe('IntrvlMnthDay:03:15');
    expect(bgFrequency({ frequency: 'Annual', startDate: '2026-01-15', dayOfExecution: '31' })).toBe(
      'IntrvlMnthDay:12:31',
    );
    expect(bgFrequency({ frequency: 'MonthlyVariable', startDate: '2026-01-15' })).toBe('MonthlyVariable');
  });

  it('refuses an information entry without its standing order details', () => {
    expect(() =>
      validateWire(BgStandingOrder, { transactionAmount: { currency: 'EUR', amount: '-1.00' } }, 'standingOrder'),
    ).toThrow();
  });
});
