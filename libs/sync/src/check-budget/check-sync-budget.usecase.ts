import { Injectable } from '@nestjs/common';
import { AccessBudgetRepository, syncBudgetOf, type BudgetSubject } from '@ais/db';
import { AppError, type AccessLedgerRecord, type SyncBudget } from '@ais/domain';

export type { BudgetSubject };

/**
 * The unattended-access budget of a consent's next sync, as the bank counts it: its own window
 * (rolling 24 h or its calendar day), per account and resource, for every call the sync will make.
 * The one implementation behind the refresh endpoint, the worker's pre-check and the consent's
 * `budget` object.
 */
@Injectable()
export class CheckSyncBudget {
  constructor(private readonly budgets: AccessBudgetRepository) {}

  async forConsent(subject: BudgetSubject, now: Date): Promise<SyncBudget> {
    return this.budgets.syncBudget(subject, now);
  }

  /** The budgets of a page of consents, by consent id (a fixed number of queries). */
  async forConsents(subjects: readonly BudgetSubject[], now: Date): Promise<Map<string, SyncBudget>> {
    return this.budgets.syncBudgets(subjects, now);
  }

  /**
   * Refuses (budget_exhausted, with nextAllowedAt and retryAfterSeconds) an unattended sync the budget
   * cannot carry now: it is not sent, since the bank would answer 429 part-way through.
   */
  async requireUnattended(subject: BudgetSubject, now: Date, detail: string): Promise<void> {
    refuseSpent(await this.forConsent(subject, now), now, detail);
  }

  /**
   * `requireUnattended` on ledger entries the caller read already (`unattendedEntriesStatement`: the
   * sync-worker reads them in its run's first round trip).
   */
  requireUnattendedWith(
    subject: BudgetSubject & { accountExternalIds: readonly string[] },
    entries: readonly AccessLedgerRecord[],
    now: Date,
    detail: string,
  ): void {
    refuseSpent(syncBudgetOf(subject, entries, now), now, detail);
  }
}

function refuseSpent({ nextAllowedAt }: SyncBudget, now: Date, detail: string): void {
  if (!nextAllowedAt) return;
  throw new AppError('budget_exhausted', detail, {
    // retryAt is API.md's name for it; nextAllowedAt stays for the clients that read it.
    retryAt: nextAllowedAt.toISOString(),
    nextAllowedAt: nextAllowedAt.toISOString(),
    retryAfterSeconds: Math.max(1, Math.ceil((nextAllowedAt.getTime() - now.getTime()) / 1000)),
  });
}
