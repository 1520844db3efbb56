import { computeAccessBudget, type AccessLedgerRecord } from './access-budget.js';
import type { AccessWindow, BulkEndpoint, ProviderCapabilities } from './capabilities.js';
import type { Permission } from './permissions.js';

/**
 * What one sync of a consent costs at the bank, and whether the unattended budget allows it. A bank
 * counts unattended calls per consent, scope (an account, or '*' for the account list and bulk
 * endpoints) and resource; a sync needs at least one call of each kind below, so it is possible
 * only when every one of them has budget left. Pure: the caller loads the ledger.
 */

/** Resources as the bank (and the access ledger) counts them; the names of the connectors' AccessResource. */
export type SyncResource =
  | 'accounts'
  | 'balances'
  | 'transactions'
  | 'statements'
  | 'party'
  | 'beneficiaries'
  | 'standingOrders'
  | 'directDebits'
  | 'scheduledPayments';

export interface SyncCall {
  /** The bank's account id, or '*' for consent-level calls. */
  scope: string;
  resource: SyncResource;
}

/** Resources read per account when the consent permits them and the bank offers them. */
export const OPTIONAL_ACCOUNT_RESOURCES = [
  'beneficiaries',
  'standingOrders',
  'directDebits',
  'scheduledPayments',
  'statements',
  'party',
] as const satisfies readonly (Permission & SyncResource)[];
export type OptionalAccountResource = (typeof OPTIONAL_ACCOUNT_RESOURCES)[number];

/** The permissions a sync can use: granted by the consent and supported by the provider. */
export function usablePermissions(
  capabilities: Pick<ProviderCapabilities, 'supportedPermissions'>,
  permissions: readonly string[],
): Set<Permission> {
  return new Set(capabilities.supportedPermissions.filter((p) => permissions.includes(p)));
}

/**
 * The calls one sync makes (one each; pages and retries make more): the account list, then per
 * account (or once, '*', where the bank has a bulk endpoint) balances and transactions, and the
 * permitted optional resources per account (statements listed, not their transactions).
 */
export function syncCalls(
  capabilities: Pick<ProviderCapabilities, 'supportedPermissions' | 'bulkEndpoints'>,
  permissions: readonly string[],
  accountIds: readonly string[],
): SyncCall[] {
  const usable = usablePermissions(capabilities, permissions);
  const calls: SyncCall[] = [{ scope: '*', resource: 'accounts' }];
  const perAccount = (resource: SyncResource & BulkEndpoint) => {
    if (capabilities.bulkEndpoints.includes(resource)) calls.push({ scope: '*', resource });
    else for (const id of accountIds) calls.push({ scope: id, resource });
  };
  if (usable.has('balances')) perAccount('balances');
  if (usable.has('transactions')) perAccount('transactions');
  for (const resource of OPTIONAL_ACCOUNT_RESOURCES)
    if (usable.has(resource)) for (const id of accountIds) calls.push({ scope: id, resource });
  return calls;
}

export interface ScopeBudget extends SyncCall {
  used: number;
  remaining: number;
  /** When this scope allows one more unattended call; null = now. */
  nextAllowedAt: Date | null;
}

export interface SyncBudget {
  /** The consent's unattended calls per day, per scope and resource. */
  unattendedPerDay: number;
  window: AccessWindow['kind'];
  /** The most calls any one scope has made in its current window. */
  usedInWindow: number;
  /** When an unattended sync becomes possible again: null = now. */
  nextAllowedAt: Date | null;
  scopes: ScopeBudget[];
}

/** The unattended budget of a sync made of `calls`, from the consent's ledger entries. */
export function syncBudget(
  entries: readonly AccessLedgerRecord[],
  consentId: string,
  calls: readonly SyncCall[],
  unattendedPerDay: number,
  window: AccessWindow,
  now: Date,
): SyncBudget {
  if (!Number.isInteger(unattendedPerDay) || unattendedPerDay < 1)
    throw new RangeError(`unattendedPerDay must be a positive integer, got ${unattendedPerDay}`);
  const scopes = calls.map((call) => {
    const b = computeAccessBudget(
      entries,
      { consentId, scope: call.scope, resource: call.resource },
      unattendedPerDay,
      window,
      now,
    );
    return {
      scope: call.scope,
      resource: call.resource,
      used: b.used,
      remaining: b.remaining,
      nextAllowedAt: b.nextAllowedAt,
    };
  });
  // With a limit of at least 1, an exhausted scope always has a time when it frees up.
  const waits = scopes.filter((s) => s.remaining <= 0).map((s) => s.nextAllowedAt!.getTime());
  return {
    unattendedPerDay,
    window: window.kind,
    usedInWindow: Math.max(0, ...scopes.map((s) => s.used)),
    nextAllowedAt: waits.length === 0 ? null : new Date(Math.max(...waits)),
    scopes,
  };
}

/** The JSON shape of `budget` on a consent (GET /v1/consents/{id}). */
export interface SyncBudgetView {
  unattendedPerDay: number;
  window: AccessWindow['kind'];
  usedInWindow: number;
  nextAllowedAt: string | null;
  scopes: { scope: string; resource: SyncResource; used: number; remaining: number; nextAllowedAt: string | null }[];
}

export function syncBudgetView(b: SyncBudget): SyncBudgetView {
  return {
    unattendedPerDay: b.unattendedPerDay,
    window: b.window,
    usedInWindow: b.usedInWindow,
    nextAllowedAt: b.nextAllowedAt?.toISOString() ?? null,
    scopes: b.scopes.map((s) => ({
      scope: s.scope,
      resource: s.resource,
      used: s.used,
      remaining: s.remaining,
      nextAllowedAt: s.nextAllowedAt?.toISOString() ?? null,
    })),
  };
}
