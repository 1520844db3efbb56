import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { SYNC_RUN_STATUSES } from './admin-sync-run.repository.js';
import type { SyncRunStatus } from './sync-run.repository.js';

/** A row count and whether it is exact or the planner's estimate (pg_class.reltuples). */
export interface CountFigure {
  count: number;
  estimated: boolean;
}

/** Tables too big to count on every dashboard refresh. The names are SQL identifiers: keep this a closed list. */
export type LargeTable = 'transactions' | 'accounts';

/** Up to this many rows a table is counted exactly (a bounded scan); above it the estimate is used. */
export const EXACT_COUNT_LIMIT = 100_000;

export interface SyncRunWindowCounts {
  status: string;
  lastHour: number;
  lastDay: number;
}

export interface DeliveryBacklog {
  pending: number;
  failed: number;
  oldestPendingAt: Date | null;
}

export interface EndpointCounts {
  enabled: number;
  disabled: number;
  failing: number;
}

const byStatus = (rows: { status: string; n: number }[]): Record<string, number> =>
  Object.fromEntries(rows.map((r) => [r.status, r.n]));

/**
 * Figures for the operators' overview, each from a query that stays cheap at production volume: small
 * tables are counted, time windows are index range counts, the pending/failed delivery backlog is an
 * index-only count on (status, id), and the big data tables are counted exactly only while small, else
 * estimated from the planner's statistics. Cross-tenant by design (operators only).
 */
@Injectable()
export class OpsStatsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async tenantsByStatus(): Promise<Record<string, number>> {
    return byStatus(
      await this.prisma.$queryRaw<
        { status: string; n: number }[]
      >`SELECT status::text AS status, count(*)::int AS n FROM tenants GROUP BY status`,
    );
  }

  /** Served by consents (status, next_sync_at): an index-only scan at scale. */
  async consentsByStatus(): Promise<Record<string, number>> {
    return byStatus(
      await this.prisma.$queryRaw<
        { status: string; n: number }[]
      >`SELECT status::text AS status, count(*)::int AS n FROM consents GROUP BY status`,
    );
  }

  async providersByStatus(): Promise<Record<string, number>> {
    return byStatus(
      await this.prisma.$queryRaw<
        { status: string; n: number }[]
      >`SELECT status::text AS status, count(*)::int AS n FROM providers GROUP BY status`,
    );
  }

  /**
   * Runs queued since each bound, by current status: two range counts per status on (status,
   * queued_at, id), each with its status as a parameter so the planner sees which one it counts.
   */
  async syncRunsByStatus(hourAgo: Date, dayAgo: Date): Promise<SyncRunWindowCounts[]> {
    const count = (status: SyncRunStatus, since: Date) =>
      Prisma.sql`(SELECT count(*) FROM sync_runs WHERE status = ${status}::"SyncRunStatus" AND queued_at >= ${since})::int`;
    const rows = SYNC_RUN_STATUSES.map(
      (status) =>
        Prisma.sql`SELECT ${status}::text AS status, ${count(status, hourAgo)} AS "lastHour", ${count(status, dayAgo)} AS "lastDay"`,
    );
    return this.prisma.$queryRaw<SyncRunWindowCounts[]>(Prisma.join(rows, ' UNION ALL '));
  }

  /** Events written since `since` (events.created_at index). */
  async eventsSince(since: Date): Promise<number> {
    const [row] = await this.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM events WHERE created_at >= ${since}`;
    return row?.n ?? 0;
  }

  /** Pending and failed deliveries (ranges of (status, id)); the oldest pending one by id, which sorts by creation. */
  async deliveryBacklog(): Promise<DeliveryBacklog> {
    const count = (status: 'pending' | 'failed') =>
      Prisma.sql`(SELECT count(*) FROM webhook_deliveries WHERE status = ${status}::"WebhookDeliveryStatus")::int`;
    const [counts] = await this.prisma.$queryRaw<
      { pending: number; failed: number }[]
    >`SELECT ${count('pending')} AS pending, ${count('failed')} AS failed`;
    const [oldest] = await this.prisma.$queryRaw<{ createdAt: Date }[]>`
      SELECT created_at AS "createdAt" FROM webhook_deliveries WHERE status = 'pending' ORDER BY id LIMIT 1`;
    return { pending: counts?.pending ?? 0, failed: counts?.failed ?? 0, oldestPendingAt: oldest?.createdAt ?? null };
  }

  /** Webhook endpoints (one small row per subscriber URL). */
  async endpointCounts(): Promise<EndpointCounts> {
    const [row] = await this.prisma.$queryRaw<EndpointCounts[]>`
      SELECT count(*) FILTER (WHERE status = 'enabled')::int AS enabled,
             count(*) FILTER (WHERE status = 'disabled')::int AS disabled,
             count(*) FILTER (WHERE status = 'enabled' AND failing_since IS NOT NULL)::int AS failing
        FROM webhook_endpoints`;
    return row ?? { enabled: 0, disabled: 0, failing: 0 };
  }

  /**
   * Rows in a large table: exact while the table holds at most `exactUpTo` rows (a scan that stops
   * there), else the planner's estimate summed over the table and its partitions, never below what
   * the bounded scan already saw.
   */
  async tableCount(table: LargeTable, exactUpTo = EXACT_COUNT_LIMIT): Promise<CountFigure> {
    const identifier = Prisma.raw(`"${table}"`);
    const [seen] = await this.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${identifier} LIMIT ${exactUpTo + 1}) s`;
    const bounded = seen?.n ?? 0;
    if (bounded <= exactUpTo) return { count: bounded, estimated: false };
    const [stats] = await this.prisma.$queryRaw<{ estimate: number | null }[]>`
      SELECT sum(GREATEST(c.reltuples, 0))::float8 AS estimate
        FROM pg_class c
       WHERE c.oid = to_regclass(${table})
          OR c.oid IN (SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = to_regclass(${table}))`;
    return { count: Math.max(Math.round(stats?.estimate ?? 0), bounded), estimated: true };
  }
}
