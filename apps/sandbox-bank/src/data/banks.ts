import type { Rng } from '../core/random.js';
import { BAHRAIN_MARKET, GERMAN_MARKET, UK_MARKET, type Market } from './catalog.js';
import { iban } from './identifiers.js';
import type { Account, Identifier } from './model.js';

export const BANK_IDS = ['allstar', 'alsalam', 'saltbank'] as const;
export type BankId = (typeof BANK_IDS)[number];
export const isBankId = (v: unknown): v is BankId =>
  typeof v === 'string' && (BANK_IDS as readonly string[]).includes(v);

export type AccountKind = 'current' | 'savings' | 'credit_card' | 'business';

export interface AccountSpec {
  kind: AccountKind;
  nickname: string;
}

export interface PsuSpec {
  username: string;
  password: string;
  otp: string;
  name: string;
  accounts: AccountSpec[];
  /**
   * Al Salam (seed 003) only: this PSU's transactions carry the seed's two data quirks (a credit sent
   * without CreditDebitIndicator, booked card payments dated 0001-01-02T21:00:00.000+0000); see
   * src/obie/alsalam-quirks.ts. One PSU, so every other PSU's data stays clean for the tests and demos
   * that read it.
   */
  wireQuirks?: boolean;
}

/** Local minutes of day from `min` to `max` (past 1440: the next day): one draw, even when min = max. */
export interface MinuteRange {
  min: number;
  max: number;
}

/** A range drawn from, or a fixed minute (`at`) that draws nothing. */
export type MinuteOfDay = MinuteRange | { at: number };

/** The account numbers of an account that is not a card, in the bank's own scheme. */
export type AccountNumbers = Pick<Account, 'sortCodeAccountNumber' | 'iban' | 'bban'>;

/** A counterparty's account at another bank of the market. */
export interface CounterpartyAccount {
  iban?: string;
  sortCodeAccountNumber?: string;
}

/**
 * Everything that differs between the banks' data is a field here; the generator reads these and
 * never asks which bank it is. The functions draw from the generator they are given, in a fixed order:
 * changing what or how they draw changes every id and amount after it.
 */
export interface BankProfile {
  id: BankId;
  name: string;
  standard: 'obie' | 'berlin-group';
  currency: string;
  timeZone: string;
  bic: string;
  market: Market;
  /** Probability that a booked transaction carries no bank transaction id (Al Salam: never has one). */
  missingIdRate: number;
  /** Probability that a card payment keeps a reference linking its pending and booked versions. */
  pendingLinkRate: number;
  /** Probability per day of a genuinely identical second card payment. */
  duplicateRate: number;
  /** Local minute of day when card payments book; Al Salam posts at local midnight. */
  bookingMinute: MinuteRange;
  /** Local minute of day of card payments (Al Salam's run past midnight). */
  cardMinute: MinuteRange;
  /** Local minute of day of salary, standing orders, direct debits, interest and card repayments. */
  recurringMinute: MinuteOfDay;
  /** Local minute of day of a business account's incoming invoice payments. */
  invoiceMinute: MinuteOfDay;
  /** Whether a card payment has an id of its own while pending (Al Salam sends none). */
  pendingIds: boolean;
  /** The id of a new account, in the bank's style. */
  accountId: (rng: Rng) => string;
  /** The issuer prefix (BIN) of the bank's cards. */
  cardBin: string;
  /** The account numbers of an account that is not a card. */
  accountNumbers: (rng: Rng) => AccountNumbers;
  /** An account's identifiers in the bank's wire vocabulary (as the summary oracle reports them). */
  identifiers: (account: Account) => Identifier[];
  /** A counterparty's account (salary, rent, suppliers, invoices). */
  counterpartyAccount: (rng: Rng) => CounterpartyAccount;
  psus: PsuSpec[];
}

