/**
 * Where Al Salam (seed 003) deliberately departs from the OBIE 3.1 schemas, reproduced because a
 * connector must cope with them. Each entry is a JSON path pattern of the response body and the
 * JSON Schema keyword it breaks (and, for `required`, which member is missing); the contract tests
 * allow exactly these and nothing else.
 */
export const ALSALAM_QUIRKS: { path: RegExp; keyword: string; missingProperty?: string; why: string }[] = [
  { path: /^\/Links$/, keyword: 'type', why: '"Links": null on every read response' },
  { path: /^\/Data\/Balance\/\d+\/Type$/, keyword: 'enum', why: 'balance types Available, Closing, Outstanding' },
  { path: /^\/Data\/Balance\/\d+\/CreditLine$/, keyword: 'type', why: 'CreditLine is one object, not an array' },
  {
    path: /^\/Data\/Transaction\/\d+\/ProprietaryBankTransactionCode$/,
    keyword: 'required',
    missingProperty: 'Code',
    why: 'ProprietaryBankTransactionCode is {} for transfers',
  },
  {
    path: /^\/Data\/Transaction\/\d+$/,
    keyword: 'required',
    missingProperty: 'CreditDebitIndicator',
    why: "a transaction without CreditDebitIndicator (seed 003; layla's incoming invoice payments): the unsigned Amount cannot say which way the money went",
  },
];

/**
 * Seed 003 also sends a booked transaction with this BookingDateTime (a placeholder, not a date the
 * schema forbids). The sandbox sends it for layla's booked foreign-currency card purchases; the bank
 * still files, filters (`fromBookingDateTime`) and counts them on their real booking day.
 */
export const ALSALAM_PLACEHOLDER_BOOKING_DATE_TIME = '0001-01-02T21:00:00.000+0000';

/** Which sandbox transactions carry the two seed-003 data quirks (README: Al Salam quirks 9 and 10). */
export const ALSALAM_DATA_QUIRKS = {
  noCreditDebitIndicator: "layla's incoming business invoice payments (Mansoor Trading): no CreditDebitIndicator",
  placeholderBookingDate: `layla's booked foreign-currency card purchases (both accounts): BookingDateTime ${ALSALAM_PLACEHOLDER_BOOKING_DATE_TIME}`,
} as const;
