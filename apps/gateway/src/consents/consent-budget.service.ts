import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@ais/db';
import { syncBudget, syncBudgetView, syncCalls, type AccessLedgerRecord, type ProviderCapabilities, type SyncBudgetView } from '@ais/domain';

export type BudgetView = SyncBudgetView;

/**
 * The consent's unattended-access budget as the bank counts it, for the calls its next sync will make
 * (the same rule the sync-worker schedules by: libs/domain/src/sync-budget.ts), from the access ledger
 * the connector-service writes before every unattended call. Two queries for a whole page of consents.
 */
@Injectable()
export class ConsentBudgetService {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async forConsents(
    consents: Array<{ id: string; permissions: string[]; frequencyPerDay: number; capabilities: ProviderCapabilities }>,
    now = new Date(),
  ): Promise<Map<string, BudgetView>> {
    const out = new Map<string, BudgetView>();
    if (consents.length === 0) return out;
    const ids = consents.map((c) => c.id);
    const [accounts, rows] = await Promise.all([
      this.prisma.account.findMany({ where: { consentId: { in: ids } }, select: { consentId: true, externalId: true } }),
      // 48 h covers a rolling day and any calendar day in any time zone.
      this.prisma.accessLedgerEntry.findMany({
        where: { consentId: { in: ids }, psuPresent: false, at: { gt: new Date(now.getTime() - 48 * 3_600_000), lte: now } },
        select: { consentId: true, scope: true, resource: true, psuPresent: true, at: true },
      }),
    ]);
    const group = <T extends { consentId: string }>(items: T[]) => {
      const map = new Map<string, T[]>();
      for (const item of items) map.set(item.consentId, [...(map.get(item.consentId) ?? []), item]);
      return map;
    };
    const accountsOf = group(accounts);
    const entriesOf = group<AccessLedgerRecord>(rows);
    for (const c of consents) {
      const calls = syncCalls(c.capabilities, c.permissions, (accountsOf.get(c.id) ?? []).map((a) => a.externalId));
      out.set(c.id, syncBudgetView(syncBudget(entriesOf.get(c.id) ?? [], c.id, calls, c.frequencyPerDay, c.capabilities.accessWindow, now)));
    }
    return out;
  }
}
