import { Injectable } from '@nestjs/common';
import { OpsStatsRepository, type SyncRunWindowCounts } from '@ais/db';
import { CONSENT_STATUSES } from '@ais/domain';
import { SYNC_RUN_STATUSES } from '@ais/db';
import type { StatsView, SyncRunStatusCountsView } from './dto/stats.dto.js';
import { QueueInspector } from '../queues/queue-inspector.js';

const HOUR_MS = 3_600_000;

const withZeros = <K extends string>(keys: readonly K[], counts: Record<string, number>): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, counts[k] ?? 0])) as Record<K, number>;

function runCounts(rows: SyncRunWindowCounts[], pick: (r: SyncRunWindowCounts) => number): SyncRunStatusCountsView {
  const byStatus = withZeros(SYNC_RUN_STATUSES, Object.fromEntries(rows.map((r) => [r.status, pick(r)])));
  return { ...byStatus, total: Object.values(byStatus).reduce((a, b) => a + b, 0) };
}

/** The operators' overview: how many of everything, and where work is piling up. */
@Injectable()
export class StatsService {
  constructor(
    private readonly stats: OpsStatsRepository,
    private readonly queues: QueueInspector,
  ) {}

  async overview(now = new Date()): Promise<StatsView> {
    const dayAgo = new Date(now.getTime() - 24 * HOUR_MS);
    const [tenants, consents, providers, runs, events, backlog, endpoints, accounts, transactions, queues] =
      await Promise.all([
        this.stats.tenantsByStatus(),
        this.stats.consentsByStatus(),
        this.stats.providersByStatus(),
        this.stats.syncRunsByStatus(new Date(now.getTime() - HOUR_MS), dayAgo),
        this.stats.eventsSince(dayAgo),
        this.stats.deliveryBacklog(),
        this.stats.endpointCounts(),
        this.stats.tableCount('accounts'),
        this.stats.tableCount('transactions'),
        this.queues
          .refs()
          .then((refs) => Promise.all(refs.map((ref) => this.queues.snapshot(ref, { workers: false })))),
      ]);
    const consentCounts = withZeros(CONSENT_STATUSES, consents);
    const sum = (pick: (q: (typeof queues)[number]) => number) => queues.reduce((n, q) => n + pick(q), 0);
    return {
      generatedAt: now.toISOString(),
      tenants: {
        active: tenants.active ?? 0,
        suspended: tenants.suspended ?? 0,
        total: (tenants.active ?? 0) + (tenants.suspended ?? 0),
      },
      consents: { total: Object.values(consentCounts).reduce((a, b) => a + b, 0), byStatus: consentCounts },
      providers: {
        active: providers.active ?? 0,
        inactive: providers.inactive ?? 0,
        total: (providers.active ?? 0) + (providers.inactive ?? 0),
      },
      syncRuns: { lastHour: runCounts(runs, (r) => r.lastHour), last24h: runCounts(runs, (r) => r.lastDay) },
      data: { accounts, transactions },
      events: { last24h: events },
      webhooks: {
        deliveries: {
          pending: backlog.pending,
          failed: backlog.failed,
          oldestPendingAt: backlog.oldestPendingAt?.toISOString() ?? null,
          oldestPendingAgeSeconds: backlog.oldestPendingAt
            ? Math.max(0, Math.floor((now.getTime() - backlog.oldestPendingAt.getTime()) / 1000))
            : null,
        },
        endpoints,
      },
      queues: {
        waiting: sum((q) => q.counts.waiting + q.counts.prioritized),
        active: sum((q) => q.counts.active),
        delayed: sum((q) => q.counts.delayed),
        failed: sum((q) => q.counts.failed),
        paused: queues.filter((q) => q.paused).map((q) => q.name),
        backingOff: queues.filter((q) => q.backoffMs > 0).map((q) => q.name),
      },
    };
  }
}
