import { Decimal } from 'decimal.js';
import { isCurrencyCode, minorUnits } from './currency.js';

/**
 * An amount of money: a signed decimal string (negative = money out of the account) formatted with at
 * least the currency's minor units, and an ISO 4217 code. Never a JS number: amounts are parsed,
 * compared and added as decimals, and formatted by string rules so no digit is ever lost.
 */
export interface Money {
  amount: string;
  currency: string;
}

/** A decimal string as banks send them: optional sign, digits, optional fraction. No exponent. */
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Arithmetic needs no rounding at bank magnitudes: 60 significant digits is exact for them. */
const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -100, toExpPos: 100 });

export class MoneyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyFormatError';
  }
}

export function isDecimalString(value: unknown): boolean {
  return typeof value === 'string' && DECIMAL.test(value);
}

/**
 * Canonical text of a decimal for `currency`: no leading zeros, no "+" sign, "-" only when non-zero,
 * the fraction padded to the currency's minor units and never shortened (a bank's extra precision is
 * kept digit for digit).
 */
export function formatAmount(value: string, currency: string): string {
  const m = DECIMAL.exec(value.trim());
  if (!m) throw new MoneyFormatError(`"${value}" is not a decimal amount`);
  const [, sign, intRaw, fracRaw = ''] = m;
  const intPart = intRaw.replace(/^0+(?=\d)/, '');
  const units = minorUnits(currency);
  const frac = fracRaw.length >= units ? fracRaw : fracRaw.padEnd(units, '0');
  const isZero = /^0*$/.test(intPart) && /^0*$/.test(fracRaw);
  const negative = sign === '-' && !isZero;
  return `${negative ? '-' : ''}${intPart}${frac.length > 0 ? `.${frac}` : ''}`;
}

/** Builds a Money, validating the currency and formatting the amount. */
export function money(amount: string, currency: string): Money {
  if (!isCurrencyCode(currency)) throw new MoneyFormatError(`"${String(currency)}" is not an ISO 4217 currency code`);
  return { amount: formatAmount(amount, currency), currency };
}

/**
 * A Money from an unsigned amount and a credit / debit indicator (OBIE's shape): debits are negative.
 * An amount that already carries a sign is rejected: the indicator alone says the direction.
 */
export function signedMoney(unsignedAmount: string, currency: string, direction: 'credit' | 'debit'): Money {
  const trimmed = unsignedAmount.trim();
  if (trimmed.startsWith('-') || trimmed.startsWith('+')) {
    throw new MoneyFormatError(`"${unsignedAmount}" must be unsigned when a credit/debit indicator is given`);
  }
  return money(direction === 'debit' ? `-${trimmed}` : trimmed, currency);
}

export function toDecimal(value: Money | string): Decimal {
  const text = typeof value === 'string' ? value : value.amount;
  if (!isDecimalString(text)) throw new MoneyFormatError(`"${String(text)}" is not a decimal amount`);
  return new Dec(text);
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new MoneyFormatError(`cannot combine ${a.currency} with ${b.currency}`);
}

/** Decimal text without exponent, keeping every digit. */
function plain(d: Decimal): string {
  return d.toFixed();
}

export function addMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(plain(toDecimal(a).plus(toDecimal(b))), a.currency);
}

export function subtractMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(plain(toDecimal(a).minus(toDecimal(b))), a.currency);
}

export function negateMoney(a: Money): Money {
  return money(plain(toDecimal(a).negated()), a.currency);
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return toDecimal(a).comparedTo(toDecimal(b)) as -1 | 0 | 1;
}

export function isNegative(a: Money): boolean {
  return toDecimal(a).isNegative() && !toDecimal(a).isZero();
}

/**
 * The numeric identity of an amount, independent of formatting ("1.5" and "1.50" agree): used where
 * amounts are hashed (fingerprints) or compared as text.
 */
export function canonicalDecimal(value: string): string {
  const d = toDecimal(value);
  return d.isZero() ? '0' : plain(d);
}
