import { Injectable } from '@nestjs/common';
import { SyncConsentRepository, SyncRunRepository, type SyncRunRecord } from '@ais/db';
import { AppError } from '@ais/domain';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, type Page } from '@ais/http-kit';
import { CheckSyncBudget, RequestSync } from '@ais/sync';
import type { SyncRunView } from './dto/sync-run.dto.js';

export const syncRunView = (r: SyncRunRecord): SyncRunView => ({
  id: r.id,
  trigger: r.trigger,
  status: r.status,
  queuedAt: r.queuedAt.toISOString(),
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
  counts: {
    accounts: r.accounts,
    transactionsAdded: r.transactionsAdded,
    transactionsModified: r.transactionsModified,
    transactionsRemoved: r.transactionsRemoved,
  },
  unavailable: r.unavailable ?? [],
  ...(r.errorCode ? { error: { code: r.errorCode, detail: r.errorDetail ?? '' } } : {}),
});

/**
 * Refreshes on request and the consent's run history. A refresh never starts a second sync of a
 * consent: with one in flight it answers that run. Without the PSU's IP it uses the unattended
 * budget, counted as the bank counts it, and is refused (budget_exhausted, with when) rather than
 * sent when the budget cannot carry it.
 */
const SYNC_RUNS = defineCursor('sync-runs', { q: cursorFields.instant, i: cursorFields.id('sr') });

@Injectable()
export class SyncRunsService {
  constructor(
    private readonly consents: SyncConsentRepository,
    private readonly runs: SyncRunRepository,
    private readonly budgets: CheckSyncBudget,
    private readonly requestSync: RequestSync,
    private readonly cursors: CursorCodec,
  ) {}

  async refresh(
    tenantId: string,
    consentId: string,
    { psuIpAddress, full }: { psuIpAddress: string | undefined; full: boolean },
    now = new Date(),
  ): Promise<{ syncRunId: string }> {
    const consent = await this.consents.load(tenantId, consentId);
    if (!consent) throw AppError.notFound('Consent');
    switch (consent.status) {
      case 'authorised':
        break;
      case 'expired':
        throw new AppError('consent_expired', 'The consent has expired: re-authorise it to sync again.');
      case 'revoked':
        throw new AppError('consent_revoked', 'The consent was revoked.');
      default:
        throw new AppError('invalid_state_transition', `A consent that is ${consent.status} cannot be refreshed.`, {
          status: consent.status,
        });
    }
    if (psuIpAddress && !consent.capabilities.psuPresentRefresh) {
      throw AppError.validation([
        {
          field: 'psuIpAddress',
          message: `${consent.providerId} offers no PSU-present refresh: leave psuIpAddress out to use the unattended budget`,
        },
      ]);
    }
    if (!psuIpAddress) {
      await this.budgets.requireUnattended(
        {
          tenantId,
          consentId,
          permissions: consent.permissions,
          frequencyPerDay: consent.frequencyPerDay,
          capabilities: consent.capabilities,
        },
        now,
        'The unattended access budget of this consent is spent for now; pass psuIpAddress when the user is present.',
      );
    }
    const { syncRunId } = await this.requestSync.execute(
      {
        tenantId,
        consentId,
        providerId: consent.providerId,
        trigger: psuIpAddress ? 'psu_present' : 'manual',
        ...(psuIpAddress ? { psuIpAddress } : {}),
        ...(full ? { full } : {}),
      },
      now,
    );
    return { syncRunId };
  }

  /**
   * The run once it has ended, if it ends within `waitMs` (Prefer: wait=N); undefined when it is still
   * queued or running by then. Reads the run's row every 250 ms: one indexed lookup each, for at most 30 s.
   */
  async waitForEnd(tenantId: string, syncRunId: string, waitMs: number): Promise<SyncRunView | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const run = await this.runs.findForTenant(tenantId, syncRunId);
      if (run && run.status !== 'queued' && run.status !== 'running') return syncRunView(run);
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  }

  async list(
    tenantId: string,
    consentId: string,
    query: { limit?: number; cursor?: string },
  ): Promise<Page<SyncRunView>> {
    if (!(await this.consents.load(tenantId, consentId))) throw AppError.notFound('Consent');
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = this.cursors.decode(SYNC_RUNS, query.cursor);
    const rows = await this.runs.listForConsent(tenantId, consentId, {
      limit: limit + 1,
      ...(before ? { before: { queuedAt: before.q, id: before.i } } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map(syncRunView),
      nextCursor: rows.length > limit && last ? this.cursors.encode(SYNC_RUNS, { q: last.queuedAt, i: last.id }) : null,
    };
  }
}
