import type { BgProfile } from '../berlin-group/bg.profile.js';
import { saltbank } from '../berlin-group/banks/saltbank.js';
import { alsalam } from '../obie/banks/alsalam.js';
import { allstar } from '../obie/banks/allstar.js';
import { ukGeneric } from '../obie/banks/uk-generic.js';
import type { ObieProfile } from '../obie/obie.profile.js';

export type BankProfile = ObieProfile | BgProfile;

/** Every bank profile by id (the `providers.profile` column). Adding a bank = a file + an entry. */
export const BANK_PROFILES: Readonly<Record<string, BankProfile>> = {
  allstar,
  alsalam,
  saltbank,
  'uk-generic': ukGeneric,
};

export function bankProfile(id: string): BankProfile {
  const p = BANK_PROFILES[id];
  if (!p) throw new Error(`unknown bank profile "${id}"`);
  return p;
}
