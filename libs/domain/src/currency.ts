/**
 * ISO 4217 minor units. Most currencies have two; this table lists the exceptions (and a few common
 * two-digit ones for documentation). A currency not listed here has two minor units.
 */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  // three decimals
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  // no decimals
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  // four decimals (funds codes)
  CLF: 4,
  UYW: 4,
};

const CURRENCY_CODE = /^[A-Z]{3}$/;

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && CURRENCY_CODE.test(value);
}

/** The number of decimals a currency is quoted in: BHD 3, JPY 0, GBP / EUR 2. */
export function minorUnits(currency: string): number {
  return MINOR_UNITS[currency] ?? 2;
}
