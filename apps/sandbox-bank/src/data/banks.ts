import { BAHRAIN_MARKET, GERMAN_MARKET, UK_MARKET, type Market } from './catalog.js';

export const BANK_IDS = ['allstar', 'alsalam', 'saltbank'] as const;
export type BankId = (typeof BANK_IDS)[number];
export const isBankId = (v: unknown): v is BankId => typeof v === 'string' && (BANK_IDS as readonly string[]).includes(v);

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
  bookingMinute: { min: number; max: number };
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
        accounts: [{ kind: 'current', nickname: 'Girokonto' }],
      },
    ],
  },
};
