import type { AccessBudgetRepository } from '@ais/db';
import { AppError, type SyncBudget } from '@ais/domain';
import { CheckSyncBudget } from './check-sync-budget.usecase.js';

const subject = {
  tenantId: 'ten_1',
  consentId: 'cons_1',
  permissions: ['accounts', 'transactions'],
  frequencyPerDay: 4,
  capabilities: {
    accessWindow: { kind: 'rolling24h' as const },
    bulkEndpoints: [],
    supportedPermissions: ['accounts' as const, 'transactions' as const],
  },
};
const now = new Date('2026-01-01T12:00:00Z');
const budget = (nextAllowedAt: Date | null): SyncBudget => ({
  unattendedPerDay: 4,
  window: 'rolling24h',
  usedInWindow: nextAllowedAt ? 4 : 1,
  nextAllowedAt,
  scopes: [],
});
const checker = (b: SyncBudget) =>
  new CheckSyncBudget({ syncBudget: async () => b } as unknown as AccessBudgetRepository);

describe('CheckSyncBudget.requireUnattended', () => {
  it('lets an unattended sync go while the budget carries it', async () => {
    await expect(checker(budget(null)).requireUnattended(subject, now, 'spent')).resolves.toBeUndefined();
  });

  it('refuses it when the budget is spent, saying when it frees up', async () => {
    const error = await checker(budget(new Date('2026-01-01T15:30:00.400Z')))
      .requireUnattended(subject, now, 'spent')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'budget_exhausted',
      detail: 'spent',
      extensions: {
        retryAt: '2026-01-01T15:30:00.400Z',
        nextAllowedAt: '2026-01-01T15:30:00.400Z',
        retryAfterSeconds: 3.5 * 3600 + 1,
      },
    });
  });
});
