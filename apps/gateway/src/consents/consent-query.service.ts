import { Injectable } from '@nestjs/common';
import { AuthorisationSessionRepository, ConsentRepository, ProviderRepository, type ConsentRecord } from '@ais/db';
import { AppError, type ConsentStatus, type ProviderCapabilities } from '@ais/domain';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, type Page } from '@ais/http-kit';
import { ConsentBudgetService } from './consent-budget.service.js';
import type { ConsentView } from './dto/consent.dto.js';

const CONSENTS = defineCursor('consents', { c: cursorFields.instant, i: cursorFields.id('cons') });

/** Consent reads, straight from Postgres; a page costs a fixed number of queries (no N+1). */
@Injectable()
export class ConsentQueryService {
  constructor(
    private readonly consents: ConsentRepository,
    private readonly sessions: AuthorisationSessionRepository,
    private readonly providers: ProviderRepository,
    private readonly budgets: ConsentBudgetService,
    private readonly cursors: CursorCodec,
  ) {}

  async get(tenantId: string, id: string): Promise<ConsentView> {
    const consent = await this.consents.findForTenant(tenantId, id);
    if (!consent) throw AppError.notFound('Consent');
    return (await this.views([consent]))[0];
  }

  async list(
    tenantId: string,
    query: { status?: ConsentStatus; providerId?: string; endUserId?: string; limit?: number; cursor?: string },
  ): Promise<Page<ConsentView>> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = this.cursors.decode(CONSENTS, query.cursor);
    const rows = await this.consents.list(tenantId, {
      status: query.status,
      providerId: query.providerId,
      endUserId: query.endUserId,
      before: before && { createdAt: before.c, id: before.i },
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: await this.views(page),
      nextCursor: rows.length > limit && last ? this.cursors.encode(CONSENTS, { c: last.createdAt, i: last.id }) : null,
    };
  }

  private async views(consents: ConsentRecord[]): Promise<ConsentView[]> {
    const now = new Date();
    const providerIds = [...new Set(consents.map((c) => c.providerId))];
    const capabilities = new Map(
      (await Promise.all(providerIds.map((id) => this.providers.findById(id))))
        .filter((p) => p !== null)
        .map((p) => [p.id, p.capabilities as unknown as ProviderCapabilities]),
    );
    const open = await this.sessions.openFor(
      consents.map((c) => c.id),
      now,
    );
    const budgets = await this.budgets.forConsents(
      consents
        .filter((c) => capabilities.has(c.providerId))
        .map((c) => ({
          id: c.id,
          tenantId: c.tenantId,
          permissions: c.permissions,
          frequencyPerDay: c.frequencyPerDay,
          capabilities: capabilities.get(c.providerId)!,
        })),
      now,
    );
    return consents.map((c) => {
      const session = open.get(c.id);
      return {
        id: c.id,
        providerId: c.providerId,
        endUserId: c.endUserId,
        status: c.status,
        permissions: c.permissions,
        transactionsFrom: c.transactionsFrom?.toISOString().slice(0, 10) ?? null,
        expiresAt: c.expiresAt.toISOString(),
        frequencyPerDay: c.frequencyPerDay,
        authorisedAt: c.authorisedAt?.toISOString() ?? null,
        lastSyncedAt: c.lastSyncedAt?.toISOString() ?? null,
        nextSyncAt: c.nextSyncAt?.toISOString() ?? null,
        createdAt: c.createdAt.toISOString(),
        updatedAt: c.updatedAt.toISOString(),
        metadata: c.metadata,
        accounts: c.namedAccounts,
        budget: budgets.get(c.id) ?? {
          unattendedPerDay: c.frequencyPerDay,
          usedInWindow: 0,
          nextAllowedAt: null,
          window: 'rolling24h',
          scopes: [],
        },
        ...(session ? { authorisationUrl: session.authorisationUrl } : {}),
        failureReason: c.failureCode,
      };
    });
  }
}
