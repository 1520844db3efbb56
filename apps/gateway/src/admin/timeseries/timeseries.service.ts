import { Injectable } from '@nestjs/common';
import { MinuteSeriesRepository, OpsTimeseriesRepository, ProviderOpsRepository, epochMinute } from '@ais/db';
import { QueueInspector } from '../queues/queue-inspector.js';
import type {
  ApiTrafficTimeseriesView,
  ProviderSyncSeriesView,
  QueueSeriesView,
  QueueTimeseriesView,
  SyncRunTimeseriesView,
  WebhookTimeseriesView,
} from './dto/timeseries.dto.js';
import { API_TRAFFIC_SERIES } from './api-traffic.sampler.js';
import { DEPTH_STATES, QUEUE_DEPTH_SERIES, depthField, depthsOf } from './queue-depth.sampler.js';
import {
  HISTORY_WINDOWS,
  MINUTE_WINDOWS,
  bucketIndex,
  bucketRange,
  bucketStarts,
  nulls,
  zeros,
  type HistoryWindow,
  type MinuteWindow,
} from './timeseries-window.js';
import type { BucketRange } from '@ais/db';

const SYNC_FIGURES = [
  'runs',
  'succeeded',
  'failed',
  'deferred',
  'inFlight',
  'bankRateLimited',
  'budgetExhausted',
  'unattendedCalls',
] as const;

const buckets = (window: string, range: BucketRange, now: Date) => ({
  window,
  from: range.from.toISOString(),
  to: range.to.toISOString(),
  bucketSeconds: range.bucketSeconds,
  buckets: bucketStarts(range),
  generatedAt: now.toISOString(),
});

/**
 * The dashboard's charts as bucketed series (one array entry per bucket, oldest first, uPlot's
 * columnar shape): sync runs, bank 429s and budget pressure per bank, and webhook deliveries from
 * Postgres (OpsTimeseriesRepository); API traffic and queue depths from per-minute series in Redis
 * that the gateway's samplers write (MinuteSeriesRepository).
 */
@Injectable()
export class TimeseriesService {
  constructor(
    private readonly history: OpsTimeseriesRepository,
    private readonly minutes: MinuteSeriesRepository,
    private readonly providers: ProviderOpsRepository,
    private readonly queues: QueueInspector,
  ) {}

  async syncRuns(window: HistoryWindow, now = new Date()): Promise<SyncRunTimeseriesView> {
    const range = bucketRange(HISTORY_WINDOWS[window], now);
    const [providers, runs, calls] = await Promise.all([
      this.providers.list(),
      this.history.syncRunBuckets(range),
      this.history.unattendedCallBuckets(range),
    ]);
    const catalogue = new Map(providers.map((p) => [p.id, p]));
    const series = new Map<string, ProviderSyncSeriesView>();
    const of = (providerId: string): ProviderSyncSeriesView | undefined => {
      let s = series.get(providerId);
      if (!s) {
        const p = catalogue.get(providerId);
        if (!p) return undefined; // a provider removed from the catalogue since
        s = { providerId, name: p.name, status: p.status } as ProviderSyncSeriesView;
        for (const figure of SYNC_FIGURES) s[figure] = zeros(range);
        series.set(providerId, s);
      }
      return s;
    };
    for (const p of providers) if (p.status === 'active') of(p.id);
    for (const row of runs) {
      const s = of(row.providerId);
      const i = bucketIndex(range, row.bucket);
      if (!s || i < 0) continue;
      for (const figure of SYNC_FIGURES) if (figure !== 'unattendedCalls') s[figure][i] += row[figure];
    }
    for (const row of calls) {
      const s = of(row.providerId);
      const i = bucketIndex(range, row.bucket);
      if (s && i >= 0) s.unattendedCalls[i] += row.calls;
    }
    return {
      ...buckets(window, range, now),
      providers: [...series.values()].sort(
        (a, b) => a.name.localeCompare(b.name) || a.providerId.localeCompare(b.providerId),
      ),
    };
  }

  async webhooks(window: HistoryWindow, now = new Date()): Promise<WebhookTimeseriesView> {
    const range = bucketRange(HISTORY_WINDOWS[window], now);
    const [deliveries, attempts] = await Promise.all([
      this.history.deliveryBuckets(range),
      this.history.failedAttemptBuckets(range),
    ]);
    const view: WebhookTimeseriesView = {
      ...buckets(window, range, now),
      delivered: zeros(range),
      failed: zeros(range),
      failedAttempts: zeros(range),
      latencyP50Ms: nulls(range),
      latencyP99Ms: nulls(range),
    };
    for (const row of deliveries) {
      const i = bucketIndex(range, row.bucket);
      if (i < 0) continue;
      view.delivered[i] = row.succeeded;
      view.failed[i] = row.failed;
      view.latencyP50Ms[i] = roundMs(row.latencyP50Ms);
      view.latencyP99Ms[i] = roundMs(row.latencyP99Ms);
    }
    for (const row of attempts) {
      const i = bucketIndex(range, row.bucket);
      if (i >= 0) view.failedAttempts[i] = row.failedAttempts;
    }
    return view;
  }

  async apiTraffic(window: MinuteWindow, now = new Date()): Promise<ApiTrafficTimeseriesView> {
    const range = bucketRange(MINUTE_WINDOWS[window], now);
    const recorded = await this.minutes.read(API_TRAFFIC_SERIES, range.from, MINUTE_WINDOWS[window].buckets);
    const view: ApiTrafficTimeseriesView = {
      ...buckets(window, range, now),
      requests: zeros(range),
      clientErrors: zeros(range),
      serverErrors: zeros(range),
    };
    const first = epochMinute(range.from);
    for (const [minute, values] of recorded) {
      const i = minute - first;
      view.requests[i] = values.requests ?? 0;
      view.clientErrors[i] = values.clientErrors ?? 0;
      view.serverErrors[i] = values.serverErrors ?? 0;
    }
    return view;
  }

  async queueDepths(window: MinuteWindow, now = new Date()): Promise<QueueTimeseriesView> {
    const range = bucketRange(MINUTE_WINDOWS[window], now);
    const [refs, samples] = await Promise.all([
      this.queues.refs(),
      this.minutes.read(QUEUE_DEPTH_SERIES, range.from, MINUTE_WINDOWS[window].buckets),
    ]);
    const snapshots = await Promise.all(refs.map((ref) => this.queues.snapshot(ref, { workers: false })));
    const first = epochMinute(range.from);
    const last = MINUTE_WINDOWS[window].buckets - 1;
    const queues = snapshots.map((s): QueueSeriesView => {
      const current = depthsOf(s);
      const view: QueueSeriesView = {
        name: s.name,
        kind: s.kind,
        providerId: s.providerId,
        current,
        waiting: nulls(range),
        active: nulls(range),
        delayed: nulls(range),
        failed: nulls(range),
      };
      for (const [minute, values] of samples)
        for (const state of DEPTH_STATES) {
          const value = values[depthField(s.name, state)];
          if (value !== undefined) view[state][minute - first] = value;
        }
      for (const state of DEPTH_STATES) view[state][last] = current[state];
      return view;
    });
    return { ...buckets(window, range, now), queues };
  }
}

const roundMs = (ms: number | null): number | null => (ms === null ? null : Math.round(ms * 10) / 10);
