import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import { canonicalDecimal, newId } from '@ais/domain';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { fingerprintOfRow, type FingerprintColumns, type StoredFingerprint } from './transaction-write.repository.js';

export interface StoredAccount {
  id: string;
  identityKey: string;
  externalId: string;
  contentHash: string | null;
  /** YYYY-MM-DD: the history is stored from this date on (first sync progress). */
  backfilledFrom: string | null;
}

const lit = pg.escapeLiteral;

/** The consent's accounts as `StoredAccount`s, as one statement with literals (for a statement list). */
export const storedAccountsStatement = (tenantId: string, consentId: string): string =>
  `SELECT id, identity_key, external_id, content_hash, backfilled_from::text AS backfilled_from
     FROM accounts WHERE tenant_id = ${lit(tenantId)} AND consent_id = ${lit(consentId)}`;

export const storedAccountOfRow = (a: {
  id: string;
  identity_key: string;
  external_id: string;
  content_hash: string | null;
  backfilled_from: string | null;
}): StoredAccount => ({
  id: a.id,
  identityKey: a.identity_key,
  externalId: a.external_id,
  contentHash: a.content_hash,
  backfilledFrom: a.backfilled_from,
});

/** An account as the sync writes it; JSON columns as values. */
export interface AccountRow {
  identityKey: string;
  externalId: string;
  type: string;
  subtype: string | null;
  currency: string;
  name: string | null;
  nickname: string | null;
  identifiers: unknown;
  servicer: unknown;
  status: string;
  openedAt: string | null;
  raw: unknown;
  contentHash: string;
}

export interface BalanceRow {
  type: string;
  originalType: string;
  amount: string;
  currency: string;
  creditLines: unknown;
  referenceDate: string | null;
  referenceAt: string | null;
}

export interface ResourceRow {
  externalId: string;
  data: unknown;
}

export type ResourceKind =
  'statement' | 'party' | 'beneficiary' | 'standing_order' | 'direct_debit' | 'scheduled_payment';

/**
 * JSON text with object keys sorted (jsonb read back from Postgres reorders keys; a bank may too), for
 * content hashes and comparisons. Same rules as JSON.stringify otherwise; a hot path of the sync.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined || typeof value !== 'object')
    return JSON.stringify(value ?? null) ?? 'null';
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return canonicalJson(json.call(value));
  if (Array.isArray(value))
    return `[${value.map((v: unknown) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v !== undefined && typeof v !== 'function') parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** What makes a balance different: the observation instant alone (OBIE sends "now") does not. */
function balanceKey(b: Pick<BalanceRow, 'type' | 'originalType'>): string {
  return `${b.type}\u0000${b.originalType}`;
}
function balanceContent(b: Omit<BalanceRow, 'referenceAt'>): string {
  return canonicalJson([canonicalDecimal(b.amount), b.currency, b.creditLines ?? [], b.referenceDate]);
}

/** A balance as stored, as `replaceBalances` compares it. */
export type StoredBalance = Omit<BalanceRow, 'referenceAt'>;

/** The incoming balances that differ from the stored ones, and the stored ones the bank no longer lists. */
export function balanceChanges(
  current: readonly StoredBalance[],
  balances: readonly BalanceRow[],
): { changed: BalanceRow[]; gone: StoredBalance[] } {
  const before = new Map(current.map((b) => [balanceKey(b), balanceContent(b)]));
  const incoming = new Set(balances.map(balanceKey));
  return {
    changed: balances.filter((b) => before.get(balanceKey(b)) !== balanceContent(b)),
    gone: current.filter((b) => !incoming.has(balanceKey(b))),
  };
}

/** The items that are new or differ from the stored ones of their kind, and the stored ones the bank no longer lists. */
export function resourceChanges<T extends { externalId: string; data: unknown }>(
  current: readonly T[],
  items: readonly ResourceRow[],
): { changed: ResourceRow[]; gone: T[] } {
  const before = new Map(current.map((r) => [r.externalId, canonicalJson(r.data)]));
  const seen = new Set(items.map((i) => i.externalId));
  return {
    changed: items.filter((i) => before.get(i.externalId) !== canonicalJson(i.data)),
    gone: current.filter((r) => !seen.has(r.externalId)),
  };
}

