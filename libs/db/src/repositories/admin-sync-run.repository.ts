import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import type { SyncRunRecord, SyncRunStatus } from './sync-run.repository.js';

export interface AdminSyncRunRecord extends SyncRunRecord {
  providerId: string | null;
}

export interface AdminSyncRunFilter {
  status?: SyncRunStatus;
  providerId?: string;
  tenantId?: string;
  /** Keyset: the last row of the previous page. */
  before?: { queuedAt: Date; id: string };
  limit: number;
}

/** Runs of one provider since a bound, grouped by status and error code. */
export interface ProviderRunGroup {
  providerId: string;
  status: SyncRunStatus;
  errorCode: string | null;
  runs: number;
  lastAt: Date;
}

/** The newest succeeded and failed run of a provider, whenever they were. */
export interface ProviderLastOutcomes {
  providerId: string;
  lastSucceededAt: Date | null;
  lastFailedAt: Date | null;
  lastFailureCode: string | null;
  lastFailureDetail: string | null;
}

export const SYNC_RUN_STATUSES: readonly SyncRunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'deferred'];

const COLUMNS = Prisma.sql`
  id, tenant_id AS "tenantId", consent_id AS "consentId", provider_id AS "providerId", trigger::text AS trigger,
  status::text AS status, queued_at AS "queuedAt", started_at AS "startedAt", finished_at AS "finishedAt", accounts,
  transactions_added AS "transactionsAdded", transactions_modified AS "transactionsModified",
  transactions_removed AS "transactionsRemoved", error_code AS "errorCode", error_detail AS "errorDetail", attempts,
  coalesce(unavailable, '{}') AS unavailable`;

/**
 * Sync runs across tenants, for operators. Every query is served by an index on sync_runs with
 * (queued_at DESC, id DESC) after its equality columns: unfiltered, by status, by tenant, by provider
 * and status. provider_id is filled in by the database from the consent when a run is inserted.
 */
@Injectable()
export class AdminSyncRunRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Newest first; the keyset condition is a row comparison the index serves as a range. By provider
   * without a status, the per-status ranges of (provider_id, status, queued_at, id) are merged
   * (UNION ALL under ORDER BY … LIMIT plans as a Merge Append of index scans).
   */
  async list(filter: AdminSyncRunFilter): Promise<AdminSyncRunRecord[]> {
    const conditions: Prisma.Sql[] = [];
    if (filter.providerId) conditions.push(Prisma.sql`provider_id = ${filter.providerId}`);
    if (filter.tenantId) conditions.push(Prisma.sql`tenant_id = ${filter.tenantId}`);
    if (filter.before)
      conditions.push(Prisma.sql`(queued_at, id) < (${filter.before.queuedAt}::timestamptz, ${filter.before.id})`);
    const select = (status: SyncRunStatus | undefined) => {
      const all = status ? [Prisma.sql`status = ${status}::"SyncRunStatus"`, ...conditions] : conditions;
      const where = all.length > 0 ? Prisma.sql`WHERE ${Prisma.join(all, ' AND ')}` : Prisma.empty;
      return Prisma.sql`SELECT ${COLUMNS} FROM sync_runs ${where} ORDER BY queued_at DESC, id DESC LIMIT ${filter.limit}`;
    };
    if (filter.providerId && !filter.status) {
      const parts = SYNC_RUN_STATUSES.map((status) => Prisma.sql`(${select(status)})`);
      return this.prisma.$queryRaw<AdminSyncRunRecord[]>`
        SELECT * FROM (${Prisma.join(parts, ' UNION ALL ')}) runs ORDER BY "queuedAt" DESC, id DESC LIMIT ${filter.limit}`;
    }
    return this.prisma.$queryRaw<AdminSyncRunRecord[]>(select(filter.status));
  }

  /** Every provider's runs queued since `since`, by status and error code (a range on (queued_at, id)). */
  async groupsSince(since: Date): Promise<ProviderRunGroup[]> {
    return this.prisma.$queryRaw<ProviderRunGroup[]>`
      SELECT provider_id AS "providerId", status::text AS status, error_code AS "errorCode", count(*)::int AS runs,
             max(COALESCE(finished_at, started_at, queued_at)) AS "lastAt"
        FROM sync_runs
       WHERE queued_at >= ${since} AND provider_id IS NOT NULL
       GROUP BY provider_id, status, error_code`;
  }

  /** Each provider's newest succeeded and failed run, whenever they were: one seek each on (provider_id, status, queued_at, id). */
  async lastOutcomes(): Promise<ProviderLastOutcomes[]> {
    return this.prisma.$queryRaw<ProviderLastOutcomes[]>`
      SELECT p.id AS "providerId",
             s.finished_at AS "lastSucceededAt",
             f.at AS "lastFailedAt", f.error_code AS "lastFailureCode", f.error_detail AS "lastFailureDetail"
        FROM providers p
        LEFT JOIN LATERAL (
          SELECT r.finished_at FROM sync_runs r WHERE r.provider_id = p.id AND r.status = 'succeeded'
           ORDER BY r.queued_at DESC, r.id DESC LIMIT 1) s ON true
        LEFT JOIN LATERAL (
          SELECT COALESCE(r.finished_at, r.queued_at) AS at, r.error_code, r.error_detail FROM sync_runs r WHERE r.provider_id = p.id AND r.status = 'failed'
           ORDER BY r.queued_at DESC, r.id DESC LIMIT 1) f ON true`;
  }
}
