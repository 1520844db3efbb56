import { isValidIban, normaliseIdentification } from './account.js';
import { addDays, localDateOf } from './calendar.js';
import { AppError, type FieldError } from './errors.js';
import type { ProviderCapabilities } from './capabilities.js';
import { DEFAULT_PERMISSIONS, isPermission, type Permission } from './permissions.js';

export const CONSENT_STATUSES = [
  'awaiting_authorisation',
  'authorised',
  'rejected',
  'revoked',
  'expired',
  'failed',
] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** What happened to a consent. Each event moves it along one edge of the state machine. */
export type ConsentEvent =
  | 'psu_authorised' // the bank authorised (first authorisation or a re-authorisation)
  | 'psu_rejected' // the PSU denied at the bank
  | 'authorisation_failed' // a bank error, an expired or invalid authorisation, a token exchange failure
  | 'expired' // the consent's validity ended
  | 'revoked_by_tenant'
  | 'revoked_by_bank' // the bank answered that the consent is gone
  | 'reauthorisation_started'; // a fresh authorisation URL was issued

/**
 * The consent lifecycle:
 *
 *   awaiting_authorisation ──psu_authorised──▶ authorised ──expired──▶ expired
 *        │  │  │                                  │  ▲ psu_authorised (re-authorisation keeps it authorised)
 *        │  │  └─psu_rejected──▶ rejected         └──revoked_*──▶ revoked (terminal)
 *        │  └─authorisation_failed──▶ failed
 *        └─expired / revoked_*
 *   rejected | failed | expired ──reauthorisation_started──▶ awaiting_authorisation
 *
 * A re-authorisation of an authorised consent leaves it authorised until the PSU finishes (a failed
 * re-authorisation does not take access away). Anything else is refused.
 */
const TRANSITIONS: Readonly<Record<ConsentStatus, Partial<Record<ConsentEvent, ConsentStatus>>>> = {
  awaiting_authorisation: {
    psu_authorised: 'authorised',
    psu_rejected: 'rejected',
    authorisation_failed: 'failed',
    expired: 'expired',
    revoked_by_tenant: 'revoked',
    revoked_by_bank: 'revoked',
    reauthorisation_started: 'awaiting_authorisation',
  },
  authorised: {
    psu_authorised: 'authorised',
    expired: 'expired',
    revoked_by_tenant: 'revoked',
    revoked_by_bank: 'revoked',
    reauthorisation_started: 'authorised',
    // A failed or rejected re-authorisation leaves the current access in place.
    authorisation_failed: 'authorised',
    psu_rejected: 'authorised',
  },
  rejected: { reauthorisation_started: 'awaiting_authorisation', revoked_by_tenant: 'revoked' },
  failed: { reauthorisation_started: 'awaiting_authorisation', revoked_by_tenant: 'revoked' },
  expired: { reauthorisation_started: 'awaiting_authorisation', revoked_by_tenant: 'revoked' },
  revoked: {},
};

export function nextConsentStatus(current: ConsentStatus, event: ConsentEvent): ConsentStatus | null {
  return TRANSITIONS[current][event] ?? null;
}

/** The next status, or an invalid_state_transition error naming both. */
export function transitionConsent(current: ConsentStatus, event: ConsentEvent): ConsentStatus {
  const next = nextConsentStatus(current, event);
  if (next === null) {
    throw new AppError('invalid_state_transition', `A consent that is ${current} cannot be ${describe(event)}.`, {
      consentStatus: current,
      event,
    });
  }
  return next;
}

function describe(event: ConsentEvent): string {
  switch (event) {
    case 'psu_authorised':
      return 'authorised';
    case 'psu_rejected':
      return 'rejected';
    case 'authorisation_failed':
      return 'failed';
    case 'expired':
      return 'expired';
    case 'revoked_by_tenant':
    case 'revoked_by_bank':
      return 'revoked';
    case 'reauthorisation_started':
      return 're-authorised';
  }
}