/** Whether a sync that served and refused these resources changes the account's `unavailable` list (what `markAvailability` writes). */
export function changesUnavailable(
  current: readonly string[],
  change: { refused: readonly string[]; served: readonly string[] },
): boolean {
  const served = new Set(change.served);
  const next = new Set([...current, ...change.refused].filter((r) => !served.has(r)));
  return next.size !== new Set(current).size || current.some((r) => !next.has(r));
}

/** What a sync batch compares with before writing an account's data (see `storedState`). */
export interface StoredAccountState {
  fingerprint: StoredFingerprint | null;
  balances: StoredBalance[];
  /** Every optional resource of the account, by kind. */
  resources: Map<ResourceKind, { externalId: string; data: unknown }[]>;
  unavailable: string[];
}

/** An account's state as `storedStatesStatement` reads it. */
export type StoredStateRow = FingerprintColumns & {
  account_id: string;
  balances: StoredBalance[];
  resources: { kind: ResourceKind; externalId: string; data: unknown }[];
  unavailable: string[] | null;
};

/**
 * The stored state (`AccountWriteRepository.storedState`) of one account, or of each of a consent's
 * accounts, as one statement with literals (for a statement list: `SyncRunRepository.begin`).
 */
export function storedStatesStatement(of: { accountId: string } | { tenantId: string; consentId: string }): string {
  const where =
    'accountId' in of
      ? `a.id = ${lit(of.accountId)}`
      : `a.tenant_id = ${lit(of.tenantId)} AND a.consent_id = ${lit(of.consentId)}`;
  return `SELECT a.id AS account_id, f.window_from::text AS window_from, f.window_to::text AS window_to, f.days,
                 coalesce((SELECT json_agg(json_build_object('type', type, 'originalType', original_type,
                                                             'amount', amount::text, 'currency', currency,
                                                             'creditLines', credit_lines, 'referenceDate', reference_date::text))
                             FROM balances WHERE account_id = a.id), '[]') AS balances,
                 coalesce((SELECT json_agg(json_build_object('kind', kind, 'externalId', external_id, 'data', data))
                             FROM account_resources WHERE account_id = a.id), '[]') AS resources,
                 a.unavailable
            FROM accounts a LEFT JOIN transaction_fingerprints f ON f.account_id = a.id
           WHERE ${where}`;
}

/** An account's stored state from its row; none stored (no row: the account is not there) when undefined. */
export function storedStateOfRow(row: StoredStateRow | undefined): StoredAccountState {
  const resources = new Map<ResourceKind, { externalId: string; data: unknown }[]>();
  for (const { kind, ...r } of row?.resources ?? []) {
    const list = resources.get(kind);
    if (list) list.push(r);
    else resources.set(kind, [r]);
  }
  return {
    fingerprint: row ? fingerprintOfRow(row) : null,
    balances: row?.balances ?? [],
    resources,
    unavailable: row?.unavailable ?? [],
  };
}

/**
 * The load path of accounts, balances and the optional per-account resources. Accounts are matched by
 * identity key (identifiers, not the bank's id), so a re-authorisation that brings new bank ids keeps
 * our ids and data. Each method writes only what changed.
 */