export const BANKS: Record<BankId, BankProfile> = {
  allstar: {
    id: 'allstar',
    name: 'Allstar',
    standard: 'obie',
    currency: 'GBP',
    timeZone: 'Europe/London',
    bic: 'ALSTGB21',
    market: UK_MARKET,
    missingIdRate: 0.04,
    pendingLinkRate: 0.7,
    duplicateRate: 0.05,
    bookingMinute: { min: 300, max: 420 },
    cardMinute: { min: 450, max: 1350 },
    recurringMinute: { min: 360, max: 419 },
    invoiceMinute: { min: 540, max: 1020 },
    pendingIds: true,
    accountId: (rng) => rng.uuid(),
    cardBin: '465942',
    accountNumbers: (rng) => ({ sortCodeAccountNumber: `${rng.pick(['401276', '602011', '309634'])}${rng.digits(8)}` }),
    identifiers: (a) =>
      a.pan
        ? [{ scheme: 'UK.OBIE.PAN', identification: a.pan, name: a.ownerName }]
        : [{ scheme: 'UK.OBIE.SortCodeAccountNumber', identification: a.sortCodeAccountNumber!, name: a.ownerName }],
    counterpartyAccount: (rng) => ({
      sortCodeAccountNumber: `${rng.pick(['200000', '309950', '556611'])}${rng.digits(8)}`,
    }),
    psus: [
      {
        username: 'alice',
        password: 'alice-pass',
        otp: '123456',
        name: 'Alice Carter',
        accounts: [
          { kind: 'current', nickname: 'Everyday' },
          { kind: 'savings', nickname: 'Rainy day' },
          { kind: 'credit_card', nickname: 'Allstar Card' },
        ],
      },
      {
        username: 'bob',
        password: 'bob-pass',
        otp: '234567',
        name: 'Bob Singh',
        accounts: [
          { kind: 'current', nickname: 'Main' },
          { kind: 'credit_card', nickname: 'Travel card' },
        ],
      },
      {
        username: 'carol',
        password: 'carol-pass',
        otp: '345678',
        name: 'Carol Nguyen',
        accounts: [
          { kind: 'business', nickname: 'Nguyen Design Ltd' },
          { kind: 'credit_card', nickname: 'Business card' },
          { kind: 'current', nickname: 'Personal' },
        ],
      },
    ],
  },
  alsalam: {
    id: 'alsalam',
    name: 'Al Salam Bank',
    standard: 'obie',
    currency: 'BHD',
    timeZone: 'Asia/Bahrain',
    bic: 'ALSABHBM',
    market: BAHRAIN_MARKET,
    missingIdRate: 1,
    pendingLinkRate: 0,
    duplicateRate: 0.05,
    bookingMinute: { min: 0, max: 0 },
    cardMinute: { min: 480, max: 1560 },
    recurringMinute: { at: 0 },
    invoiceMinute: { at: 0 },
    pendingIds: false,
    accountId: (rng) => rng.base64url(16),
    cardBin: '599995',
    accountNumbers: (rng) => ({ iban: iban('BH', `ALSA${rng.digits(14)}`) }),
    // Seed 003: bare scheme names ("IBAN", "PAN"), and the PAN already masked by the bank.
    identifiers: (a) =>
      a.maskedPan ? [{ scheme: 'PAN', identification: a.maskedPan }] : [{ scheme: 'IBAN', identification: a.iban! }],
    counterpartyAccount: (rng) => ({ iban: iban('BH', `${rng.pick(['NBOB', 'BBKU', 'KFHB'])}${rng.digits(14)}`) }),
    psus: [
      {
        username: 'fatima',
        password: 'fatima-pass',
        otp: '111111',
        name: 'Fatima Al Khalifa',
        accounts: [
          { kind: 'current', nickname: 'Current' },
          { kind: 'savings', nickname: 'Savings' },
          { kind: 'credit_card', nickname: 'Visa Platinum' },
        ],
      },
      {
        username: 'ahmed',
        password: 'ahmed-pass',
        otp: '222222',
        name: 'Ahmed Hassan',
        accounts: [
          { kind: 'current', nickname: 'Current' },
          { kind: 'credit_card', nickname: 'Mastercard' },
        ],
      },
      {
        username: 'layla',
        password: 'layla-pass',
        otp: '333333',
        name: 'Layla Mansoor',
        accounts: [
          { kind: 'business', nickname: 'Mansoor Trading' },
          { kind: 'current', nickname: 'Personal' },
        ],
        wireQuirks: true,
      },
    ],
  },
  saltbank: {
    id: 'saltbank',
    name: 'Salt Bank',
    standard: 'berlin-group',
    currency: 'EUR',
    timeZone: 'Europe/Berlin',
    bic: 'SALTDEFFXXX',
    market: GERMAN_MARKET,
    missingIdRate: 0.04,
    pendingLinkRate: 0.7,
    duplicateRate: 0.05,
    bookingMinute: { min: 240, max: 360 },
    cardMinute: { min: 450, max: 1350 },
    recurringMinute: { min: 360, max: 419 },
    invoiceMinute: { min: 540, max: 1020 },
    pendingIds: true,
    accountId: (rng) => rng.base64url(12).replace(/[-_]/g, 'x'),
    cardBin: '535522',
    accountNumbers: (rng) => {
      const bban = `${rng.pick(['37040044', '50010517', '70020270'])}${rng.digits(10)}`;
      return { bban, iban: iban('DE', bban) };
    },
    // Berlin Group field names; a card account is known by its masked PAN (/v1/card-accounts).
    identifiers: (a) =>
      a.maskedPan
        ? [{ scheme: 'maskedPan', identification: a.maskedPan }]
        : [
            { scheme: 'iban', identification: a.iban! },
            { scheme: 'bban', identification: a.bban! },
          ],
    counterpartyAccount: (rng) => ({
      iban: iban('DE', `${rng.pick(['10070000', '20041111', '43060967'])}${rng.digits(10)}`),
    }),
    psus: [
      {
        username: 'max',
        password: 'max-pass',
        otp: '444444',
        name: 'Max Mustermann',
        accounts: [
          { kind: 'current', nickname: 'Girokonto' },
          { kind: 'savings', nickname: 'Tagesgeld' },
        ],
      },
      {
        username: 'erika',
        password: 'erika-pass',
        otp: '555555',
        name: 'Erika Musterfrau',
        accounts: [
          { kind: 'current', nickname: 'Girokonto' },
          { kind: 'savings', nickname: 'Sparkonto' },
          { kind: 'business', nickname: 'Musterfrau Consulting' },
        ],
      },
      {
        username: 'jonas',
        password: 'jonas-pass',
        otp: '666666',
        name: 'Jonas Weber',
        // A card account (Berlin Group /v1/card-accounts), after the existing account so that its ids
        // and history stay as they were.
        accounts: [
          { kind: 'current', nickname: 'Girokonto' },
          { kind: 'credit_card', nickname: 'Salt Mastercard' },
        ],
      },
    ],
  },
};
