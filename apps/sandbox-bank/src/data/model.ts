import type { Decimal } from '../core/money.js';
import type { AccountKind, BankId } from './banks.js';

/** An identifier in the bank's own wire vocabulary (OBIE SchemeName or Berlin Group field name). */
export interface Identifier {
  scheme: string;
  identification: string;
  name?: string;
}

export type RecurringKind =
  'salary' | 'rent' | 'bill' | 'savings_out' | 'savings_in' | 'interest' | 'card_repayment' | 'supplier';

/** A standing order, direct debit or regular credit: drives both transactions and the SO/DD endpoints. */
export interface Recurring {
  id: string;
  kind: RecurringKind;
  instrument: 'standing_order' | 'direct_debit' | 'credit_transfer' | 'interest';
  dayOfMonth: number;
  /** Signed; null for card repayments, whose amount is last month's card spend. */
  amount: Decimal | null;
  counterparty: string;
  counterpartyIban?: string;
  counterpartySortCodeAccount?: string;
  reference: string;
  mandateId?: string;
  startDay: number;
}

export interface Account {
  bank: BankId;
  id: string;
  psu: string;
  ownerName: string;
  partyId: string;
  index: number;
  kind: AccountKind;
  currency: string;
  nickname: string;
  product: string;
  openedDay: number;
  iban?: string;
  bban?: string;
  sortCodeAccountNumber?: string;
  pan?: string;
  maskedPan?: string;
  openingBalance: Decimal;
  creditLimit?: Decimal;
  recurring: Recurring[];
  /** Identifiers in the bank's vocabulary, as the summary oracle reports them. */
  identifiers: Identifier[];
  /** The PSU's transactions carry Al Salam's seed data quirks (PsuSpec.wireQuirks). */
  wireQuirks: boolean;
}

/**
 * How a transaction is mis-rendered on the wire (Al Salam, seed 003). The ledger keeps the truth (sign,
 * booking instant): filters, balances and the summary oracle use it; only the response body differs.
 */
export type WireQuirk = 'noCreditDebitIndicator' | 'placeholderBookingDate';

export type TxnKind =
  | 'card'
  | 'card_refund'
  | 'salary'
  | 'rent'
  | 'bill'
  | 'savings_out'
  | 'savings_in'
  | 'interest'
  | 'card_repayment'
  | 'invoice_in'
  | 'supplier';

/** One generated money movement. Pending while originMs ≤ now < bookingMs, booked from bookingMs. */
export interface Txn {
  key: string;
  accountId: string;
  kind: TxnKind;
  originMs: number;
  originDay: number;
  bookingMs: number;
  bookingDay: number;
  amount: Decimal;
  currency: string;
  /** Bank transaction id of the booked entry; null when the bank sends none. */
  bookedId: string | null;
  /** Id of the pending entry (a different id); null when the transaction is never pending. */
  pendingId: string | null;
  /** Reference carried by both the pending and the booked entry, when the bank keeps the link. */
  reference: string | null;
  description: string;
  merchant?: { name: string; mcc: string };
  counterparty?: { name: string; iban?: string; sortCodeAccountNumber?: string };
  fx?: { currency: string; instructedAmount: Decimal; rate: Decimal };
  mandateId?: string;
  recurringId?: string;
  endToEndId?: string;
  wireQuirk?: WireQuirk;
}

export type TxnView = Txn & { status: 'booked' | 'pending' };
