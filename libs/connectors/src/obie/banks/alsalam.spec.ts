import { mapOrInvalid, validateWire } from '../../mapping.js';
import { mapObieBalances, mapObieTransactions } from '../obie.mapper.js';
import { ObReadBalance1, ObReadTransaction6 } from '../obie.wire.js';
import { alsalam } from './alsalam.js';

const rules = {
  timeZone: alsalam.capabilities.timeZone,
  balanceTypes: alsalam.balanceTypes,
  pendingLink: alsalam.pendingLink,
};

describe('Al Salam profile', () => {
  it('advertises what seed 003 documents: accounts, balances and transactions, the code flow without PKCE, no consent cap', () => {
    expect(alsalam.capabilities).toMatchObject({
      supportedPermissions: ['accounts', 'balances', 'transactions'],
      bulkEndpoints: ['balances', 'transactions'],
      authorisationFlow: 'oauth_code',
      maxConsentDays: null,
    });
  });

  it('reads the seed balance payload: +0000 offsets, a single CreditLine object, bank type names, 3 decimals', () => {
    const wire = {
      Data: {
        Balance: [
          {
            AccountId: 'iAAv',
            Amount: { Amount: '3467.516', Currency: 'BHD' },
            CreditDebitIndicator: 'Credit',
            Type: 'Available',
            DateTime: '2019-06-07T12:45:16.465+0000',
            CreditLine: { Included: true, Amount: { Amount: '3500', Currency: 'BHD' }, Type: 'Credit' },
          },
          {
            AccountId: 'iAAv',
            Amount: { Amount: '32.484', Currency: 'BHD' },
            CreditDebitIndicator: 'Debit',
            Type: 'Outstanding',
            DateTime: '2019-06-07T12:45:16.465+0000',
          },
        ],
      },
      Links: null,
    };
    const parsed = validateWire(ObReadBalance1, alsalam.normaliseWire(wire), 'balances');
    const [available, outstanding] = mapObieBalances(parsed.Data.Balance, rules).get('iAAv')!;
    expect(available).toMatchObject({
      type: 'interimAvailable',
      originalType: 'Available',
      amount: { amount: '3467.516', currency: 'BHD' },
      referenceDate: '2019-06-07',
    });
    expect(available.creditLines).toEqual([
      { included: true, type: 'Credit', amount: { amount: '3500.000', currency: 'BHD' } },
    ]);
    expect(outstanding).toMatchObject({ type: 'other', originalType: 'Outstanding', amount: { amount: '-32.484' } });
  });

  it('books 21:00Z postings on the next Manama day and keeps identical ones apart', () => {
    const tx = {
      AccountId: 'iAAv',
      Amount: { Amount: '352.5', Currency: 'BHD' },
      CreditDebitIndicator: 'Debit',
      Status: 'Booked',
      BookingDateTime: '2016-06-25T21:00:00.000+0000',
      TransactionInformation: 'PURCHASE',
      ProprietaryBankTransactionCode: { Code: 'PURCHASE' },
      DebtorAgent: { SchemeName: 'x', Identification: 'x' },
      DebtorAccount: {},
    };
    const emptyCode = { ...tx, ProprietaryBankTransactionCode: {} };
    const parsed = validateWire(
      ObReadTransaction6,
      alsalam.normaliseWire({ Data: { Transaction: [tx, tx, emptyCode] }, Links: null }),
      'transactions',
    );
    const list = mapObieTransactions(parsed.Data.Transaction!, rules).get('iAAv')!;
    expect(list.map((t) => t.bookingDate)).toEqual(['2016-06-26', '2016-06-26', '2016-06-26']);
    expect(list[0].amount).toEqual({ amount: '-352.500', currency: 'BHD' });
    expect(list[0].identityKey).not.toBe(list[1].identityKey);
    expect(list.every((t) => t.idSource === 'fingerprint')).toBe(true);
  });

  // Seed 003's two data quirks (sandbox: Al Salam quirks 9 and 10). Neither can be mapped without
  // inventing something (a sign, a booking date), so the whole response is refused: never half-mapped.
  const seedItem = {
    AccountId: 'iAAv',
    Amount: { Amount: '352.5', Currency: 'BHD' },
    CreditDebitIndicator: 'Debit',
    Status: 'Booked',
    BookingDateTime: '2016-06-25T21:00:00.000+0000',
    ProprietaryBankTransactionCode: { Code: 'PURCHASE' },
    DebtorAccount: {},
  };
  const read = (items: unknown[]) =>
    mapOrInvalid('alsalam', 'obie.transactions', () =>
      mapObieTransactions(
        validateWire(
          ObReadTransaction6,
          alsalam.normaliseWire({ Data: { Transaction: items }, Links: null }),
          'OBReadTransaction6',
        ).Data.Transaction!,
        rules,
      ),
    );

  it('refuses a response with a transaction that has no CreditDebitIndicator: the unsigned amount cannot be signed', () => {
    const { CreditDebitIndicator: _omitted, ...unsigned } = {
      ...seedItem,
      Amount: { Amount: '108.145', Currency: 'BHD' },
      ProprietaryBankTransactionCode: {},
    };
    expect(() => read([seedItem, unsigned])).toThrow(expect.objectContaining({ code: 'bank_invalid_response' }));
    try {
      read([seedItem, unsigned]);
    } catch (e) {
      expect(JSON.stringify((e as { extensions: unknown }).extensions)).toContain('CreditDebitIndicator');
    }
  });

  it('refuses a response with the placeholder BookingDateTime 0001-01-02T21:00:00.000+0000 instead of dropping the item from every window', () => {
    const placeholder = {
      ...seedItem,
      Amount: { Amount: '3350', Currency: 'BHD' },
      BookingDateTime: '0001-01-02T21:00:00.000+0000',
    };
    expect(() => read([seedItem, placeholder])).toThrow(expect.objectContaining({ code: 'bank_invalid_response' }));
    try {
      read([placeholder]);
    } catch (e) {
      expect(JSON.stringify((e as { extensions: unknown }).extensions)).toContain(
        'is a placeholder, not a booking date',
      );
    }
    expect(read([seedItem]).get('iAAv')).toHaveLength(1);
  });

  it('rejects a payload with money as a JSON number', () => {
    const bad = {
      Data: {
        Balance: [
          {
            AccountId: 'a',
            Amount: { Amount: 10, Currency: 'BHD' },
            CreditDebitIndicator: 'Credit',
            Type: 'Available',
            DateTime: '2019-06-07T12:45:16.465+0000',
          },
        ],
      },
    };
    expect(() => validateWire(ObReadBalance1, alsalam.normaliseWire(bad), 'balances')).toThrow(
      'does not follow the standard',
    );
  });
});