/** Schemes a tenant may name a consent's accounts by (POST /v1/consents `accounts`). */
export const CONSENT_ACCOUNT_SCHEMES = ['iban'] as const;

/** An account the tenant names for a dedicated-account consent; the identification normalised (IBAN: compact, upper case). */
export interface ConsentAccountReference {
  scheme: (typeof CONSENT_ACCOUNT_SCHEMES)[number];
  identification: string;
}

export interface ConsentRequest {
  permissions?: string[];
  expiresAt?: string;
  transactionsFrom?: string;
  frequencyPerDay?: number;
  /** Dedicated-account consent: the accounts the end user shares (absent: the end user picks them at the bank). */
  accounts?: readonly { scheme: string; identification: string }[];
}

export interface ResolvedConsentTerms {
  permissions: Permission[];
  expiresAt: Date;
  /** YYYY-MM-DD */
  transactionsFrom: string;
  frequencyPerDay: number;
  /** Present for a dedicated-account consent: the named accounts, normalised and without repeats. */
  accounts?: ConsentAccountReference[];
}

/** The accounts of a dedicated-account consent, checked against what the provider offers. */
function resolveConsentAccounts(
  requested: ConsentRequest['accounts'],
  caps: Pick<ProviderCapabilities, 'dedicatedAccountConsents'>,
  errors: FieldError[],
): ConsentAccountReference[] | undefined {
  if (requested === undefined) return undefined;
  if (!caps.dedicatedAccountConsents) {
    errors.push({
      field: 'accounts',
      message:
        'this provider does not offer dedicated-account consents: leave accounts out, the end user picks the accounts at the bank',
    });
    return undefined;
  }
  if (requested.length === 0)
    errors.push({ field: 'accounts', message: 'name at least one account, or leave accounts out' });
  const out = new Map<string, ConsentAccountReference>();
  requested.forEach((ref, i) => {
    if (ref.scheme !== 'iban') {
      errors.push({ field: `accounts[${i}].scheme`, message: `must be one of: ${CONSENT_ACCOUNT_SCHEMES.join(', ')}` });
      return;
    }
    if (!isValidIban(ref.identification)) {
      errors.push({ field: `accounts[${i}].identification`, message: 'must be a valid IBAN' });
      return;
    }
    const identification = normaliseIdentification('iban', ref.identification);
    out.set(`iban:${identification}`, { scheme: 'iban', identification });
  });
  return [...out.values()];
}

const DAY_MS = 86_400_000;

/**
 * How long a consent lasts when the tenant gives no `expiresAt` and the bank sets no maximum
 * (`maxConsentDays: null`, e.g. Al Salam): 90 days, the OBIE default (and Allstar's, seed 000).
 */
export const DEFAULT_CONSENT_DAYS = 90;

/**
 * The first date of the history a provider serves, on the bank's own calendar: the same date the
 * sync's window starts from. (UTC dates disagreed with it for hours a day: from 21:00 UTC a Bahraini
 * consent said it covered a day its syncs never read.)
 */
export function earliestHistoryDate(
  caps: Pick<ProviderCapabilities, 'timeZone' | 'maxHistoryDays'>,
  now: Date,
): string {
  return addDays(localDateOf(now, caps.timeZone), -caps.maxHistoryDays);
}

/**
 * Applies the provider's defaults and caps to what the tenant asked for. Asking beyond a cap is a
 * validation error that names the limit; nothing is silently clamped.
 */
