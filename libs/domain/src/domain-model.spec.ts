import { accountIdentityKey, normaliseIdentification } from './account.js';
import {
  balanceTypeFromBerlinGroup,
  balanceTypeFromObie,
  balanceTypeToBerlinGroup,
  balanceTypeToObie,
  BERLIN_GROUP_BALANCE_TYPES,
  OBIE_BALANCE_TYPES,
} from './balance.js';
import { addDays, isIsoDate, localDateOf, startOfLocalDate } from './calendar.js';
import { fromObiePermissions, PERMISSIONS, toObiePermissions, unsupportedInBerlinGroup } from './permissions.js';

describe('account identity', () => {
  const base = { externalId: 'bank-id-1', currency: 'GBP' };

  it('matches an account across re-authorisation by its identifiers, not the bank id', () => {
    const before = accountIdentityKey({
      ...base,
      identifiers: [{ scheme: 'sortCodeAccountNumber', identification: '40-11-91 70855944' }],
    });
    const after = accountIdentityKey({
      ...base,
      externalId: 'new-bank-id',
      identifiers: [{ scheme: 'sortCodeAccountNumber', identification: '40119170855944' }],
    });
    expect(after).toBe(before);
  });

  it('prefers the IBAN over weaker identifiers, and separates currency sub-accounts', () => {
    const identifiers = [
      { scheme: 'pan', identification: '5999 95xx xxxx 8997' },
      { scheme: 'iban', identification: 'bh02 alsa 0101 0200 1201 03' },
    ] as const;
    expect(accountIdentityKey({ ...base, currency: 'BHD', identifiers: [...identifiers] })).toBe(
      'iban:BH02ALSA01010200120103:BHD',
    );
    expect(accountIdentityKey({ ...base, currency: 'USD', identifiers: [...identifiers] })).toBe(
      'iban:BH02ALSA01010200120103:USD',
    );
  });

  it('normalises masked PANs regardless of the mask character', () => {
    expect(normaliseIdentification('pan', '599995xxxxxx8997')).toBe(normaliseIdentification('pan', '599995******8997'));
  });

  it('falls back to the bank id only when there is no identifier', () => {
    expect(accountIdentityKey({ ...base, identifiers: [] })).toBe('ext:bank-id-1');
  });
});

describe('balance types', () => {
  it('maps every OBIE and Berlin Group type, and back where the other standard has one', () => {
    for (const code of Object.keys(OBIE_BALANCE_TYPES))
      expect(balanceTypeToObie(balanceTypeFromObie(code)!)).toBe(code);
    for (const code of Object.keys(BERLIN_GROUP_BALANCE_TYPES))
      expect(balanceTypeToBerlinGroup(balanceTypeFromBerlinGroup(code)!)).toBe(code);
    expect(balanceTypeToBerlinGroup(balanceTypeFromObie('InterimAvailable')!)).toBe('interimAvailable');
    expect(balanceTypeToObie(balanceTypeFromBerlinGroup('closingBooked')!)).toBe('ClosingBooked');
    expect(balanceTypeToObie('nonInvoiced')).toBeUndefined();
    expect(balanceTypeFromObie('Outstanding')).toBeUndefined();
  });
});

describe('permissions', () => {
  it('asks OBIE for detail permissions, always including the account list', () => {
    expect(toObiePermissions(['transactions'])).toEqual([
      'ReadAccountsDetail',
      'ReadTransactionsCredits',
      'ReadTransactionsDebits',
      'ReadTransactionsDetail',
    ]);
  });

  it('reads back every API permission from the OBIE codes it maps to', () => {
    expect(fromObiePermissions(toObiePermissions([...PERMISSIONS]))).toEqual([...PERMISSIONS]);
    expect(fromObiePermissions(['ReadAccountsBasic', 'ReadTransactionsCredits'])).toEqual(['accounts']);
  });

  it('names the permissions a Berlin Group consent cannot carry', () => {
    expect(
      unsupportedInBerlinGroup(['accounts', 'balances', 'transactions', 'beneficiaries', 'statements', 'party']),
    ).toEqual(['statements', 'party']);
  });
});

describe('calendar', () => {
  it('reads a booking instant as the bank local date', () => {
    expect(localDateOf('2016-06-25T21:00:00.000Z', 'Asia/Bahrain')).toBe('2016-06-26');
    expect(localDateOf('2016-06-25T20:59:59Z', 'Asia/Bahrain')).toBe('2016-06-25');
    expect(localDateOf('2024-07-01T23:30:00Z', 'Europe/London')).toBe('2024-07-02');
  });

  it('finds local midnight and adds calendar days', () => {
    expect(startOfLocalDate('2024-07-01', 'Europe/Berlin').toISOString()).toBe('2024-06-30T22:00:00.000Z');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(isIsoDate('2024-02-30')).toBe(false);
    expect(isIsoDate('2024-02-29')).toBe(true);
  });
});
