import { Inject, Injectable } from '@nestjs/common';
import { accessWindowStart, syncBudget, syncBudgetView, syncCalls, type ProviderCapabilities, type SyncBudget, type SyncBudgetView } from '@ais/domain';
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
 * The unattended-access budget of a consent, read from the access ledger that the connector-service's
 * guard writes (the same rows, the same window rules: libs/domain access-budget). `consentBudget` is
 * the consent's `budget` object for GET /v1/consents/{id}; `syncBudget` is what the scheduler and the
 * refresh endpoint decide with.
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
      { tenantId, consentId, permissions: consent.permissions, frequencyPerDay: consent.frequencyPerDay, capabilities: consent.provider.capabilities as unknown as ProviderCapabilities },
      now,
    );
    return syncBudgetView(budget);
  }

  async syncBudget(subject: BudgetSubject, now: Date): Promise<SyncBudget> {
    const accountIds =
      subject.accountExternalIds ??
      (await this.prisma.account.findMany({ where: { tenantId: subject.tenantId, consentId: subject.consentId }, select: { externalId: true } })).map((a) => a.externalId);
    const since = new Date(accessWindowStart(subject.capabilities.accessWindow, now).getTime() - 1);
    const entries = await this.prisma.accessLedgerEntry.findMany({
      where: { consentId: subject.consentId, psuPresent: false, at: { gte: since, lte: now } },
      select: { consentId: true, scope: true, resource: true, psuPresent: true, at: true },
    });
    const calls = syncCalls(subject.capabilities, subject.permissions, accountIds);
    return syncBudget(entries, subject.consentId, calls, subject.frequencyPerDay, subject.capabilities.accessWindow, now);
  }
}
