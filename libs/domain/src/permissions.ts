/**
 * The permissions a tenant asks for (API names), and what they mean in each standard. The OBIE
 * codes requested are the "Detail" variants: Basic variants omit the identifiers and counterparties
 * the normalised model needs.
 */
export const PERMISSIONS = [
  'accounts',
  'balances',
  'transactions',
  'statements',
  'party',
  'beneficiaries',
  'standingOrders',
  'directDebits',
  'scheduledPayments',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const DEFAULT_PERMISSIONS: readonly Permission[] = ['accounts', 'balances', 'transactions'];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** OBIE 3.1 permission codes (OBReadConsent1 Data.Permissions). */
export const OBIE_PERMISSION_CODES = [
  'ReadAccountsBasic',
  'ReadAccountsDetail',
  'ReadBalances',
  'ReadBeneficiariesBasic',
  'ReadBeneficiariesDetail',
  'ReadDirectDebits',
  'ReadOffers',
  'ReadPAN',
  'ReadParty',
  'ReadPartyPSU',
  'ReadProducts',
  'ReadScheduledPaymentsBasic',
  'ReadScheduledPaymentsDetail',
  'ReadStandingOrdersBasic',
  'ReadStandingOrdersDetail',
  'ReadStatementsBasic',
  'ReadStatementsDetail',
  'ReadTransactionsBasic',
  'ReadTransactionsCredits',
  'ReadTransactionsDebits',
  'ReadTransactionsDetail',
] as const;
export type ObiePermissionCode = (typeof OBIE_PERMISSION_CODES)[number];

export const OBIE_PERMISSIONS: Readonly<Record<Permission, readonly ObiePermissionCode[]>> = {
  accounts: ['ReadAccountsDetail'],
  balances: ['ReadBalances'],
  transactions: ['ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits'],
  statements: ['ReadStatementsDetail'],
  party: ['ReadParty', 'ReadPartyPSU'],
  beneficiaries: ['ReadBeneficiariesDetail'],
  standingOrders: ['ReadStandingOrdersDetail'],
  directDebits: ['ReadDirectDebits'],
  scheduledPayments: ['ReadScheduledPaymentsDetail'],
};

/**
 * OBIE codes for a set of API permissions. Every OBIE consent carries ReadAccountsDetail: the account
 * list is the entry point to every other resource (and Allstar requires GET /accounts first).
 */
export function toObiePermissions(permissions: readonly Permission[]): ObiePermissionCode[] {
  const codes = new Set<ObiePermissionCode>(['ReadAccountsDetail']);
  for (const p of permissions) for (const c of OBIE_PERMISSIONS[p]) codes.add(c);
  return OBIE_PERMISSION_CODES.filter((c) => codes.has(c));
}

/** API permissions granted by a set of OBIE codes (Basic or Detail both count). */
export function fromObiePermissions(codes: readonly string[]): Permission[] {
  const has = (prefix: string) => codes.some((c) => c === prefix || c.startsWith(prefix));
  const granted: Permission[] = [];
  if (has('ReadAccounts')) granted.push('accounts');
  if (has('ReadBalances')) granted.push('balances');
  if (has('ReadTransactionsBasic') || has('ReadTransactionsDetail')) granted.push('transactions');
  if (has('ReadStatements')) granted.push('statements');
  if (has('ReadParty')) granted.push('party');
  if (has('ReadBeneficiaries')) granted.push('beneficiaries');
  if (has('ReadStandingOrders')) granted.push('standingOrders');
  if (has('ReadDirectDebits')) granted.push('directDebits');
  if (has('ReadScheduledPayments')) granted.push('scheduledPayments');
  return granted;
}

/**
 * Berlin Group 1.3 access object entries that carry each API permission. Standing orders are read
 * from the transactions endpoint (bookingStatus=information), so the transactions access carries them.
 */
export type BerlinGroupAccessKey = 'accounts' | 'balances' | 'transactions' | 'trustedBeneficiaries';
export const BERLIN_GROUP_ACCESS: Readonly<Partial<Record<Permission, BerlinGroupAccessKey>>> = {
  accounts: 'accounts',
  balances: 'balances',
  transactions: 'transactions',
  standingOrders: 'transactions',
  beneficiaries: 'trustedBeneficiaries',
};

/** API permissions a Berlin Group consent cannot express (no such service in the standard). */
export function unsupportedInBerlinGroup(permissions: readonly Permission[]): Permission[] {
  return permissions.filter((p) => BERLIN_GROUP_ACCESS[p] === undefined);
}
