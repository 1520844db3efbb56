/**
 * The normalised bank account. Identifier schemes are normalised across standards (OBIE's
 * `UK.OBIE.IBAN` and Berlin Group's `iban` are both `iban`), and `accountIdentityKey` matches an
 * account across re-authorisations by what identifies it at the bank, not by the bank's resource id
 * (which may change with every consent).
 */
export const ACCOUNT_IDENTIFIER_SCHEMES = ['iban', 'bban', 'sortCodeAccountNumber', 'pan', 'msisdn', 'other'] as const;
export type AccountIdentifierScheme = (typeof ACCOUNT_IDENTIFIER_SCHEMES)[number];

export interface AccountIdentifier {
  scheme: AccountIdentifierScheme;
  identification: string;
  name?: string;
  /** The bank's own scheme name when it is not one of ours (e.g. `UK.OBIE.Wallet`), or a secondary id. */
  schemeName?: string;
  secondaryIdentification?: string;
}

export interface AccountServicer {
  scheme: string;
  identification: string;
}

export const ACCOUNT_TYPES = ['personal', 'business', 'unknown'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const ACCOUNT_STATUSES = [
  'enabled',
  'disabled',
  'deleted',
  'pending',
  'proForma',
  'blocked',
  'unknown',
] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export interface Account {
  /** The bank's resource id for this consent (OBIE AccountId, Berlin Group resourceId). */
  externalId: string;
  type: AccountType;
  /** e.g. currentAccount, savings, creditCard, loan (OBIE AccountSubType / BG cashAccountType mapped). */
  subtype: string | null;
  currency: string;
  name: string | null;
  nickname: string | null;
  identifiers: AccountIdentifier[];
  servicer: AccountServicer | null;
  status: AccountStatus;
  /** Local calendar date the account was opened (YYYY-MM-DD). */
  openedAt: string | null;
  /** Holder name(s) when the bank gives them. */
  ownerName?: string | null;
  /** Product name, usage etc. that do not fit elsewhere. */
  product?: string | null;
  raw: unknown;
}

/** Canonical text of an identification: case and separators do not make a different account. */
export function normaliseIdentification(scheme: AccountIdentifierScheme, identification: string): string {
  const compact = identification.replace(/[\s-]/g, '');
  switch (scheme) {
    case 'iban':
    case 'bban':
      return compact.toUpperCase();
    case 'sortCodeAccountNumber':
      return compact.replace(/\D/g, '');
    case 'pan':
      // Masked PANs vary in mask characters (x, X, *): the visible digits and length identify the card.
      return compact.replace(/[^0-9]/g, (c) => (/[xX*•]/.test(c) ? '*' : ''));
    case 'msisdn':
      return compact.replace(/[^\d+]/g, '');
    case 'other':
      return compact;
  }
}

/** An IBAN (ISO 13616): country, check digits and BBAN, spaces allowed, with valid mod-97 check digits. */
export function isValidIban(value: string): boolean {
  const v = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(v)) return false;
  const digits = `${v.slice(4)}${v.slice(0, 4)}`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  return rest === 1;
}

/** Strongest first: an IBAN identifies an account everywhere; a masked PAN only within one bank. */
const IDENTITY_PRIORITY: readonly AccountIdentifierScheme[] = [
  'iban',
  'sortCodeAccountNumber',
  'bban',
  'pan',
  'msisdn',
  'other',
];

/**
 * A stable key for matching accounts across re-authorisation: the strongest identifier (IBAN, then
 * sort code + account number, BBAN, masked PAN, MSISDN, other) with the account currency (one IBAN
 * can hold several currency sub-accounts). Only when the bank gives no identifier at all does the key
 * fall back to the bank's resource id.
 */
export function accountIdentityKey(account: Pick<Account, 'identifiers' | 'currency' | 'externalId'>): string {
  for (const scheme of IDENTITY_PRIORITY) {
    const matches = account.identifiers
      .filter((i) => i.scheme === scheme && i.identification.trim() !== '')
      .map((i) => normaliseIdentification(scheme, i.identification))
      .sort();
    if (matches.length > 0) return `${scheme}:${matches[0]}:${account.currency}`;
  }
  return `ext:${account.externalId}`;
}
