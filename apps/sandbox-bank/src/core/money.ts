import { Decimal } from 'decimal.js';

export { Decimal };

/** Minor units per currency (ISO 4217): BHD has three. */
export function minorUnits(currency: string): number {
  return currency === 'BHD' || currency === 'KWD' || currency === 'OMR' ? 3 : currency === 'JPY' ? 0 : 2;
}

/** Fixed-scale decimal string in the currency's minor units: "-12.50", "3467.516". */
export function formatAmount(amount: Decimal, currency: string): string {
  return amount.toFixed(minorUnits(currency));
}

/** Absolute value, fixed scale (OBIE amounts are unsigned with a CreditDebitIndicator). */
export function absAmount(amount: Decimal, currency: string): string {
  return amount.abs().toFixed(minorUnits(currency));
}

/** Al Salam strips trailing zeros ("352.5", "3500"): a seed quirk. */
export function trimmedAmount(amount: Decimal, currency: string): string {
  return new Decimal(amount.abs().toFixed(minorUnits(currency))).toString();
}

export function roundTo(amount: Decimal, currency: string): Decimal {
  return amount.toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_EVEN);
}
