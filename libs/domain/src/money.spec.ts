import fc from 'fast-check';
import {
  addMoney,
  canonicalDecimal,
  compareMoney,
  formatAmount,
  money,
  MoneyFormatError,
  negateMoney,
  signedMoney,
  subtractMoney,
} from './money.js';
import { minorUnits } from './currency.js';

const currencies = fc.constantFrom('GBP', 'EUR', 'BHD', 'JPY', 'USD', 'KWD');
const decimalText = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.bigInt({ min: 0n, max: 10n ** 20n }),
    fc.option(fc.stringMatching(/^\d{1,8}$/), { nil: undefined }),
  )
  .map(([sign, int, frac]) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}`);

describe('money', () => {
  it('formats amounts with the currency minor units', () => {
    expect(money('12.5', 'GBP')).toEqual({ amount: '12.50', currency: 'GBP' });
    expect(money('352.5', 'BHD')).toEqual({ amount: '352.500', currency: 'BHD' });
    expect(money('3500', 'BHD').amount).toBe('3500.000');
    expect(money('1200', 'JPY').amount).toBe('1200');
    expect(money('-0.00', 'EUR').amount).toBe('0.00');
    expect(money('007.1', 'EUR').amount).toBe('7.10');
  });

  it('keeps every digit a bank sends beyond the minor units', () => {
    expect(money('1.23456', 'GBP').amount).toBe('1.23456');
    expect(money('10.5', 'JPY').amount).toBe('10.5');
  });

  it('rejects numbers in exponent form, empty strings, and bad currency codes', () => {
    expect(() => money('1e3', 'GBP')).toThrow(MoneyFormatError);
    expect(() => money('', 'GBP')).toThrow(MoneyFormatError);
    expect(() => money('1.', 'GBP')).toThrow(MoneyFormatError);
    expect(() => money('1.00', 'gbp')).toThrow(MoneyFormatError);
  });

  it('signs debits negative and refuses a signed amount next to an indicator', () => {
    expect(signedMoney('10.00', 'GBP', 'debit').amount).toBe('-10.00');
    expect(signedMoney('10', 'BHD', 'credit').amount).toBe('10.000');
    expect(() => signedMoney('-10.00', 'GBP', 'debit')).toThrow(MoneyFormatError);
  });

  it('round-trips any decimal exactly: the formatted text is numerically the input', () => {
    fc.assert(
      fc.property(decimalText, currencies, (text, currency) => {
        const m = money(text, currency);
        expect(canonicalDecimal(m.amount)).toBe(canonicalDecimal(text));
        const frac = m.amount.split('.')[1] ?? '';
        expect(frac.length).toBeGreaterThanOrEqual(minorUnits(currency));
        expect(formatAmount(m.amount, currency)).toBe(m.amount);
      }),
    );
  });

  it('adds and subtracts without floating-point error', () => {
    expect(addMoney(money('0.1', 'EUR'), money('0.2', 'EUR')).amount).toBe('0.30');
    expect(subtractMoney(money('100.000', 'BHD'), money('0.001', 'BHD')).amount).toBe('99.999');
    fc.assert(
      fc.property(decimalText, decimalText, currencies, (a, b, currency) => {
        const sum = addMoney(money(a, currency), money(b, currency));
        expect(compareMoney(subtractMoney(sum, money(b, currency)), money(a, currency))).toBe(0);
        expect(compareMoney(negateMoney(negateMoney(money(a, currency))), money(a, currency))).toBe(0);
      }),
    );
  });

  it('refuses to combine different currencies', () => {
    expect(() => addMoney(money('1', 'EUR'), money('1', 'GBP'))).toThrow(MoneyFormatError);
  });
});
