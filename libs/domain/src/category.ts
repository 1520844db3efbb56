/**
 * Transaction categories: a small documented taxonomy (docs/api.md), derived deterministically from what
 * the bank sent — its own proprietary code, the merchant category code (ISO 18245) and the ISO 20022 bank
 * transaction code (OBIE's text form `IssuedCardTransactions`/`PointOfSaleDebit`, or Berlin Group's
 * `PMNT-CCRD-POSD`) — in that order; null when nothing is known. Pure: derived when a transaction is
 * read, so changing these rules re-categorises every stored transaction without a bank call.
 */
export const CATEGORIES = [
  'groceries',
  'eating_out',
  'transport',
  'fuel',
  'travel',
  'shopping',
  'health',
  'entertainment',
  'utilities',
  'housing',
  'bills',
  'cash',
  'salary',
  'income',
  'transfer',
  'savings',
  'interest',
  'fees',
  'refund',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface CategoryInput {
  merchantCategoryCode?: string | null;
  bankTransactionCode?: {
    code?: string | null;
    subCode?: string | null;
    proprietaryCode?: string | null;
  } | null;
  /** Money in (positive) or out: a transfer or refund that came in is income-side. */
  amount?: string;
}

/** Merchant category codes (ISO 18245) by range, first match wins. */
const MCC_RANGES: [number, number, Category][] = [
  [3000, 3350, 'travel'], // airlines
  [3351, 3500, 'travel'], // car rental
  [3501, 3999, 'travel'], // hotels
  [4011, 4011, 'transport'],
  [4111, 4131, 'transport'],
  [4214, 4215, 'shopping'],
  [4411, 4411, 'travel'],
  [4457, 4457, 'travel'],
  [4468, 4468, 'transport'],
  [4511, 4511, 'travel'],
  [4582, 4582, 'travel'],
  [4722, 4723, 'travel'],
  [4784, 4789, 'transport'],
  [4812, 4899, 'utilities'],
  [4900, 4900, 'utilities'],
  [5411, 5411, 'groceries'],
  [5422, 5499, 'groceries'],
  [5541, 5542, 'fuel'],
  [5983, 5983, 'fuel'],
  [5811, 5814, 'eating_out'],
  [5815, 5818, 'entertainment'], // digital goods and games
  [5912, 5912, 'health'],
  [5122, 5122, 'health'],
  [5975, 5976, 'health'],
  [6010, 6011, 'cash'],
  [7011, 7012, 'travel'],
  [7512, 7519, 'travel'],
  [7832, 7841, 'entertainment'],
  [7911, 7999, 'entertainment'],
  [8011, 8099, 'health'],
  [4000, 5999, 'shopping'], // the remaining retail and wholesale codes
  [7200, 7299, 'shopping'], // personal services
];

/** Words in a bank's own (proprietary) code, first match wins. */
const PROPRIETARY: [RegExp, Category][] = [
  [/SALARY|PAYROLL|WAGES/, 'salary'],
  [/REFUND|REVERSAL|REIMB/, 'refund'],
  [/RENT|MORTGAGE/, 'housing'],
  [/SAVING/, 'savings'],
  [/INTEREST/, 'interest'],
  [/FEE|CHARGE|COMMISSION/, 'fees'],
  [/ATM|CASH/, 'cash'],
  [/BILL|UTILIT/, 'bills'],
];

/** ISO 20022 sub-families (Berlin Group `DOMAIN-FAMILY-SUBFAMILY`), then families. */
const ISO_SUBFAMILY: Record<string, Category> = {
  SALA: 'salary',
  PENS: 'income',
  CWDL: 'cash',
  INTR: 'interest',
  CHRG: 'fees',
  FEES: 'fees',
  COMM: 'fees',
  RIMB: 'refund',
  RFND: 'refund',
  STDO: 'transfer',
  POSD: 'shopping',
};
const ISO_FAMILY: Record<string, Category> = {
  RCDT: 'transfer',
  ICDT: 'transfer',
  RRCT: 'transfer',
  IRCT: 'transfer',
  IDDT: 'bills',
  RDDT: 'income',
  CNTR: 'cash',
  CCRD: 'shopping',
  ICHQ: 'transfer',
  RCHQ: 'income',
};
/** OBIE's text form of the same codes: sub-code first, then code. */
const OBIE_SUBCODE: Record<string, Category> = {
  Interest: 'interest',
  Charges: 'fees',
  Fees: 'fees',
  Commission: 'fees',
  Reimbursement: 'refund',
  CashWithdrawal: 'cash',
  BranchWithdrawal: 'cash',
  StandingOrder: 'transfer',
  DirectDebitPayment: 'bills',
  SalaryPayment: 'salary',
  PensionPayment: 'income',
};
const OBIE_CODE: Record<string, Category> = {
  ReceivedCreditTransfers: 'transfer',
  IssuedCreditTransfers: 'transfer',
  IssuedDirectDebits: 'bills',
  ReceivedDirectDebits: 'income',
  IssuedCardTransactions: 'shopping',
  CustomerCardTransactions: 'shopping',
  CounterTransactions: 'cash',
};

export function categorize(input: CategoryInput): Category | null {
  const code = input.bankTransactionCode;
  const proprietary = code?.proprietaryCode?.toUpperCase();
  if (proprietary) for (const [pattern, category] of PROPRIETARY) if (pattern.test(proprietary)) return category;
  const mcc =
    input.merchantCategoryCode && /^\d{4}$/.test(input.merchantCategoryCode)
      ? Number(input.merchantCategoryCode)
      : null;
  if (mcc !== null) for (const [from, to, category] of MCC_RANGES) if (mcc >= from && mcc <= to) return category;
  const iso = /^([A-Z]{4})-([A-Z]{4})-([A-Z]{4})$/.exec(code?.code ?? '');
  const fromCodes = iso
    ? (ISO_SUBFAMILY[iso[3]] ?? ISO_FAMILY[iso[2]])
    : ((code?.subCode ? OBIE_SUBCODE[code.subCode] : undefined) ?? (code?.code ? OBIE_CODE[code.code] : undefined));
  // A bank's generic card word (Al Salam's PURCHASE) when nothing more precise is known.
  if (!fromCodes) return proprietary && /PURCHASE|\bPOS\b|CARD/.test(proprietary) ? 'shopping' : null;
  // A transfer that came in is income; a card "purchase" without a merchant code stays shopping.
  if (fromCodes === 'transfer' && input.amount && !input.amount.startsWith('-')) return 'income';
  return fromCodes;
}
