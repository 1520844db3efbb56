import { Injectable } from '@nestjs/common';
import { syncBudgetView, type ProviderCapabilities, type SyncBudgetView } from '@ais/domain';
import { CheckSyncBudget } from '@ais/sync';

export type BudgetView = SyncBudgetView;

/**
 * The consents' `budget` objects: their unattended-access budget as the bank counts it (its own
 * window), for the calls their next sync will make, from `CheckSyncBudget`, the one implementation
 * the scheduler, the worker and the refresh endpoint decide with. A fixed number of queries a page.
 */
@Injectable()
export class ConsentBudgetService {
  constructor(private readonly budgets: CheckSyncBudget) {}

  async forConsents(
    consents: Array<{
      id: string;
      tenantId: string;
      permissions: string[];
      frequencyPerDay: number;
      capabilities: ProviderCapabilities;
    }>,
    now = new Date(),
  ): Promise<Map<string, BudgetView>> {
    const budgets = await this.budgets.forConsents(
      consents.map((c) => ({
        tenantId: c.tenantId,
        consentId: c.id,
        permissions: c.permissions,
        frequencyPerDay: c.frequencyPerDay,
        capabilities: c.capabilities,
      })),
      now,
    );
    return new Map([...budgets].map(([id, budget]) => [id, syncBudgetView(budget)]));
  }
}
