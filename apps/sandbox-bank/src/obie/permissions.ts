export const OBIE_PERMISSIONS = [
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
export type ObiePermission = (typeof OBIE_PERMISSIONS)[number];

export type ObieResource =
  | 'accounts'
  | 'balances'
  | 'transactions'
  | 'statements'
  | 'statementTransactions'
  | 'party'
  | 'partyPsu'
  | 'beneficiaries'
  | 'standingOrders'
  | 'directDebits'
  | 'scheduledPayments';

/** Permissions of which at least one is needed per resource (OBIE Permissions table). */
export const NEEDS: Record<ObieResource, ObiePermission[][]> = {
  accounts: [['ReadAccountsBasic', 'ReadAccountsDetail']],
  balances: [['ReadBalances']],
  transactions: [
    ['ReadTransactionsBasic', 'ReadTransactionsDetail'],
    ['ReadTransactionsCredits', 'ReadTransactionsDebits'],
  ],
  statements: [['ReadStatementsBasic', 'ReadStatementsDetail']],
  statementTransactions: [
    ['ReadStatementsBasic', 'ReadStatementsDetail'],
    ['ReadTransactionsBasic', 'ReadTransactionsDetail'],
    ['ReadTransactionsCredits', 'ReadTransactionsDebits'],
  ],
  party: [['ReadParty']],
  partyPsu: [['ReadPartyPSU']],
  beneficiaries: [['ReadBeneficiariesBasic', 'ReadBeneficiariesDetail']],
  standingOrders: [['ReadStandingOrdersBasic', 'ReadStandingOrdersDetail']],
  directDebits: [['ReadDirectDebits']],
  scheduledPayments: [['ReadScheduledPaymentsBasic', 'ReadScheduledPaymentsDetail']],
};

export function permits(granted: readonly string[], resource: ObieResource): boolean {
  return NEEDS[resource].every((anyOf) => anyOf.some((p) => granted.includes(p)));
}

/** OBIE consistency rules for a permission set; answers a message for the first broken one. */
export function permissionProblem(perms: readonly string[]): string | undefined {
  const has = (p: string) => perms.includes(p);
  const txDetail = has('ReadTransactionsBasic') || has('ReadTransactionsDetail');
  const txDir = has('ReadTransactionsCredits') || has('ReadTransactionsDebits');
  if (txDetail && !txDir)
    return 'ReadTransactionsBasic/Detail needs ReadTransactionsCredits and/or ReadTransactionsDebits';
  if (txDir && !txDetail) return 'ReadTransactionsCredits/Debits needs ReadTransactionsBasic or ReadTransactionsDetail';
  if (new Set(perms).size !== perms.length) return 'Permissions must not repeat';
  return undefined;
}
