import type { Money } from './money.js';

/**
 * Balance types in the ISO 20022 set both standards draw from. Berlin Group uses these names as they
 * are; OBIE uses the same concepts in PascalCase plus a few (cleared, information, previously closed).
 */
export const BALANCE_TYPES = [
  'closingBooked',
  'closingAvailable',
  'closingCleared',
  'openingBooked',
  'openingAvailable',
  'openingCleared',
  'interimBooked',
  'interimAvailable',
  'interimCleared',
  'expected',
  'forwardAvailable',
  'nonInvoiced',
  'information',
  'previouslyClosedBooked',
  'other',
] as const;
export type BalanceType = (typeof BALANCE_TYPES)[number];

export interface CreditLine {
  /** Whether the credit line is included in the balance amount. */
  included: boolean;
  /** The bank's credit line type (OBIE: Available, Credit, Emergency, Pre-Agreed, Temporary). */
  type: string | null;
  amount: Money | null;
}

export interface Balance {
  type: BalanceType;
  /** The bank's own type name, kept verbatim (e.g. `InterimAvailable`, `interimAvailable`, `Outstanding`). */
  originalType: string;
  amount: Money;
  creditLines: CreditLine[];
  /** Whether a credit limit is included in the amount (Berlin Group `creditLimitIncluded`). */
  creditLimitIncluded?: boolean | null;
  /** The bank's local calendar date the balance refers to (YYYY-MM-DD). */
  referenceDate: string | null;
  /** The instant the balance refers to, when the bank sends one. */
  referenceAt: string | null;
}

/** OBIE 3.1 OBBalanceType1Code → normalised type. */
export const OBIE_BALANCE_TYPES: Readonly<Record<string, BalanceType>> = {
  ClosingAvailable: 'closingAvailable',
  ClosingBooked: 'closingBooked',
  ClosingCleared: 'closingCleared',
  Expected: 'expected',
  ForwardAvailable: 'forwardAvailable',
  Information: 'information',
  InterimAvailable: 'interimAvailable',
  InterimBooked: 'interimBooked',
  InterimCleared: 'interimCleared',
  OpeningAvailable: 'openingAvailable',
  OpeningBooked: 'openingBooked',
  OpeningCleared: 'openingCleared',
  PreviouslyClosedBooked: 'previouslyClosedBooked',
};

/** Berlin Group 1.3 balanceType → normalised type (identical names). */
export const BERLIN_GROUP_BALANCE_TYPES: Readonly<Record<string, BalanceType>> = {
  closingBooked: 'closingBooked',
  expected: 'expected',
  openingBooked: 'openingBooked',
  interimAvailable: 'interimAvailable',
  interimBooked: 'interimBooked',
  forwardAvailable: 'forwardAvailable',
  nonInvoiced: 'nonInvoiced',
};

/**
 * The closest Berlin Group type for a normalised type. OBIE's "available" balances at a period edge
 * have no BG counterpart of the same name; BG's interimAvailable is the available balance at any time.
 */
const TO_BERLIN_GROUP: Readonly<Partial<Record<BalanceType, string>>> = {
  closingBooked: 'closingBooked',
  closingAvailable: 'interimAvailable',
  openingBooked: 'openingBooked',
  interimBooked: 'interimBooked',
  interimAvailable: 'interimAvailable',
  expected: 'expected',
  forwardAvailable: 'forwardAvailable',
  nonInvoiced: 'nonInvoiced',
  previouslyClosedBooked: 'closingBooked',
};

const TO_OBIE: Readonly<Partial<Record<BalanceType, string>>> = Object.fromEntries(
  Object.entries(OBIE_BALANCE_TYPES).map(([obie, type]) => [type, obie]),
);

export function balanceTypeFromObie(code: string): BalanceType | undefined {
  return OBIE_BALANCE_TYPES[code];
}

export function balanceTypeFromBerlinGroup(code: string): BalanceType | undefined {
  return BERLIN_GROUP_BALANCE_TYPES[code];
}

/** OBIE code for a normalised type; `nonInvoiced` (a card concept) has none. */
export function balanceTypeToObie(type: BalanceType): string | undefined {
  return TO_OBIE[type];
}

export function balanceTypeToBerlinGroup(type: BalanceType): string | undefined {
  return TO_BERLIN_GROUP[type];
}
