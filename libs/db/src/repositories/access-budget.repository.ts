import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import {
  accessWindowStart,
  syncBudget,
  syncBudgetView,
  syncCalls,
  type AccessLedgerRecord,
  type ProviderCapabilities,
  type SyncBudget,
  type SyncBudgetView,
} from '@ais/domain';
import type { PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export interface BudgetSubject {
  tenantId: string;
  consentId: string;
  permissions: readonly string[];
  frequencyPerDay: number;
  capabilities: Pick<ProviderCapabilities, 'accessWindow' | 'bulkEndpoints' | 'supportedPermissions'>;
  /** The bank's ids of the consent's accounts (per-account scopes); default: the stored accounts. */
  accountExternalIds?: readonly string[];
}

/**
 * The budget of a subject's next sync from its unattended ledger entries (at least those since the
 * start of its bank's current window; earlier ones are not counted).
 */
export function syncBudgetOf(
  subject: BudgetSubject & { accountExternalIds: readonly string[] },
  entries: readonly AccessLedgerRecord[],
  now: Date,
): SyncBudget {
  return syncBudget(
    entries,
    subject.consentId,
    syncCalls(subject.capabilities, subject.permissions, subject.accountExternalIds),
    subject.frequencyPerDay,
    subject.capabilities.accessWindow,
    now,
  );
}

/** How far back `unattendedEntriesStatement` reads: any bank's window (24 h, or a local day of up to 25 h). */
const LEDGER_LOOK_BACK_MS = 26 * 3_600_000;

/**
 * A consent's unattended ledger entries that may count in its bank's current window, as one statement
 * with literals (for a statement list; `syncBudgetOf` counts those of the window). Entries stamped
 * after `now` are read too: they count (`computeAccessBudget`).
 */
export const unattendedEntriesStatement = (consentId: string, now: Date): string =>
  `SELECT consent_id AS "consentId", scope, resource, psu_present AS "psuPresent", at FROM access_ledger
    WHERE consent_id = ${pg.escapeLiteral(consentId)} AND psu_present = false
      AND at > ${pg.escapeLiteral(new Date(now.getTime() - LEDGER_LOOK_BACK_MS).toISOString())}::timestamptz`;

/**
 * The unattended-access budget of consents, read from the access ledger that the connector-service's
 * guard writes (the same rows, the same window rules: libs/domain access-budget), each consent over
 * its bank's own access window. The `CheckSyncBudget` use case (libs/sync) decides with it for the
 * scheduler, the worker, the refresh endpoint and the consent's `budget` object.
 */
@Injectable()
export class AccessBudgetRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** `{ unattendedPerDay, window, usedInWindow, nextAllowedAt, scopes[] }` of the tenant's consent, or null. */
  async consentBudget(tenantId: string, consentId: string, now: Date = new Date()): Promise<SyncBudgetView | null> {
    const consent = await this.prisma.consent.findFirst({
      where: { id: consentId, tenantId },
      select: { permissions: true, frequencyPerDay: true, provider: { select: { capabilities: true } } },
    });
    if (!consent) return null;
    const budget = await this.syncBudget(
      {
        tenantId,
        consentId,
        permissions: consent.permissions,
        frequencyPerDay: consent.frequencyPerDay,
        capabilities: consent.provider.capabilities as unknown as ProviderCapabilities,
      },
      now,
    );
    return syncBudgetView(budget);
  }

  async syncBudget(subject: BudgetSubject, now: Date): Promise<SyncBudget> {
    return (await this.syncBudgets([subject], now)).get(subject.consentId)!;
  }

  /** The budgets of many consents (a page of them) by consent id, in two queries. */
  async syncBudgets(subjects: readonly BudgetSubject[], now: Date): Promise<Map<string, SyncBudget>> {
    const out = new Map<string, SyncBudget>();
    if (subjects.length === 0) return out;
    const [accounts, entries] = await Promise.all([this.accountIdsOf(subjects), this.unattendedEntries(subjects, now)]);
    const entriesOf = new Map<string, AccessLedgerRecord[]>();
    for (const e of entries) entriesOf.set(e.consentId, [...(entriesOf.get(e.consentId) ?? []), e]);
    for (const subject of subjects)
      out.set(
        subject.consentId,
        syncBudgetOf(
          { ...subject, accountExternalIds: subject.accountExternalIds ?? accounts.get(subject.consentId) ?? [] },
          entriesOf.get(subject.consentId) ?? [],
          now,
        ),
      );
    return out;
  }

  /** The stored accounts' bank ids of the subjects that did not bring their own. */
  private async accountIdsOf(subjects: readonly BudgetSubject[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const wanted = subjects.filter((s) => !s.accountExternalIds);
    if (wanted.length === 0) return out;
    const tenantOf = new Map(wanted.map((s) => [s.consentId, s.tenantId]));
    const rows = await this.prisma.account.findMany({
      where: { consentId: { in: [...tenantOf.keys()] }, tenantId: { in: [...new Set(tenantOf.values())] } },
      select: { tenantId: true, consentId: true, externalId: true },
    });
    for (const row of rows)
      if (tenantOf.get(row.consentId) === row.tenantId)
        out.set(row.consentId, [...(out.get(row.consentId) ?? []), row.externalId]);
    return out;
  }

  /** The unattended ledger entries of each subject since the start of its bank's current window. */
  private async unattendedEntries(subjects: readonly BudgetSubject[], now: Date): Promise<AccessLedgerRecord[]> {
    // Consents whose windows start at the same instant share one branch of the query.
    const bySince = new Map<number, string[]>();
    for (const s of subjects) {
      const since = accessWindowStart(s.capabilities.accessWindow, now).getTime() - 1;
      bySince.set(since, [...(bySince.get(since) ?? []), s.consentId]);
    }
    return this.prisma.accessLedgerEntry.findMany({
      where: {
        psuPresent: false,
        OR: [...bySince].map(([since, ids]) => ({ consentId: { in: ids }, at: { gte: new Date(since), lte: now } })),
      },
      select: { consentId: true, scope: true, resource: true, psuPresent: true, at: true },
    });
  }
}