@Injectable()
export class AccountWriteRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * The account's transaction fingerprint, balances, optional resources and unavailable list in one
   * statement, outside any transaction and lock: what a sync batch compares with to know that it has
   * nothing to write (the sync-worker's `storedAlready`). One snapshot: the fingerprint and the rows it
   * sums up were committed together.
   */
  async storedState(accountId: string): Promise<StoredAccountState> {
    const [row] = await this.prisma.$queryRawUnsafe<StoredStateRow[]>(storedStatesStatement({ accountId }));
    return storedStateOfRow(row);
  }

  async listForConsent(
    tenantId: string,
    consentId: string,
    tx: Prisma.TransactionClient = this.prisma,
  ): Promise<StoredAccount[]> {
    return (
      await tx.$queryRawUnsafe<Parameters<typeof storedAccountOfRow>[0][]>(storedAccountsStatement(tenantId, consentId))
    ).map(storedAccountOfRow);
  }

  /**
   * Deletes everything stored from the consent's bank data (`DELETE /v1/consents/{id}?purge=true`):
   * its accounts, balances and their history, optional resources, transactions and change log. The
   * consent row, its runs and its events stay.
   */
  async purgeConsentData(tx: Prisma.TransactionClient, tenantId: string, consentId: string): Promise<void> {
    await tx.$executeRaw`DELETE FROM transactions WHERE tenant_id = ${tenantId} AND consent_id = ${consentId}`;
    await tx.$executeRaw`DELETE FROM transaction_changes WHERE tenant_id = ${tenantId} AND consent_id = ${consentId}`;
    await tx.$executeRaw`DELETE FROM balances WHERE tenant_id = ${tenantId} AND account_id IN (SELECT id FROM accounts WHERE consent_id = ${consentId})`;
    await tx.$executeRaw`DELETE FROM balance_history WHERE tenant_id = ${tenantId} AND account_id IN (SELECT id FROM accounts WHERE consent_id = ${consentId})`;
    await tx.$executeRaw`DELETE FROM account_resources WHERE tenant_id = ${tenantId} AND account_id IN (SELECT id FROM accounts WHERE consent_id = ${consentId})`;
    await tx.$executeRaw`DELETE FROM accounts WHERE tenant_id = ${tenantId} AND consent_id = ${consentId}`;
  }

  /** Records that the account's history is stored from `from` on (only ever moves back in time). */
  async markBackfilled(tx: Prisma.TransactionClient, accountId: string, from: string): Promise<void> {
    await tx.$executeRaw`UPDATE accounts SET backfilled_from = ${from}::date
                          WHERE id = ${accountId} AND (backfilled_from IS NULL OR backfilled_from > ${from}::date)`;
  }

  /**
   * What this sync learnt of the account's optional resources: the bank refused `refused` (listed in
   * accounts.unavailable) and served `served` (taken off it); resources not asked for keep their state.
   * Writes only when the list changes, so a sync that learns nothing new writes nothing.
   */
  async markAvailability(
    tx: Prisma.TransactionClient,
    accountId: string,
    change: { refused: readonly string[]; served: readonly string[] },
  ): Promise<void> {
    if (change.refused.length + change.served.length === 0) return;
    await tx.$executeRaw`
      UPDATE accounts a SET unavailable = n.next
        FROM (SELECT ARRAY(SELECT DISTINCT r FROM unnest(coalesce(unavailable, '{}') || ${[...change.refused]}::text[]) AS r
                            WHERE NOT (r = ANY(${[...change.served]}::text[])) ORDER BY r) AS next
                FROM accounts WHERE id = ${accountId}) n
       WHERE a.id = ${accountId} AND a.unavailable IS DISTINCT FROM n.next`;
  }

  /** Inserts a new account or overwrites a changed one; returns its id. */
  async upsert(
    tx: Prisma.TransactionClient,
    scope: { tenantId: string; consentId: string; providerId: string },
    row: AccountRow,
    existing: StoredAccount | undefined,
    now: Date,
  ): Promise<string> {
    const data = {
      externalId: row.externalId,
      type: row.type,
      subtype: row.subtype,
      currency: row.currency,
      name: row.name,
      nickname: row.nickname,
      identifiers: row.identifiers as Prisma.InputJsonValue,
      servicer: (row.servicer ?? undefined) as Prisma.InputJsonValue | undefined,
      status: row.status,
      openedAt: row.openedAt ? new Date(`${row.openedAt}T00:00:00Z`) : null,
      raw: (row.raw ?? undefined) as Prisma.InputJsonValue | undefined,
      contentHash: row.contentHash,
    };
    if (!existing) {
      const id = newId('account');
      await tx.account.create({
        data: {
          id,
          tenantId: scope.tenantId,
          consentId: scope.consentId,
          providerId: scope.providerId,
          identityKey: row.identityKey,
          createdAt: now,
          ...data,
        },
      });
      return id;
    }
    if (existing.contentHash !== row.contentHash || existing.externalId !== row.externalId)
      await tx.account.update({ where: { id: existing.id }, data });
    return existing.id;
  }

  /**
   * Replaces the account's current balances when any changed (amount, credit lines, reference date),
   * and appends the changed ones to balance_history. Returns whether anything was written.
   */
  async replaceBalances(
    tx: Prisma.TransactionClient,
    input: { tenantId: string; accountId: string; balances: BalanceRow[]; syncRunId: string; now: Date },
  ): Promise<boolean> {
    const current = await tx.$queryRaw<StoredBalance[]>`
      SELECT type, original_type AS "originalType", amount::text AS amount, currency, credit_lines AS "creditLines", reference_date::text AS "referenceDate"
        FROM balances WHERE account_id = ${input.accountId}`;
    const { changed, gone } = balanceChanges(current, input.balances);
    if (changed.length === 0 && gone.length === 0) return false;
    for (const b of gone)
      await tx.balance.delete({
        where: {
          accountId_type_originalType: { accountId: input.accountId, type: b.type, originalType: b.originalType },
        },
      });
    for (const b of changed) {
      const values = {
        amount: b.amount,
        currency: b.currency,
        creditLines: (b.creditLines ?? []) as Prisma.InputJsonValue,
        referenceDate: b.referenceDate ? new Date(`${b.referenceDate}T00:00:00Z`) : null,
        referenceAt: b.referenceAt ? new Date(b.referenceAt) : null,
        syncedAt: input.now,
      };
      await tx.balance.upsert({
        where: {
          accountId_type_originalType: { accountId: input.accountId, type: b.type, originalType: b.originalType },
        },
        create: {
          accountId: input.accountId,
          tenantId: input.tenantId,
          type: b.type,
          originalType: b.originalType,
          ...values,
        },
        update: values,
      });
    }
    await tx.balanceHistory.createMany({
      data: changed.map((b) => ({
        accountId: input.accountId,
        tenantId: input.tenantId,
        type: b.type,
        originalType: b.originalType,
        amount: b.amount,
        currency: b.currency,
        referenceDate: b.referenceDate ? new Date(`${b.referenceDate}T00:00:00Z`) : null,
        referenceAt: b.referenceAt ? new Date(b.referenceAt) : null,
        syncRunId: input.syncRunId,
        recordedAt: input.now,
      })),
    });
    return true;
  }

  /**
   * Replaces one kind of optional resource of an account (beneficiaries, standing orders…), keyed by
   * the bank's id: new and changed items are written, items the bank no longer lists are deleted.
   */
  async replaceResources(
    tx: Prisma.TransactionClient,
    input: { tenantId: string; accountId: string; kind: ResourceKind; items: ResourceRow[]; now: Date },
  ): Promise<boolean> {
    const current = await tx.accountResource.findMany({
      where: { accountId: input.accountId, kind: input.kind },
      select: { id: true, externalId: true, data: true },
    });
    const before = new Map(current.map((r) => [r.externalId, r]));
    const changes = resourceChanges(current, input.items);
    const gone = changes.gone.map((r) => r.id);
    const { changed } = changes;
    if (gone.length === 0 && changed.length === 0) return false;
    if (gone.length > 0) await tx.accountResource.deleteMany({ where: { id: { in: gone } } });
    for (const item of changed) {
      const existing = before.get(item.externalId);
      if (existing)
        await tx.accountResource.update({
          where: { id: existing.id },
          data: { data: item.data as Prisma.InputJsonValue, syncedAt: input.now },
        });
      else
        await tx.accountResource.create({
          data: {
            id: newId('resource'),
            tenantId: input.tenantId,
            accountId: input.accountId,
            kind: input.kind,
            externalId: item.externalId,
            data: item.data as Prisma.InputJsonValue,
            syncedAt: input.now,
          },
        });
    }
    return true;
  }

  /** Bank ids of the account's statements whose transactions have been fetched (an empty statement too). */
  async statementsWithTransactions(accountId: string): Promise<Set<string>> {
    const rows = await this.prisma.accountResource.findMany({
      where: { accountId, kind: 'statement', transactionsFetchedAt: { not: null } },
      select: { externalId: true },
    });
    return new Set(rows.map((r) => r.externalId));
  }

  /** Stores a statement's transactions in the bank's order (the statement row is stored first). */
  async storeStatementTransactions(
    tx: Prisma.TransactionClient,
    accountId: string,
    statementExternalId: string,
    items: unknown[],
  ): Promise<void> {
    const statement = await tx.accountResource.findFirst({
      where: { accountId, kind: 'statement', externalId: statementExternalId },
      select: { id: true },
    });
    if (!statement) return;
    await tx.accountResource.update({ where: { id: statement.id }, data: { transactionsFetchedAt: new Date() } });
    await tx.statementTransaction.deleteMany({ where: { statementId: statement.id } });
    if (items.length > 0) {
      await tx.statementTransaction.createMany({
        data: items.map((data, position) => ({
          statementId: statement.id,
          position,
          data: data as Prisma.InputJsonValue,
        })),
      });
    }
  }
}