export function resolveConsentTerms(
  request: ConsentRequest,
  caps: ProviderCapabilities,
  now: Date,
): ResolvedConsentTerms {
  const errors: FieldError[] = [];
  const maxExpiry = caps.maxConsentDays === null ? null : new Date(now.getTime() + caps.maxConsentDays * DAY_MS);
  const earliestFrom = earliestHistoryDate(caps, now);
  const today = localDateOf(now, caps.timeZone);

  const requested = request.permissions ?? [...DEFAULT_PERMISSIONS];
  const unknown = requested.filter((p) => !isPermission(p));
  const permissions = [...new Set(requested.filter(isPermission))];
  if (unknown.length > 0)
    errors.push({ field: 'permissions', message: `unknown permission(s): ${unknown.join(', ')}` });
  const unsupported = permissions.filter((p) => !caps.supportedPermissions.includes(p));
  if (unsupported.length > 0) {
    errors.push({
      field: 'permissions',
      message: `not supported by this provider: ${unsupported.join(', ')} (supported: ${caps.supportedPermissions.join(', ')})`,
    });
  }
  if (permissions.length === 0 && unknown.length === 0)
    errors.push({ field: 'permissions', message: 'at least one permission is required' });
  if ((permissions.includes('balances') || permissions.includes('transactions')) && !permissions.includes('accounts')) {
    permissions.unshift('accounts'); // every other resource is read through the account list
  }

  let expiresAt = maxExpiry ?? new Date(now.getTime() + DEFAULT_CONSENT_DAYS * DAY_MS);
  if (request.expiresAt !== undefined) {
    const parsed = new Date(request.expiresAt);
    if (Number.isNaN(parsed.getTime())) errors.push({ field: 'expiresAt', message: 'must be an ISO-8601 date-time' });
    else if (parsed.getTime() <= now.getTime() + 60_000)
      errors.push({ field: 'expiresAt', message: 'must be in the future' });
    else if (maxExpiry && parsed > maxExpiry) {
      errors.push({
        field: 'expiresAt',
        message: `exceeds this provider's maximum consent length of ${caps.maxConsentDays} days (latest ${maxExpiry.toISOString()})`,
      });
    } else expiresAt = parsed;
  }

  let transactionsFrom = earliestFrom;
  if (request.transactionsFrom !== undefined) {
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(request.transactionsFrom) ||
      Number.isNaN(Date.parse(`${request.transactionsFrom}T00:00:00Z`))
    ) {
      errors.push({ field: 'transactionsFrom', message: 'must be a date (YYYY-MM-DD)' });
    } else if (request.transactionsFrom < earliestFrom) {
      errors.push({
        field: 'transactionsFrom',
        message: `exceeds this provider's maximum history of ${caps.maxHistoryDays} days (earliest ${earliestFrom})`,
      });
    } else if (request.transactionsFrom > today) {
      errors.push({ field: 'transactionsFrom', message: 'must not be in the future' });
    } else transactionsFrom = request.transactionsFrom;
  }

  let frequencyPerDay = caps.maxFrequencyPerDay;
  if (request.frequencyPerDay !== undefined) {
    if (!Number.isInteger(request.frequencyPerDay) || request.frequencyPerDay < 1) {
      errors.push({ field: 'frequencyPerDay', message: 'must be an integer of at least 1' });
    } else if (request.frequencyPerDay > caps.maxFrequencyPerDay) {
      errors.push({
        field: 'frequencyPerDay',
        message: `exceeds this provider's maximum of ${caps.maxFrequencyPerDay} unattended accesses per day`,
      });
    } else frequencyPerDay = request.frequencyPerDay;
  }

  const accounts = resolveConsentAccounts(request.accounts, caps, errors);

  if (errors.length > 0)
    throw new AppError(
      'limit_exceeded',
      unsupported.length > 0
        ? `This provider does not serve: ${unsupported.join(', ')}.${errors.length > 1 ? ' See errors for the rest.' : ''}`
        : 'The consent asks for more than this provider allows, or for something invalid.',
      unsupported.length > 0 ? { unsupportedPermissions: unsupported } : {},
      errors,
    );
  return { permissions, expiresAt, transactionsFrom, frequencyPerDay, ...(accounts ? { accounts } : {}) };
}
